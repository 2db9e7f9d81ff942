"""Generate one active election at town, city or national scale (see bench/datagen.py)."""

from __future__ import annotations

import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bench import datagen
from elections.models import Election


class Command(BaseCommand):
    help = (
        "Generate realistic Danish test data: one active election at a scale "
        "(town 12 stations/400 volunteers, city 50/6,000, national 1,400/100,000)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", required=True, choices=sorted(datagen.SCALES))
        parser.add_argument(
            "--election-name",
            help="Default: 'Folketingsvalg <year>', with the scale's place for city and national.",
        )
        parser.add_argument(
            "--election-date",
            type=date.fromisoformat,
            help="YYYY-MM-DD. Default: 30 days from today.",
        )
        parser.add_argument("--seed", type=int, default=datagen.DEFAULT_SEED)
        parser.add_argument(
            "--flush",
            action="store_true",
            help="First delete ALL Pollcrew data in the database (elections, stations, "
            "volunteers, messages…; staff users are kept).",
        )

    def handle(self, *args, **opts) -> None:
        scale = datagen.SCALES[opts["scale"]]
        day = opts["election_date"] or timezone.localdate() + timedelta(days=30)
        name = opts["election_name"] or datagen.default_election_name(scale, day)
        started = time.perf_counter()
        if opts["flush"]:
            deleted = datagen.flush_domain()
            self.stdout.write(
                f"Flushed {sum(deleted.values())} rows in {time.perf_counter() - started:.1f}s."
            )
        elif existing := Election.objects.filter(name=name).first():
            self.stdout.write(
                f"{existing} already exists; nothing to do. Use --flush to generate it again."
            )
            return
        try:
            result = datagen.generate(
                scale,
                election_name=name,
                election_date=day,
                seed=opts["seed"],
                progress=lambda line: (
                    self.stdout.write(f"  … {line}") if opts["verbosity"] > 1 else None
                ),
            )
        except datagen.DataExists as exc:
            raise CommandError(f"{exc} (--flush deletes all Pollcrew data.)") from exc
        for line in result.lines():
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {time.perf_counter() - started:.1f}s (election id {result.election.pk})."
            )
        )
