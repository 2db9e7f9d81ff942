"""Benchmark the coordinator's pages at town, city and national scale: the board
(with its dashboard), the board filtered, the board of an election without seats
(its next steps), a station page, and the dashboard's read model on its own.

    .venv/bin/python -m bench.coordinator_page --scale town
    .venv/bin/python -m bench.coordinator_page --scale all --requests 20
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pollcrew_bench \\
        .venv/bin/python -m bench.coordinator_page --scale all

Without DATABASE_URL each scale gets its own SQLite file, var/bench-<scale>.sqlite3
(never the development database). The script migrates the database, generates
the scale's data (timed; --reuse keeps data from an earlier run), logs a
coordinator in with Django's test client and requests each page: once to warm
up, once counting queries, then N times for the median and 95th percentile of
the time spent in Django (middleware, view, template; no network).

The generator makes no messages; the benchmark adds one per invitation (1 in 50
failed, as a bounced email would) the first time, so that the dashboard's count of
failed messages runs over a full outbox.

DEBUG is off (unless set in the environment), as in production, so that query
logging does not distort the times. Results are also written as JSON to
bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
SCALES = ("town", "city", "national")
COORDINATOR = "bench-koordinator@pollcrew.bench"
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway benchmark login


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.coordinator_page",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=(*SCALES, "all"), default="town")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of an earlier run if it is there"
    )
    return parser.parse_args(argv)


def configure_django(scale: str, *, fresh: bool) -> None:
    if not os.environ.get("DATABASE_URL"):
        path = BASE_DIR / "var" / f"bench-{scale}.sqlite3"
        path.parent.mkdir(exist_ok=True)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollcrew.settings")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def prepare(scale_name: str, *, reuse: bool) -> tuple[Any, dict[str, Any]]:
    from django.core.management import call_command

    from bench import datagen
    from elections.models import Election

    call_command("migrate", verbosity=0, interactive=False)
    scale = datagen.SCALES[scale_name]
    info: dict[str, Any] = {}
    election = (
        Election.objects.filter(shifts__station__area__name=scale.areas[0][0]).distinct().first()
        if reuse
        else None
    )
    if election is None:
        started = time.perf_counter()
        datagen.flush_domain()
        info["flush_s"] = round(time.perf_counter() - started, 2)
        result = datagen.generate(scale, progress=lambda line: print(f"  generate {line}"))
        election = result.election
        info["generate_s"] = round(result.seconds, 1)
        info["counts"] = result.counts
        for line in result.lines():
            print(line)
    else:
        print(f"Reusing {election}")
    return election, info


def coordinator_client():
    from django.test import Client

    from accounts import services
    from accounts.models import User

    user = User.objects.filter(email=COORDINATOR).first() or User(email=COORDINATOR)
    user.set_password(PASSWORD)
    user.save()
    services.grant_role(user, "coordinator", by=None)
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host with DEBUG off
    if not client.login(email=COORDINATOR, password=PASSWORD):
        raise SystemExit("The benchmark coordinator could not log in.")
    return client


def ensure_messages(election) -> int:
    """One outbox row per invitation of ``election`` (every 50th failed), unless
    there are some already. Returns how many messages are about its seats."""
    from django.db import connection

    from notifications.models import Message
    from staffing.models import Assignment

    assignments = Assignment.objects.filter(shift__election=election)
    about = Message.objects.filter(
        subject_type="staffing.assignment", subject_id__in=assignments.values("pk")
    )
    if about.exists():
        return about.count()
    started = time.perf_counter()
    rows = [
        Message(
            channel="email",
            to=f"bench-{pk}@example.com",
            subject_type="staffing.assignment",
            subject_id=pk,
            kind="invitation",
            language="da",
            body="Bench",
            status=Message.Status.FAILED if i % 50 == 0 else Message.Status.DELIVERED,
            idempotency_key=f"bench-invitation-{pk}",
            last_error="550 5.1.1 no such user" if i % 50 == 0 else "",
        )
        for i, pk in enumerate(assignments.values_list("pk", flat=True).iterator())
    ]
    Message.objects.bulk_create(rows, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE notifications_message")
    print(f"  messages: {len(rows)} in {time.perf_counter() - started:.1f}s")
    return len(rows)


def empty_election(like):
    """A draft election over the same areas, without seats: the board's next steps."""
    from elections.models import Election

    name = f"{like.name} (bench, without seats)"
    election = Election.objects.filter(name=name).first()
    if election is None:
        election = Election.objects.create(
            name=name,
            kind=like.kind,
            election_date=like.election_date,
            status=Election.Status.DRAFT,
        )
        election.areas.set(like.areas.all())
    return election


