"""Benchmark the volunteer's personal page under load, and a race for seats, on
gunicorn with the README's production settings (issue 10's targets: the page at
≥ 250 requests/s with p99 ≤ 250 ms from 32 concurrent clients; 500 people
pressing "Accept after all" at once for a 10-seat shift ⇒ exactly 10 seats, every
other answer a clear "full", zero 5xx).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pc_portal \\
        .venv/bin/python -m bench.portal_load [--seconds 20] [--clients 32] [--racers 500]

The benchmark makes its own election in the database (left there: use a
database of its own) (people with personal
links; a full shift whose seats were given up), starts gunicorn on loopback
(``--workers``, default 4 as in the README; production settings, plain http),
and drives it with aiohttp from this process: ``--clients`` connections asking
for the personal pages of random people for ``--seconds`` seconds (each view
also records the link's last use: a write), then ``--racers`` clients posting
the accept form of their own given-up seat at the same moment. Messages are
queued to an in-memory broker (no worker). The load generator shares the
machine's cores with gunicorn and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.coordinator_page import RESULTS_DIR, configure_django, percentile

BASE_DIR = Path(__file__).resolve().parent.parent
# Production's static files (hashed names, a manifest), collected for the benchmark.
STATIC_ROOT = BASE_DIR / "var" / "bench-static"
# gunicorn's and this process's: the answer forms' tokens are made here.
SECRET_KEY = "bench-" + "k7Qz" * 15


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.portal_load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--people", type=int, default=300, help="people whose pages are read")
    parser.add_argument("--racers", type=int, default=500)
    parser.add_argument("--seats", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_people(people: int, racers: int, seats: int) -> dict[str, Any]:
    """An election: ``people`` invited (their page tokens), and a ``seats``-seat
    shift given up by ``racers`` people (their accept forms)."""
    from django.utils import timezone

    from portal.views import answer_token
    from staffing import services
    from staffing.links import issue_links
    from staffing.models import Assignment, PersonalLink, hash_token
    from tests import factories as f

    # The factories number what they make from 1; a rerun in the same database
    # starts where the rows end, so names stay unique.
    f._seq = itertools.count(int(time.time()))
    election = f.election(name=f"Portal load bench {timezone.now():%Y-%m-%d %H:%M:%S}")
    page_shift = f.shift(election, capacity=people, start=7, end=12)
    invitees = [f.volunteer("email") for _n in range(people)]
    services.invite(page_shift, invitees, by=None)
    page_tokens = issue_links([(v, election) for v in invitees])

    race_shift = f.shift(election, capacity=seats, start=14, end=20)
    now = timezone.now()
    racers_people = [f.volunteer("email") for _n in range(racers)]
    seats_given_up = Assignment.objects.bulk_create(
        Assignment(
            shift=race_shift,
            volunteer=v,
            status=Assignment.Status.DECLINED,
            invited_at=now,
            responded_at=now,
        )
        for v in racers_people
    )
    race_tokens = issue_links([(v, election) for v in racers_people])
    links = {
        link.token_hash: link
        for link in PersonalLink.objects.filter(election=election, volunteer__in=racers_people)
    }
    forms = [
        (token, seat.pk, answer_token(links[hash_token(token)], seat.pk))
        for seat, token in zip(seats_given_up, race_tokens, strict=True)
    ]
    return {"election": election, "page_tokens": page_tokens, "forms": forms, "race": race_shift}


def start_gunicorn(
    port: int, workers: int, database_url: str, extra_env: dict[str, str] | None = None
) -> subprocess.Popen:
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "EMAIL_"))},
        "DJANGO_ENV": "production",
        "POLLCREW_ALLOW_UNSAFE_PRODUCTION": "true",  # plain http on loopback, on purpose
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": base,
        "DATABASE_URL": database_url,
        "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/14"),
        "EMAIL_URL": "memorymail://",
        "CELERY_BROKER_URL": "memory://",
        "SMS_BACKEND": "notifications.sms.LocmemBackend",
        "SECURE_SSL_REDIRECT": "false",
        "PORTAL_REQUESTS_PER_MINUTE": "100000000",  # every client is 127.0.0.1 here
        # The manifest collectstatic writes for production (below): the page's
        # stylesheet and script addresses are looked up in it, as in production.
        "STATIC_ROOT": str(STATIC_ROOT),
        **(extra_env or {}),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [
            sys.executable,
            "-m",
            "gunicorn",
            "pollcrew.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=5):  # noqa: S310
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("gunicorn stopped while starting") from None
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


async def read_pages(base: str, tokens: list[str], clients: int, seconds: float) -> dict:
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.perf_counter() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop:
            token = random.choice(tokens)
            started = time.perf_counter()
            async with session.get(f"{base}/v/{token}/") as response:
                await response.read()
            latencies.append(time.perf_counter() - started)
            statuses[response.status] = statuses.get(response.status, 0) + 1

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Warm up: every worker has loaded its URLconf and templates.
        await asyncio.gather(*(session.get(f"{base}/v/{t}/") for t in tokens[: clients * 2]))
        began = time.perf_counter()
        await asyncio.gather(*(client(session) for _n in range(clients)))
        elapsed = time.perf_counter() - began
    ms = [value * 1000 for value in latencies]
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / elapsed),
        "p50_ms": round(statistics.median(ms), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
        "statuses": statuses,
    }


async def race(base: str, forms: list[tuple[str, int, str]]) -> dict:
    import aiohttp

    ready = asyncio.Event()

    async def press(token: str, seat: int, form_token: str) -> int:
        async with aiohttp.ClientSession() as session:
            await ready.wait()
            async with session.post(
                f"{base}/v/{token}/a/{seat}/accept/",
                data={"answer_token": form_token},
                allow_redirects=False,
            ) as response:
                return response.status

    tasks = [asyncio.create_task(press(*form)) for form in forms]
    await asyncio.sleep(0.5)  # every client connected and waiting
    began = time.perf_counter()
    ready.set()
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    statuses: dict[int, int] = {}
    for status in results:
        statuses[status] = statuses.get(status, 0) + 1
    # What each was told is a flash message, which production keeps in a Secure
    # cookie that plain http does not bring back: the database says who got a
    # seat (tests/test_concurrent_answers.py checks the words, on http).
    return {
        "racers": len(forms),
        "seconds": round(elapsed, 2),
        "statuses": statuses,
        "server_errors": sum(1 for status in results if status >= 500),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (the benchmark's own).")
    os.environ["SECRET_KEY"] = SECRET_KEY
    configure_django("city", fresh=False)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from staffing.models import Assignment

    data = make_people(args.people, args.racers, args.seats)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_gunicorn(port, args.workers, os.environ["DATABASE_URL"])
    try:
        pages = asyncio.run(read_pages(base, data["page_tokens"], args.clients, args.seconds))
        raced = asyncio.run(race(base, data["forms"]))
    finally:
        process.terminate()
        process.wait(timeout=30)
    raced["seats_taken"] = Assignment.objects.filter(
        shift=data["race"], status=Assignment.Status.ACCEPTED
    ).count()
    raced["still_given_up"] = Assignment.objects.filter(
        shift=data["race"], status=Assignment.Status.DECLINED
    ).count()
    raced["seats"] = args.seats
    out = {"workers": args.workers, "clients": args.clients, "pages": pages, "race": raced}
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "portal_load.json").write_text(json.dumps(out, indent=2))
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = run(args)
    pages, raced = out["pages"], out["race"]
    print(f"gunicorn --workers {out['workers']}, {out['clients']} concurrent clients")
    print("| measured | value |")
    print("|---|---:|")
    print(f"| personal page, requests/s | {pages['per_second']} |")
    print(f"| p50 / p99 / max ms | {pages['p50_ms']} / {pages['p99_ms']} / {pages['max_ms']} |")
    print(f"| page statuses | {pages['statuses']} |")
    print(
        f"| race: {raced['racers']} people for {raced['seats']} seats | "
        f"{raced['seats_taken']} taken, {raced['still_given_up']} refused (still declined), "
        f"{raced['server_errors']} 5xx, statuses {raced['statuses']}, {raced['seconds']} s |"
    )
    ok = raced["seats_taken"] == raced["seats"] and raced["server_errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
