"""Benchmark open sign-up under a rush: ``--people`` newcomers (default 200) ask
for a one-time code for the same ``--seats``-seat shift (default 5) at the same
moment, then all type their code back at the same moment (issue 10: exactly 5
seats taken, every other person told plainly, zero 5xx), on gunicorn with the
README's production settings, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pc_signup \\
        .venv/bin/python -m bench.signup_load [--people 200] [--seats 5]

The benchmark makes its own election and sign-up link in the database (left
there: use a database of its own), starts gunicorn on loopback (``--workers``,
default 4; plain http; the per-sender limits raised, since every client is
127.0.0.1 here) and drives it with aiohttp from this process. Each person's code
is read from the outbox's copy of their SMS (no worker sends it). Who got a seat
is read from the database afterwards: production keeps the page's message in a
Secure cookie, which plain http does not bring back.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import sys
import time
from typing import Any

from bench.coordinator_page import RESULTS_DIR, configure_django
from bench.portal_load import SECRET_KEY, free_port, start_gunicorn

STATE = re.compile(r'name="state" value="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--seats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    return parser.parse_args(argv)


def make_shift(seats: int) -> dict[str, Any]:
    from django.utils import timezone

    from portal.signup import form_token
    from staffing import signup as reading
    from staffing.services import signup as services
    from tests import factories as f

    f._seq = itertools.count(int(time.time()))
    election = f.election(name=f"Sign-up bench {timezone.now():%Y-%m-%d %H:%M:%S}")
    shift = f.shift(election, capacity=seats)
    link = services.create_signup_link(election, by=None, label="Bench")
    return {
        "shift": shift,
        "link": link,
        "token": reading.link_token(link),
        "form_token": form_token(link),
    }


def phone_of(i: int, stamp: int) -> str:
    return f"+4521{(stamp + i) % 1_000_000:06d}"


async def rush(base: str, data: dict[str, Any], people: int, stamp: int) -> dict[str, Any]:
    import aiohttp
    from asgiref.sync import sync_to_async

    token, shift_id = data["token"], data["shift"].pk
    go_ask, go_confirm = asyncio.Event(), asyncio.Event()
    asked: dict[int, tuple[int, str]] = {}
    confirmed: list[int] = []
    timings: dict[str, float] = {}

    async def person(i: int, session: aiohttp.ClientSession) -> None:
        await go_ask.wait()
        async with session.post(
            f"{base}/s/{token}/shift/{shift_id}/",
            data={
                "form_token": data["form_token"],
                "first_name": f"P{i:03d}",
                "last_name": f"Rush{stamp}",
                "birth_date": "1990-01-01",
                "phone": phone_of(i, stamp),
                "proved": "sms",
                "lang": "en",
            },
        ) as response:
            text = await response.text()
            found = STATE.search(text)
            asked[i] = (response.status, found.group(1) if found else "")

    def codes() -> dict[str, str]:
        from notifications.models import Message

        rows = Message.objects.filter(
            kind="one_time_code", to__in=[phone_of(i, stamp) for i in asked]
        )
        return {m.to: CODE.search(m.body).group(1) for m in rows}

    async def confirm(i: int, code: str, session: aiohttp.ClientSession) -> None:
        await go_confirm.wait()
        async with session.post(
            f"{base}/s/{token}/confirm/",
            data={
                "form_token": data["form_token"],
                "state": asked[i][1],
                "code": code,
                "lang": "en",
            },
            allow_redirects=False,
        ) as response:
            await response.read()
            confirmed.append(response.status)

    connector = aiohttp.TCPConnector(limit=people)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(person(i, session)) for i in range(people)]
        await asyncio.sleep(0.5)
        began = time.perf_counter()
        go_ask.set()
        await asyncio.gather(*tasks)
        timings["ask_seconds"] = round(time.perf_counter() - began, 2)
        sent = await sync_to_async(codes)()
        ready = [
            (i, sent[phone_of(i, stamp)])
            for i, (status, state) in asked.items()
            if status == 200 and state and phone_of(i, stamp) in sent
        ]
        tasks = [asyncio.create_task(confirm(i, code, session)) for i, code in ready]
        await asyncio.sleep(0.5)
        began = time.perf_counter()
        go_confirm.set()
        await asyncio.gather(*tasks)
        timings["confirm_seconds"] = round(time.perf_counter() - began, 2)

    def count(statuses: list[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for status in statuses:
            out[status] = out.get(status, 0) + 1
        return out

    ask_statuses = [status for status, _state in asked.values()]
    return {
        "people": people,
        "codes_sent": len(sent),
        "ask_statuses": count(ask_statuses),
        "confirm_statuses": count(confirmed),
        "server_errors": sum(1 for s in ask_statuses + confirmed if s >= 500),
        **timings,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (the benchmark's own).")
    os.environ["SECRET_KEY"] = SECRET_KEY
    configure_django("city", fresh=False)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from staffing.models import Assignment
    from volunteers.models import Volunteer

    data = make_shift(args.seats)
    stamp = int(time.time()) % 1_000_000
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    limits = {
        "PORTAL_CODES_PER_HOUR": "1000000",
        "PORTAL_GUESSES_PER_15_MINUTES": "1000000",
        "SIGNUP_CODES_PER_LINK_PER_HOUR": "1000000",
    }
    process = start_gunicorn(port, args.workers, os.environ["DATABASE_URL"], limits)
    try:
        out = asyncio.run(rush(base, data, args.people, stamp))
    finally:
        process.terminate()
        process.wait(timeout=30)
    out["seats"] = args.seats
    out["seats_taken"] = data["shift"].assignments.holding_seat().count()
    out["people_made"] = Volunteer.objects.filter(last_name=f"Rush{stamp}").count()
    out["refused"] = (
        out["people_made"]
        - Assignment.objects.filter(
            shift=data["shift"], volunteer__last_name=f"Rush{stamp}"
        ).count()
    )
    out["workers"] = args.workers
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "signup_load.json").write_text(json.dumps(out, indent=2))
    return out


def main(argv: list[str] | None = None) -> int:
    out = run(parse_args(argv))
    print(f"gunicorn --workers {out['workers']}")
    print("| measured | value |")
    print("|---|---:|")
    print(
        f"| {out['people']} ask for a code at once | {out['codes_sent']} codes sent, "
        f"statuses {out['ask_statuses']}, {out['ask_seconds']} s |"
    )
    print(
        f"| then all confirm at once, {out['seats']} seats | {out['seats_taken']} taken, "
        f"{out['refused']} told it was full, {out['people_made']} people made once each, "
        f"statuses {out['confirm_statuses']}, {out['confirm_seconds']} s |"
    )
    print(f"| 5xx | {out['server_errors']} |")
    ok = out["seats_taken"] == out["seats"] and out["server_errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
