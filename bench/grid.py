"""Benchmark the seat grid at town, city or national scale (1,400 stations by 5
roles at national scale): rendering the whole grid of election day, and saving a
whole grid through the service (staffing.services.grid.save_grid) and through
the page (the packed form grid.js posts).

    .venv/bin/python -m bench.grid --scale town
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pollcrew_grid \\
        .venv/bin/python -m bench.grid --scale national --requests 20

The data is bench.datagen's (generated once; --reuse keeps it). What is measured:

- **render**: GET the grid of the generated election's election day (every
  station of every area, every role, on one page): queries, median and 95th
  percentile of the time spent in Django, CPU time of this process, page size.
- **save, new**: a draft election over the same areas, no seats yet; every
  cell of the grid gets a number in ONE save_grid call: one shift per cell
  created (audited), in one transaction.
- **save, resize**: the same grid, every cell a new number: every shift resized.
- **save, page**: the same whole grid through the page: one POST of the 7,000
  packed cells, as grid.js sends them (the form read, the service, the redirect).
- **save, held**: the generated election (people hold seats): every cell one
  number describes gets one more seat.

Each save is timed end to end (transaction and commit included). Results are
also written as JSON to bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

from bench.coordinator_page import (
    RESULTS_DIR,
    SCALES,
    configure_django,
    coordinator_client,
    percentile,
    prepare,
)

BENCH_ELECTION = "Seat grid bench (without seats)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.grid",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=SCALES, default="town")
    parser.add_argument("--requests", type=int, default=20, help="timed requests of the page")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of an earlier run if it is there"
    )
    return parser.parse_args(argv)


def measure_page(client: Any, url: str, requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        return response

    get()  # warm up
    with CaptureQueriesContext(connection) as queries:
        response = get()
    sql = [q["sql"] for q in queries.captured_queries]
    times, cpu = [], []
    for _ in range(requests):
        started, cpu_started = time.perf_counter(), time.process_time()
        get()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return {
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "url": url,
        "queries": len(sql),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "kb": round(len(response.content) / 1024, 1),
        "inputs": response.content.count(b"<input "),
        "sql": sql,
    }


def empty_election(like: Any) -> Any:
    """A fresh draft election over the areas of ``like``'s stations, no seats."""
    from elections.models import Election, Shift

    for old in Election.objects.filter(name=BENCH_ELECTION):
        Shift.objects.filter(election=old).delete()
        old.delete()
    election = Election.objects.create(
        name=BENCH_ELECTION,
        kind=like.kind,
        election_date=like.election_date,
        status=Election.Status.DRAFT,
    )
    areas = Shift.objects.filter(election=like).values("station__area_id").distinct()
    election.areas.set([row["station__area_id"] for row in areas])
    return election


CPU: dict[str, float] = {}


def timed(fn: Any) -> tuple[float, Any]:
    """Wall-clock seconds of ``fn()``; its CPU seconds in this process (Python,
    not the database server) are kept in CPU["last"]: on a shared machine the
    wall clock also counts the time other processes had the cores."""
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    CPU["last"] = round(time.process_time() - cpu, 2)
    return round(time.perf_counter() - started, 2), result


def run(scale: str, requests: int, reuse: bool) -> dict[str, Any]:
    configure_django(scale, fresh=not reuse)
    from django.db import connection
    from django.urls import reverse

    from accounts.models import User
    from bench.coordinator_page import COORDINATOR
    from staffing import grid as grid_model
    from staffing.services.grid import CellEdit, save_grid

    election, info = prepare(scale, reuse=reuse)
    client = coordinator_client()
    by = User.objects.get(email=COORDINATOR)
    day = election.election_date
    results: dict[str, Any] = {"scale": scale, "database": connection.vendor, **info}

    url = f"{reverse('staffing:grid', args=[election.pk])}?day={day.isoformat()}"
    results["render"] = measure_page(client, url, requests)

    # A whole grid, from nothing: one shift per cell.
    fresh = empty_election(election)
    grid = grid_model.build(fresh, day)  # the whole country
    cells = [c for g in grid.groups for r in g.rows for c in r.cells]
    new = [CellEdit(c.station_id, c.role_id, 0, 2 + (c.station_id + c.role_id) % 5) for c in cells]
    seconds, saved = timed(lambda: save_grid(fresh, day, new, by=by))
    results["save, new"] = {
        "cells": len(new),
        "created": saved.created,
        "seconds": seconds,
        "cpu": CPU["last"],
    }

    # Every cell a new number: every shift resized.
    resize = [CellEdit(e.station_id, e.role_id, e.seats, e.seats + 1) for e in new]
    seconds, saved = timed(lambda: save_grid(fresh, day, resize, by=by))
    results["save, resize"] = {
        "cells": len(resize),
        "resized": saved.resized,
        "seconds": seconds,
        "cpu": CPU["last"],
    }

    # The whole grid through the page, as grid.js posts it (every cell changed).
    on_page = resize
    packed = " ".join(f"{e.station_id}.{e.role_id}.{e.seats}={e.seats - 1}" for e in on_page)
    page = reverse("staffing:grid", args=[fresh.pk])
    seconds, response = timed(
        lambda: client.post(f"{page}?day={day.isoformat()}", {"cells": packed})
    )
    if response.status_code != 302:
        raise SystemExit(f"POST {page} answered {response.status_code}")
    results["save, page"] = {
        "cells": len(on_page),
        "seconds": seconds,
        "cpu": CPU["last"],
        "kb": len(packed) // 1024,
    }

    # The generated election: people hold seats; one more seat in every cell
    # one number describes.
    grid = grid_model.build(election, day)
    held = [
        CellEdit(c.station_id, c.role_id, c.seats, c.seats + 1)
        for g in grid.groups
        for r in g.rows
        for c in r.cells
        if c.editable
    ]
    seconds, saved = timed(lambda: save_grid(election, day, held, by=by))
    results["save, held"] = {
        "cells": len(held),
        "created": saved.created,
        "resized": saved.resized,
        "seconds": seconds,
        "cpu": CPU["last"],
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"grid-{connection.vendor}-{scale}.json").write_text(
        json.dumps(results, indent=2)
    )
    return results


def print_results(r: dict[str, Any]) -> None:
    render = r["render"]
    print()
    print(f"Seat grid, {r['scale']} scale, {r['database']}")
    print("| what | cells | queries | median (wall) | p95 | CPU of this process | size |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| render election day, whole grid | {render['inputs']} inputs | {render['queries']} "
        f"| {render['median_ms']} ms | {render['p95_ms']} ms | {render['cpu_median_ms']} ms "
        f"| {render['kb']} KB |"
    )
    for name in ("save, new", "save, resize", "save, page", "save, held"):
        row = r[name]
        print(f"| {name} | {row['cells']} | | {row['seconds']} s | | {row['cpu']} s | |")
    print(f"\nLoad average when done: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print_results(run(args.scale, args.requests, args.reuse))
    return 0


if __name__ == "__main__":
    sys.exit(main())
