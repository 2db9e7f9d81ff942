"""Each pytest-xdist worker gets a Redis database of its own for its Celery broker.

Loaded with ``-p tests.xdist_env`` (pyproject's addopts) before Django reads its
settings. Without it two workers' tests would share one broker, and a real Celery
worker started by one test could take the tasks of another worker's test (whose
rows are in another test database) and drop them. Outside xdist: nothing changes.
"""

from __future__ import annotations

import os
import re

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_broker = os.environ.get("CELERY_BROKER_URL", "")
_match = re.fullmatch(r"(redis://[^/]+/)(\d+)", _broker)
if _worker.startswith("gw") and _match:
    # gw0 keeps the database it was given; gw1, gw2… count down from it in twos
    # (13 and 15 belong to other tests' own brokers).
    _db = int(_match.group(2)) - 2 * int(_worker[2:])
    if _db < 2:
        raise RuntimeError(f"too many xdist workers for {_broker}")
    os.environ["CELERY_BROKER_URL"] = f"{_match.group(1)}{_db}"
