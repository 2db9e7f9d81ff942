"""``manage.py import_all FILE.zip``: restore a full data export (``export_all``)
into this installation, which must be empty and have the same schema version
(run ``manage.py migrate`` first). One transaction: all or nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from exchange import exit as data_exit


class Command(BaseCommand):
    help = "Restore a full data export (export_all) into an empty installation."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="The ZIP file written by export_all.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = data_exit.import_all(options["file"])
        except data_exit.ImportRefused as refused:
            raise CommandError(str(refused.message)) from refused
        except (OSError, KeyError, ValueError) as error:
            raise CommandError(f"Not a readable full export: {error}") from error
        self.stdout.write(
            f"{len(counts)} tables, {sum(counts.values())} rows restored from {options['file']}."
        )