def measure_call(fn, requests: int) -> dict[str, Any]:
    """A read model on its own: queries and times of ``fn()``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    with CaptureQueriesContext(connection) as queries:
        fn()
    sql = [q["sql"] for q in queries.captured_queries]
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "url": "(read model)",
        "queries": len(sql),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "kb": 0,
        "sql": sql,
    }


def measure(client, url: str, requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        return response

    get()  # warm up: connection, templates, translations
    with CaptureQueriesContext(connection) as queries:
        response = get()
    # Read now: captured_queries is a view of the connection's log, which the
    # next request resets.
    sql = [q["sql"] for q in queries.captured_queries]
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "url": url,
        "queries": len(sql),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "kb": round(len(response.content) / 1024, 1),
        "sql": sql,
    }


def run_one(scale: str, requests: int, reuse: bool) -> dict[str, Any]:
    configure_django(scale, fresh=not reuse)
    from django.db import connection
    from django.db.models import Sum
    from django.urls import reverse

    from elections.models import Shift
    from staffing.dashboard import dashboard

    election, info = prepare(scale, reuse=reuse)
    info["messages"] = ensure_messages(election)
    client = coordinator_client()
    biggest = (
        Shift.objects.filter(election=election)
        .values("station_id")
        .annotate(seats=Sum("capacity"))
        .order_by("-seats", "station_id")
        .first()
    )
    board = reverse("staffing:board", args=[election.pk])
    pages = {
        "board": board,
        "board, filtered": f"{board}?understaffed=on&q=skolen",
        "board, no seats yet": reverse("staffing:board", args=[empty_election(election).pk]),
        # The station with the most seats: the biggest roster there is.
        "station": reverse("staffing:station", args=[election.pk, biggest["station_id"]]),
    }
    pages_measured = {name: measure(client, url, requests) for name, url in pages.items()}
    pages_measured["station"]["seats"] = biggest["seats"]
    shifts = Shift.objects.filter(election=election)
    # The board's and the dashboard's counting without the page around it.
    pages_measured["counts (read models)"] = measure_call(
        lambda: dashboard(election, shifts, whole=True), requests
    )
    result = {
        "scale": scale,
        "database": connection.vendor,
        "requests": requests,
        **info,
        "pages": pages_measured,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{connection.vendor}-{scale}.json").write_text(json.dumps(result, indent=2))
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    print()
    print("| scale | database | generate | page | queries | median ms | p95 ms |")
    print("|---|---|---:|---|---:|---:|---:|")
    for r in results:
        generate = f"{r['generate_s']:.1f} s" if "generate_s" in r else "reused"
        for name, page in r["pages"].items():
            print(
                f"| {r['scale']} | {r['database']} | {generate} | {name} | {page['queries']} "
                f"| {page['median_ms']} | {page['p95_ms']} |"
            )
    for name in results[0]["pages"] if results else ():
        counts = {r["scale"]: r["pages"][name]["queries"] for r in results}
        if len(set(counts.values())) > 1:
            print(f"\nWARNING: the {name} page's query count grows with the data: {counts}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.scale != "all":
        print_table([run_one(args.scale, args.requests, args.reuse)])
        return 0
    results = []
    for scale in SCALES:  # one process per scale: Django is set up once per process
        print(f"=== {scale} ===", flush=True)
        command = [sys.executable, "-m", "bench.coordinator_page", "--scale", scale]
        command += ["--requests", str(args.requests)] + (["--reuse"] if args.reuse else [])
        subprocess.run(command, check=True, cwd=BASE_DIR)  # noqa: S603 - our own module
        vendor = (
            "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
        )
        results.append(json.loads((RESULTS_DIR / f"{vendor}-{scale}.json").read_text()))
    print("\n=== all scales ===")
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
