"""A real Celery worker as a subprocess (prefork pool), on the test database and Redis.

Unlike tests/test_worker.py's in-thread worker, this one can be killed with SIGKILL
like a real machine losing a worker: it runs in a session of its own, so the
signal reaches the main process and its pool processes at once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

# The broker for these tests when CELERY_BROKER_URL names no Redis (CI sets one):
# one database per pytest-xdist worker (15, 11, 7…; see tests/xdist_env.py).
_XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
FALLBACK_BROKER = f"redis://127.0.0.1:6379/{15 - 4 * _XDIST_INDEX}"


def redis_broker_or_skip() -> str:
    """A Redis broker URL that answers, or skip: these tests need PostgreSQL and Redis."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): a worker process shares the test database")
    return redis_url_or_skip()


def redis_url_or_skip() -> str:
    """The broker's Redis (CI's), or a database of these tests' own, if it
    answers; else skip (CI runs them: it has Redis)."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        url = FALLBACK_BROKER
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            if not conn.recv(16).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as exc:
        pytest.skip(f"needs Redis at {parts.hostname}:{parts.port or 6379} ({exc})")
    return url


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def start(broker: str, env: dict[str, str], *, concurrency: int = 2) -> subprocess.Popen:
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "TWILIO_"))},
        "DJANGO_SETTINGS_MODULE": "pollcrew.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "CONN_MAX_AGE": "0",
        **env,
    }
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "pollcrew",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "-Q",
        "celery",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "WARNING",
    ]
    return subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=full_env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        # Its log (every task) would drown the test's output; errors show in the test.
        stderr=subprocess.DEVNULL,
    )


def wait_ready(worker: subprocess.Popen, concurrency: int, timeout: float = 60) -> None:
    from pollcrew.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode})")
        if len(children(worker.pid)) >= concurrency and app.control.ping(timeout=0.5):
            return
        time.sleep(0.1)
    pytest.fail("the worker did not start")


def kill(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool processes at once (its own session)."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill(worker)


@contextmanager
def running(
    broker: str, env: dict[str, str], *, concurrency: int = 2
) -> Iterator[subprocess.Popen]:
    worker = start(broker, env, concurrency=concurrency)
    try:
        wait_ready(worker, concurrency)
        yield worker
    finally:
        stop(worker)
