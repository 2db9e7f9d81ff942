"""Benchmark the full data export (exit): ``manage.py export_all`` at town, city
or national scale.

    createdb -h 127.0.0.1 -U postgres pc_export
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pc_export \\
        .venv/bin/python -m bench.full_export --scale national

The data is bench.datagen's (generated once; --reuse keeps it). What is measured:
the wall time and CPU time of ``exchange.exit.export_all`` into a file, the ZIP's
size, the rows written, and the process's peak memory before and after (rows
are streamed a chunk at a time, so the export should add little to it).
``--compress`` sets the deflate level (default 6, as the command).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any

from bench.coordinator_page import RESULTS_DIR, SCALES, configure_django, prepare


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.full_export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=SCALES, default="national")
    parser.add_argument("--compress", type=int, default=6, choices=range(10))
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of an earlier run if it is there"
    )
    return parser.parse_args(argv)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_django(args.scale, fresh=not args.reuse)
    from django.conf import settings
    from django.db import connection

    from exchange import exit as data_exit

    _election, info = prepare(args.scale, reuse=args.reuse)
    out = settings.BASE_DIR / "var" / f"bench-export-{args.scale}.zip"
    before = peak_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    with out.open("wb") as target:
        manifest = data_exit.export_all(target, by=None, compresslevel=args.compress)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = {t["model"]: t["rows"] for t in manifest["tables"]}
    result: dict[str, Any] = {
        "scale": args.scale,
        "database": connection.vendor,
        "compress": args.compress,
        "seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "zip_bytes": out.stat().st_size,
        "rows": sum(rows.values()),
        "tables": len(rows),
        "largest": dict(sorted(rows.items(), key=lambda kv: -kv[1])[:6]),
        "peak_mb_before": round(before, 1),
        "peak_mb_after": round(peak_mb(), 1),
        **info,
    }
    print(
        f"export_all at {args.scale} scale on {connection.vendor}: {result['seconds']} s "
        f"(CPU {result['cpu_seconds']} s), {result['rows']:,} rows in {result['tables']} "
        f"tables, ZIP {result['zip_bytes'] / 1e6:.1f} MB; peak memory "
        f"{result['peak_mb_before']} → {result['peak_mb_after']} MB"
    )
    print("largest tables:", ", ".join(f"{k} {v:,}" for k, v in result["largest"].items()))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"full_export-{args.scale}.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
