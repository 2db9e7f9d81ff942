"""Benchmark an invitation round: N people invited through the staffing services,
their messages queued in the outbox and handed to the broker, as the request that
sends a round does it (issue 9's target: 10,000 in at most 3 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pollcrew_national \\
        .venv/bin/python -m bench.invite_round --scale national --reuse
    ... --people 1000 --profile

The data is bench.datagen's (national scale holds the 100,000 volunteers a round
of 10,000 needs). The benchmark adds a shift of its own to the generated
election, on the day before election day with room for everyone, invites the
first N volunteers without a seat in the election (``staffing.services.invite``:
one call, as the invite page makes it), lets the transaction commit (the
messages are dispatched on commit: a task per chunk of 250 for a round this
size (notifications.services.dispatch_messages), to ``--redis``, a database of
its own with no worker on it), and removes what it
made afterwards (the shift, assignments, messages; the queued tasks purged).

What is measured (wall clock and CPU of this process):

- **invite**: the service call in its transaction (rules, assignments, audit
  entries, personal links, messages rendered and stored);
- **dispatch on commit**: publishing the delivery tasks;
- **round**: both, what the coordinator waits for.

The process is warmed up first as a running server is (the URLconf loaded).

``--profile`` prints the 35 costliest functions (cumulative). Results are also
written as JSON to bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from datetime import timedelta
from typing import Any

from bench.coordinator_page import RESULTS_DIR, SCALES, configure_django, prepare


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.invite_round",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=SCALES, default="national")
    parser.add_argument("--people", type=int, default=10_000, help="people to invite")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/12", help="the broker (a database of its own)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the generated data")
    parser.add_argument("--profile", action="store_true", help="cProfile the round")
    return parser.parse_args(argv)


def clean_up(shift: Any, since: Any = None) -> None:
    from notifications.models import Message
    from staffing.models import Assignment, PersonalLink

    assignments = Assignment.objects.filter(shift=shift)
    ids = list(assignments.values_list("pk", flat=True))
    Message.objects.filter(subject_type="staffing.assignment", subject_id__in=ids).delete()
    volunteers = list(assignments.values_list("volunteer_id", flat=True))
    if since is not None:
        PersonalLink.objects.filter(
            volunteer_id__in=volunteers, election=shift.election, created_at__gte=since
        ).delete()
    assignments.delete()
    shift.delete()


def bench_shift(election: Any, capacity: int) -> Any:
    from elections.models import Shift

    for old in Shift.objects.filter(election=election, capacity__gte=1000):
        clean_up(old)  # an earlier run that did not finish
    first = Shift.objects.filter(election=election).order_by("starts_at").first()
    starts = first.starts_at - timedelta(days=1)
    return Shift.objects.create(
        election=election,
        station=first.station,
        role=first.role,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=capacity,
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ["CELERY_BROKER_URL"] = args.redis
    configure_django(args.scale, fresh=not args.reuse)
    from django.db import connection, transaction

    from pollcrew.celery import app
    from staffing import services
    from volunteers.models import Volunteer

    election, info = prepare(args.scale, reuse=args.reuse)
    shift = bench_shift(election, args.people)
    people = list(
        Volunteer.objects.exclude(assignments__shift__election=election)
        .filter(do_not_contact=False)
        .order_by("pk")[: args.people]
    )
    if len(people) < args.people:
        raise SystemExit(f"Only {len(people)} people without a seat; {args.people} asked for.")
    app.control.purge()
    from django.urls import reverse
    from django.utils import timezone

    # What a running server has done long before: the URLconf loaded (its first
    # reverse() imports every view module: ~1.5 s of a cold process).
    reverse("portal:home", args=["warm-up"])

    since = timezone.now()
    profile = cProfile.Profile() if args.profile else None
    marks: dict[str, float] = {}
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        with transaction.atomic():
            result = services.invite(shift, people, by=None)
            marks["invite"] = time.perf_counter() - wall
            marks["invite_cpu"] = time.process_time() - cpu
        if profile:
            profile.disable()
        marks["round"] = time.perf_counter() - wall
        marks["round_cpu"] = time.process_time() - cpu
    finally:
        clean_up(shift, since)
        app.control.purge()
    invited = len(result.invited)
    out = {
        "scale": args.scale,
        "database": connection.vendor,
        **info,
        "people": args.people,
        "invited": invited,
        "refused": len(result.refused),
        "invite_s": round(marks["invite"], 2),
        "invite_cpu_s": round(marks["invite_cpu"], 2),
        "dispatch_s": round(marks["round"] - marks["invite"], 2),
        "round_s": round(marks["round"], 2),
        "round_cpu_s": round(marks["round_cpu"], 2),
        "per_second": round(invited / marks["round"]),
    }
    if profile:
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(35)
        print(text.getvalue())
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"invite_round-{connection.vendor}-{args.scale}.json").write_text(
        json.dumps(out, indent=2)
    )
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    r = run(args)
    print()
    print(
        f"{r['invited']} invited, {r['refused']} refused ({r['scale']}, {r['database']}, "
        "messages dispatched to Redis)"
    )
    print("| measured | wall s | CPU s |")
    print("|---|---:|---:|")
    print(f"| invite (the service, in its transaction) | {r['invite_s']} | {r['invite_cpu_s']} |")
    print(f"| dispatch on commit | {r['dispatch_s']} | |")
    print(f"| round | {r['round_s']} | {r['round_cpu_s']} |")
    print(f"{r['per_second']} invitations a second (target: 10,000 in 3 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
