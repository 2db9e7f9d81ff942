"""Benchmark the volunteer list, its search and a volunteer's page at town, city
and national scale (100,000 volunteers).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pollcrew_bench_volunteers \\
        .venv/bin/python -m bench.volunteer_search --scale national
    .venv/bin/python -m bench.volunteer_search --scale town --reuse

Like bench.coordinator_page (whose helpers it uses): migrate, generate the
scale's data (or --reuse it), log a coordinator in with Django's test client,
then per page one warm-up request, one counting queries, and N timed requests
(median and 95th percentile of the time spent in Django), then N more for the
median CPU time of Django's process and, with PostgreSQL on this machine, of the
database's process serving the connection (on a busy machine the wall-clock
times include waiting for a core; the CPU times do not). On PostgreSQL it also
prints the plan of the search query, to show which index serves it.

The target (issue 7): search over 100,000 volunteers in at most 100 ms median,
with a constant number of queries."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.coordinator_page import (
    RESULTS_DIR,
    SCALES,
    configure_django,
    coordinator_client,
    measure,
    prepare,
)

SEARCHES = {
    "search: first name, Danish letter folded (soren)": {"q": "soren"},
    "search: last name with digraph (kjaergaard)": {"q": "kjaergaard"},
    "search: first and last name (anne ostergard)": {"q": "anne ostergard"},
    "search: email fragment (@example.net)": {"q": "example.net"},
    "search: rare fragment, no match (zzqx)": {"q": "zzqx"},
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.volunteer_search",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=SCALES, default="town")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of an earlier run if it is there"
    )
    return parser.parse_args(argv)


def settle() -> None:
    """What autovacuum does soon after a bulk load: move new rows out of the GIN
    index's pending list and refresh the planner's statistics."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE volunteers_volunteer")


def plan(query: str) -> str:
    from django.db import connection

    from staffing.access import visible_volunteers
    from volunteers import search

    if connection.vendor != "postgresql":
        return ""
    from accounts.models import User
    from bench.coordinator_page import COORDINATOR

    user = User.objects.get(email=COORDINATOR)
    found = search.in_danish_order(search.matching(visible_volunteers(user), query))[:50]
    return found.explain()


def database_cpu_ms() -> Any:
    """A function returning the CPU time (ms) the database server has spent so far
    on this connection, or None where it cannot be read: PostgreSQL on this
    machine (its backend's /proc/<pid>/schedstat, nanoseconds on a core)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        path = Path(f"/proc/{cursor.fetchone()[0]}/schedstat")
    if not path.exists():
        return None
    return lambda: int(path.read_text().split()[0]) / 1e6


def cpu_median(client: Any, url: str, requests: int) -> tuple[float, float | None]:
    """The median CPU time per request of this process (Django's own work) and of
    the database server's process for this connection (PostgreSQL on this
    machine): on a busy machine wall-clock times include waiting for a core,
    these do not."""
    client.get(url)  # the connection, and with it the database process, is open
    db_cpu = database_cpu_ms()
    times, db_times = [], []
    for _ in range(requests):
        started, db_started = time.process_time(), db_cpu() if db_cpu else 0.0
        client.get(url)
        times.append((time.process_time() - started) * 1000)
        if db_cpu:
            db_times.append(db_cpu() - db_started)
    db = round(statistics.median(db_times), 1) if db_times else None
    return round(statistics.median(times), 1), db


def run(scale: str, requests: int, reuse: bool) -> dict[str, Any]:
    configure_django(scale, fresh=not reuse)
    from django.db import connection
    from django.urls import reverse

    from staffing.models import Assignment
    from volunteers.models import Volunteer

    election, info = prepare(scale, reuse=reuse)
    settle()
    client = coordinator_client()
    base = reverse("staffing:volunteers")
    pages: dict[str, str] = {"list, first page": base, "list, page 40": f"{base}?page=40"}
    for name, params in SEARCHES.items():
        pages[name] = f"{base}?{urlencode(params)}"
    phone = Volunteer.objects.exclude(phone="").order_by("pk").values_list("phone", flat=True)[0]
    pages["search: a mobile number"] = f"{base}?{urlencode({'q': phone[3:]})}"
    pages["search + accepted in the election"] = (
        f"{base}?{urlencode({'q': 'jensen', 'election': election.pk, 'status': 'accepted'})}"
    )
    pages["search + invited in the election"] = (
        f"{base}?{urlencode({'q': 'jensen', 'election': election.pk, 'status': 'invited'})}"
    )
    pages["no seat in the election, page 1"] = (
        f"{base}?{urlencode({'election': election.pk, 'status': 'no_seat'})}"
    )
    busiest = (
        Assignment.objects.filter(shift__election=election).values_list("volunteer_id", flat=True)
    ).first()
    pages["a volunteer's page"] = reverse("staffing:volunteer", args=[busiest])
    measured = {name: measure(client, url, requests) for name, url in pages.items()}
    for name, url in pages.items():
        measured[name]["cpu_ms"], measured[name]["db_cpu_ms"] = cpu_median(client, url, requests)
    from accounts.models import User
    from bench.coordinator_page import COORDINATOR
    from staffing.volunteer_list import filtered

    user = User.objects.get(email=COORDINATOR)
    counts = {
        "volunteers": Volunteer.objects.count(),
        "matches": {name: filtered(user, params).count() for name, params in SEARCHES.items()},
    }
    result = {
        "scale": scale,
        "database": connection.vendor,
        "requests": requests,
        **info,
        **counts,
        "pages": measured,
        "plans": {q: plan(q) for q in ("kjaergaard", "soren")},
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"volunteers-{connection.vendor}-{scale}.json"
    path.write_text(json.dumps(result, indent=2))
    return result


def print_result(r: dict[str, Any]) -> None:
    print()
    print(f"{r['volunteers']} volunteers, {r['database']}, {r['requests']} requests per page")
    print("| page | matches | queries | median ms | p95 ms | Django CPU ms | DB CPU ms | KB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, page in r["pages"].items():
        matches = r["matches"].get(name, "")
        db_cpu = page.get("db_cpu_ms")
        print(
            f"| {name} | {matches} | {page['queries']} | {page['median_ms']} "
            f"| {page['p95_ms']} | {page['cpu_ms']} | {'' if db_cpu is None else db_cpu} "
            f"| {page['kb']} |"
        )
    for query, text in r["plans"].items():
        if text:
            print(f"\nPlan of the search for {query!r} (first page):\n{text}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print_result(run(args.scale, args.requests, args.reuse))
    return 0


if __name__ == "__main__":
    sys.exit(main())
