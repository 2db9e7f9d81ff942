"""``manage.py recount_fills``: rebuild the fill counts the database keeps
(``SeatFill``, ``ElectionTally``) from the shifts, assignments and messages.

Not needed in normal running: triggers keep the counts in the same transaction
as every write. Use it after restoring a partial backup or loading rows with the
triggers disabled."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from staffing import counters
from staffing.models import ElectionTally, SeatFill


class Command(BaseCommand):
    help = "Rebuild the fill counts per shift and the election tallies from the data."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # No writer may slip in between the delete and the recount.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "LOCK TABLE staffing_assignment, elections_shift, notifications_message"
                        " IN SHARE MODE"
                    )
            counters.recount(connection)
        self.stdout.write(
            f"{SeatFill.objects.count()} shifts and "
            f"{ElectionTally.objects.count()} tallies counted."
        )
