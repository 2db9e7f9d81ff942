"""What the security measures cost: the log filter per line, and the sign-in
limits per attempt on the shared cache.

    .venv/bin/python -m bench.security                       # the folder cache
    CACHE_URL=redis://127.0.0.1:6379/15 .venv/bin/python -m bench.security

- **log filter**: ``pollcrew.logs.RedactPersonalData`` on typical lines (a gunicorn
  request line with a personal link, a worker line with a phone number and an
  address, a plain line with nothing to hide, a 40-line traceback), µs per line;
- **sign-in limits**: ``accounts.limits.Attempt.reserve()`` and ``succeeded()``
  (three windows for an unknown browser, one for a known one), µs per attempt,
  on the cache ``CACHE_URL`` names (keys under a throwaway prefix, deleted after).

Medians of ``--rounds`` rounds (default 7) of ``--n`` calls each (default 2,000).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable

TRACEBACK = "".join(
    f'  File "/srv/pollcrew/module{n}.py", line {n}, in handler\n    do_something(x)\n'
    for n in range(20)
)
LINES = {
    "request line with a link": (
        '10.0.0.5 - - [02/Dec/2026:10:00:00 +0100] "GET /v/AbCdEf0123456789_-AbCdEf0123456789'
        '/a/3/accept/ HTTP/1.1" 200 5123 "-" "Mozilla/5.0"'
    ),
    "worker line, phone and address": (
        "Task notifications.tasks.deliver_message[c221e297-8378-4f64-b38a-d8c251fb51a4] "
        "failed: Invalid 'To' Phone Number: +4520123456 for karen.jensen@example.org"
    ),
    "plain line, nothing to hide": (
        "Task staffing.tasks.expire_invitations[c221e297-8378-4f64-b38a-d8c251fb51a4] "
        "succeeded in 0.004s: 0"
    ),
    "traceback (40 lines)": "Internal Server Error: /staff/elections/3/\n" + TRACEBACK,
}


def per_call_us(fn: Callable[[], object], n: int, rounds: int) -> float:
    medians = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        medians.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(medians)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.security", description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollcrew.settings")
    os.environ["CACHE_KEY_PREFIX"] = f"bench-{uuid.uuid4().hex}"
    scratch = tempfile.TemporaryDirectory(prefix="pollcrew-bench-cache-")
    # Never the development cache: a folder of its own unless CACHE_URL says otherwise.
    os.environ.setdefault("CACHE_URL", f"filecache://{scratch.name}")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.test import RequestFactory

    from accounts import limits
    from pollcrew.logs import RedactPersonalData

    scrub = RedactPersonalData()
    print(f"log filter, µs per line (median of {args.rounds} rounds of {args.n}):")
    for name, text in LINES.items():

        def one(text: str = text) -> None:
            record = logging.LogRecord("bench", logging.INFO, __file__, 1, text, (), None)
            scrub.filter(record)

        print(f"  {name:<34} {per_call_us(one, args.n, args.rounds):8.1f}")

    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"sign-in limits on {backend}, µs per attempt:")
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.7")
    counter = iter(range(10**9))

    def unknown_browser() -> None:
        # A new account each time: no window ever fills up.
        attempt = limits.Attempt.of(
            request, f"u{next(counter)}@kommune.dk", user_id=None, device=None
        )
        attempt.reserve()
        attempt.succeeded()

    def known_browser() -> None:
        attempt = limits.Attempt.of(request, "k@kommune.dk", user_id=1, device="d")
        attempt.reserve()
        attempt.succeeded()

    n = max(args.n // 10, 50)
    print(f"  {'new browser (3 windows)':<34} {per_call_us(unknown_browser, n, args.rounds):8.1f}")
    print(f"  {'known browser (1 window)':<34} {per_call_us(known_browser, n, args.rounds):8.1f}")
    if backend == "RedisCache":  # this run's keys only
        client = cache._cache.get_client()  # type: ignore[attr-defined]
        for key in client.scan_iter(f"{os.environ['CACHE_KEY_PREFIX']}*"):
            client.delete(key)
    scratch.cleanup()


if __name__ == "__main__":
    main()
