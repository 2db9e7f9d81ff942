"""``manage.py export_all --out FILE.zip``: the full data export (exit) of this
installation: one JSON Lines and one CSV file per table, a README describing
every file and column, and the schema version (exchange.exit)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from exchange import exit as data_exit


class Command(BaseCommand):
    help = "Write every table of Pollcrew into one ZIP file (JSON Lines, CSV, README, schema)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, help="The ZIP file to write.")
        parser.add_argument(
            "--compress",
            type=int,
            default=6,
            choices=range(10),
            help="Deflate level, 0 (none, quickest) to 9 (smallest); default 6.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        started = time.monotonic()
        with out.open("wb") as target:
            manifest = data_exit.export_all(target, by=None, compresslevel=options["compress"])
        rows = sum(t["rows"] for t in manifest["tables"])
        self.stdout.write(
            f"{len(manifest['tables'])} tables, {rows} rows written to {out} "
            f"({out.stat().st_size} bytes) in {time.monotonic() - started:.1f} s."
        )
