"""Benchmark the station roster PDF: a station with 120 people on one day
(documents.rosters.render_station_roster), in a database at town, city or
national scale.

    .venv/bin/python -m bench.roster --scale town
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pollcrew_roster \\
        .venv/bin/python -m bench.roster --scale national --renders 20 --reuse

The data is bench.datagen's (generated once; --reuse keeps it). The benchmark adds
one station of its own to the generated election's first area, "Roster bench
school", with five shifts on election day (chairs, the secretary, poll clerks all
day and until 14:00, counters overnight: 126 seats) and 120 accepted people taken
from the register (volunteers without a seat in the election), so the roster is
the same whatever the scale. Running it again replaces that station's shifts.

What is measured, each as the median (and 95th percentile) of N renders after
one warm-up:

- **roster**: ``render_station_roster`` end to end, as the view calls it
  (queries, template, WeasyPrint);
- **html**: the queries and the template alone;
- **weasyprint**: WeasyPrint alone on that HTML (``render_pdf_styled`` with the
  stylesheet parsed once, as render_station_roster does): the floor for this page;
- **weasyprint, linked css**: ``render_pdf`` of the HTML that links its stylesheet
  (what the batch engine renders), for comparison.

Each row also gives the median CPU time of the process: on a shared machine
the wall clock counts the time other processes had the cores.

``--profile`` prints the 30 costliest functions (cProfile, cumulative time) of
one more WeasyPrint render. Results are also written as JSON to bench/results/
(not committed).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any

from bench.coordinator_page import RESULTS_DIR, SCALES, configure_django, percentile, prepare

STATION_NAME = "Roster bench school"
# (role short name in bench.scales, start, end, next day?, seats, people)
SHIFTS = (
    ("VS", clock(7, 30), clock(20), False, 5, 5),
    ("SEK", clock(7), clock(20), False, 1, 1),
    ("TF", clock(7, 30), clock(20), False, 70, 66),
    ("TF", clock(7, 30), clock(14), False, 20, 18),
    ("FT", clock(20), clock(1), True, 30, 30),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.roster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=SCALES, default="national")
    parser.add_argument("--renders", type=int, default=20, help="timed renders of each kind")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of an earlier run if it is there"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one WeasyPrint render"
    )
    return parser.parse_args(argv)


def bench_station(election: Any) -> Any:
    """The benchmark's station with its 126 seats and 120 accepted people."""
    from django.db import transaction
    from django.utils import timezone

    from elections.models import Role, Shift
    from polling_stations.models import PollingStation
    from staffing.models import Assignment
    from volunteers.models import Volunteer

    first = Shift.objects.filter(election=election).select_related("station__area").first()
    if first is None:
        raise SystemExit(f"{election} has no shifts: generate the data first.")
    station, _ = PollingStation.objects.get_or_create(
        area=first.station.area,
        name=STATION_NAME,
        defaults={"address": "Skolevej 1", "postal_code": "8000", "city": "Aarhus C"},
    )
    roles = {r.short_name: r for r in Role.objects.all()}
    missing = {spec[0] for spec in SHIFTS} - set(roles)
    if missing:
        raise SystemExit(f"Roles missing (not bench.datagen's data?): {sorted(missing)}")
    needed = sum(spec[5] for spec in SHIFTS)
    people = list(
        Volunteer.objects.exclude(assignments__shift__election=election)
        .order_by("pk")
        .values_list("pk", flat=True)[:needed]
    )
    if len(people) < needed:
        raise SystemExit(f"Only {len(people)} volunteers without a seat; {needed} needed.")
    tz = timezone.get_current_timezone()
    day = election.election_date
    now = timezone.now()
    with transaction.atomic():
        Assignment.objects.filter(shift__station=station).delete()
        Shift.objects.filter(station=station).delete()
        taken = iter(people)
        rows = []
        for short, start, end, next_day, seats, filled in SHIFTS:
            ends_on = day + timedelta(days=1) if next_day else day
            shift = Shift.objects.create(
                election=election,
                station=station,
                role=roles[short],
                starts_at=datetime.combine(day, start, tzinfo=tz),
                ends_at=datetime.combine(ends_on, end, tzinfo=tz),
                capacity=seats,
            )
            rows += [
                Assignment(
                    shift=shift,
                    volunteer_id=next(taken),
                    status=Assignment.Status.ACCEPTED,
                    invited_at=now - timedelta(days=3),
                    responded_at=now - timedelta(days=2),
                )
                for _ in range(filled)
            ]
        Assignment.objects.bulk_create(rows)
    return station


def timed(fn: Any, renders: int) -> tuple[dict[str, float], Any]:
    """Wall-clock median, 95th percentile and minimum of ``renders`` calls, and
    the median CPU time of this process (on a shared machine the wall clock also
    counts the time other processes had the cores)."""
    result = fn()  # warm up
    times, cpu = [], []
    for _ in range(renders):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "min_ms": round(min(times), 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
    }, result


def pdf_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def run(args: argparse.Namespace) -> dict[str, Any]:
    configure_django(args.scale, fresh=not args.reuse)
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext

    from documents.rendering import render_pdf, render_pdf_styled
    from documents.rosters import (
        ROSTER_STYLESHEET,
        render_station_roster,
        render_station_roster_html,
        roster_context,
    )
    from polling_stations.models import PollingStation

    election, info = prepare(args.scale, reuse=args.reuse)
    station = bench_station(election)
    station = PollingStation.objects.select_related("area").get(pk=station.pk)
    day = election.election_date

    def roster() -> bytes:
        return render_station_roster(election, station, day)

    def html() -> str:  # as render_station_roster makes it: the stylesheet given apart
        context = roster_context(election, station, day)
        return render_to_string("pdf/roster.html", {**context, "stylesheet_given": True})

    page = html()
    linked = render_station_roster_html(election, station, day)
    measured: dict[str, Any] = {}
    measured["roster"], pdf = timed(roster, args.renders)
    measured["html"], _ = timed(html, args.renders)
    measured["weasyprint"], _ = timed(
        lambda: render_pdf_styled(page, [ROSTER_STYLESHEET]), args.renders
    )
    # What the batch engine does with the same roster: the HTML links its stylesheet.
    measured["weasyprint, linked css"], _ = timed(lambda: render_pdf(linked), args.renders)
    with CaptureQueriesContext(connection) as queries:
        roster()
    result = {
        "scale": args.scale,
        "database": connection.vendor,
        "renders": args.renders,
        **info,
        "people": sum(spec[5] for spec in SHIFTS),
        "seats": sum(spec[4] for spec in SHIFTS),
        "pages": pdf_pages(pdf),
        "queries": len(queries.captured_queries),
        "kb": round(len(pdf) / 1024, 1),
        "times": measured,
    }
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(render_pdf_styled, page, [ROSTER_STYLESHEET])
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"roster-{connection.vendor}-{args.scale}.json").write_text(
        json.dumps(result, indent=2)
    )
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    r = run(args)
    print()
    print(
        f"{r['people']} people, {r['seats']} seats, {r['pages']} pages, {r['kb']} KB, "
        f"{r['queries']} queries ({r['scale']}, {r['database']}, {r['renders']} renders)"
    )
    print("| measured | median ms | p95 ms | min ms | CPU median ms |")
    print("|---|---:|---:|---:|---:|")
    for name, t in r["times"].items():
        print(
            f"| {name} | {t['median_ms']} | {t['p95_ms']} | {t['min_ms']} | {t['cpu_median_ms']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
