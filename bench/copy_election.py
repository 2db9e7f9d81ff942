"""Benchmark copying an election (``elections.services.copy_election``): the whole
seat grid, every shift re-dated to the new election day, in one transaction.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pollcrew_copy_bench \\
        .venv/bin/python -m bench.copy_election --scale national --runs 3
    .venv/bin/python -m bench.copy_election --scale town       # SQLite, var/bench-town.sqlite3

The script migrates the database, generates the scale's data unless it is there
already (the same generator and data as bench.coordinator_page, so --reuse of
either serves both), then copies the generated election N times to a date a year
later, timing each copy end to end (the service call: read the source's shifts,
re-date them, check the window, insert, audit, commit) and counting its queries.
After each run the copy is checked (same number of shifts and seats, same team
reservations, no people) and deleted again, untimed, so that runs are alike.

DEBUG is off (unless set in the environment), as in production. The figures are
also written as JSON to bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import timedelta
from typing import Any

from bench.coordinator_page import RESULTS_DIR, SCALES, configure_django, prepare


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.copy_election",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=SCALES, default="town")
    parser.add_argument("--runs", type=int, default=3, help="timed copies")
    parser.add_argument(
        "--reinvite",
        action="store_true",
        help="also time inviting the previous volunteers into an activated copy through "
        "the Celery task, in-process (staffing.reinvite; a chunk of shifts per transaction, "
        "one invitation round per shift, messages queued, not delivered)",
    )
    return parser.parse_args(argv)


def copy_once(source: Any, run: int) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count, Q, Sum
    from django.test.utils import CaptureQueriesContext

    from elections.models import Election, Shift
    from elections.services.copying import copy_election
    from staffing.models import Assignment

    # 364 days: the same weekday a year later (the copy's shifts keep their weekday).
    new_date = source.election_date + timedelta(days=364)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        copy = copy_election(
            source, name=f"Kopi {run} af {source.name}", election_date=new_date, by=None
        )
        seconds = time.perf_counter() - started
    counts = Shift.objects.filter(election=copy).aggregate(
        shifts=Count("pk"),
        seats=Sum("capacity"),
        reserved=Count("pk", filter=Q(team__isnull=False)),
    )
    people = Assignment.objects.filter(shift__election=copy).count()
    started = time.perf_counter()
    Election.objects.filter(pk=copy.pk).delete()  # cascades to its shifts
    cleanup = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "queries": len(queries.captured_queries),
        "cleanup_s": round(cleanup, 2),
        "people": people,
        **counts,
    }


def reinvite_once(source: Any) -> dict[str, Any]:
    """Copy, activate, and invite the source's accepted volunteers again through the
    Celery task (staffing.tasks.reinvite_previous, run in this process as a worker
    would: a chunk of shifts per transaction); then undo it all."""
    from django.db import connection
    from django.urls import reverse

    from elections.models import Election
    from elections.services.copying import copy_election
    from notifications.models import Message
    from pollcrew.celery import app
    from staffing import reinvite
    from staffing.models import Assignment, ReinviteRun
    from staffing.tasks import reinvite_previous

    # The invitation messages are queued and handed to an in-memory broker: the job
    # is measured, not the delivery of thousands of messages. The job itself is run
    # here with apply() (in-process, as a worker runs it), after start() queued it.
    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    reverse("staffing:elections")  # a worker loads the URLconf once, not per job
    copy = copy_election(
        source,
        name="Kopi (genindbydes)",
        election_date=source.election_date + timedelta(days=364),
        by=None,
    )
    Election.objects.filter(pk=copy.pk).update(status=Election.Status.ACTIVE)
    copy.refresh_from_db()
    people = reinvite.previous_seats(copy).count()
    chunks: list[float] = []
    real_chunk = reinvite._chunk

    def timed_chunk(*args: Any, **kwargs: Any) -> bool:
        started = time.perf_counter()
        try:
            return real_chunk(*args, **kwargs)
        finally:
            chunks.append(time.perf_counter() - started)

    reinvite._chunk = timed_chunk  # each chunk is a transaction: how long its locks are held
    try:
        run = reinvite.start(copy, by=None, language="da").run
        queries = 0

        def counted(execute: Any, *args: Any) -> Any:  # no cap, unlike CaptureQueriesContext
            nonlocal queries
            queries += 1
            return execute(*args)

        with connection.execute_wrapper(counted):
            started = time.perf_counter()
            status = reinvite_previous.apply(args=[run.pk]).get()
            seconds = time.perf_counter() - started
    finally:
        reinvite._chunk = real_chunk
    run = ReinviteRun.objects.get(pk=run.pk)
    if status != "done" or run.processed != run.total:
        raise SystemExit(f"Reinvite run {run.pk}: {status}, {run.processed} of {run.total}")
    made = Assignment.objects.filter(shift__election=copy)
    if made.count() != run.invited:
        raise SystemExit(f"Reinvite: {made.count()} assignments for {run.invited} invited")
    Message.objects.filter(
        subject_type=Assignment._meta.label_lower, subject_id__in=made.values("pk")
    ).delete()
    made.delete()
    Election.objects.filter(pk=copy.pk).delete()  # its runs and their rows go along
    return {
        "seconds": round(seconds, 1),
        "queries": queries,
        "previous_seats": people,
        "invited": run.invited,
        "not_invited": run.not_invited,
        "chunks": len(chunks),
        "chunk_median_s": round(statistics.median(chunks), 2),
        "chunk_max_s": round(max(chunks), 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_django(args.scale, fresh=False)
    from django.db import connection
    from django.db.models import Count, Q, Sum

    from elections.models import Election, Shift

    source, info = prepare(args.scale, reuse=True)
    if source.copied_from_id is not None:  # a copy left over by an interrupted run
        source = Election.objects.get(pk=source.copied_from_id)
    Election.objects.filter(copied_from=source, name__startswith="Kopi ").delete()
    expected = Shift.objects.filter(election=source).aggregate(
        shifts=Count("pk"),
        seats=Sum("capacity"),
        reserved=Count("pk", filter=Q(team__isnull=False)),
    )
    print(
        f"Source: {source.name}, {expected['shifts']:,} shifts, {expected['seats']:,} seats "
        f"({expected['reserved']:,} shifts reserved for a team), database {connection.vendor}"
    )
    runs = []
    for run in range(1, args.runs + 1):
        measured = copy_once(source, run)
        for key in ("shifts", "seats", "reserved"):
            if measured[key] != expected[key]:
                raise SystemExit(
                    f"Run {run}: the copy has {measured[key]} {key}, not {expected[key]}"
                )
        if measured["people"]:
            raise SystemExit(f"Run {run}: the copy has {measured['people']} people on it")
        runs.append(measured)
        print(
            f"  run {run}: {measured['seconds']:.2f} s, {measured['queries']} queries "
            f"(deleting the copy again: {measured['cleanup_s']:.2f} s, not counted)",
            flush=True,
        )
    median = statistics.median(r["seconds"] for r in runs)
    print()
    print("| scale | database | shifts | seats | queries | median s | slowest s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print(
        f"| {args.scale} | {connection.vendor} | {expected['shifts']:,} | {expected['seats']:,} "
        f"| {runs[0]['queries']} | {median:.2f} | {max(r['seconds'] for r in runs):.2f} |"
    )
    result = {"scale": args.scale, "database": connection.vendor, **info, **expected, "runs": runs}
    if args.reinvite:
        again = reinvite_once(source)
        result["reinvite"] = again
        print(
            f"\nReinvite (the task, in-process): {again['previous_seats']:,} accepted seats in "
            f"the source → {again['invited']:,} invited, {again['not_invited']:,} not, in "
            f"{again['seconds']} s ({again['queries']:,} queries; {again['chunks']} chunks, "
            f"median {again['chunk_median_s']} s, longest {again['chunk_max_s']} s)"
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"copy-{connection.vendor}-{args.scale}.json").write_text(
        json.dumps(result, indent=2, default=str)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
