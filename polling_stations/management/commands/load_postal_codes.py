"""manage.py load_postal_codes FILE: load postal code centres from a CSV file
(``nr,navn,latitude,longitude``, or the Danish address register's postal-code
CSV with ``visueltcenter_x``/``visueltcenter_y``), for "near home". Prints how
many were new, changed and unchanged, and every row left out with its line
number and why. Running it again with the same file changes nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from polling_stations.postal_codes import UnreadableFile, load_postal_codes


class Command(BaseCommand):
    help = (
        "Load postal code centres from a CSV file (nr, navn, latitude, longitude; or the "
        "address register's nr, navn, visueltcenter_x, visueltcenter_y): new ones are added, "
        "changed ones updated; bad rows are listed by line."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the CSV file")

    def handle(self, *args, file: str, **options) -> None:
        try:
            loaded = load_postal_codes(file)
        except UnreadableFile as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("Postal codes: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.")
            % {
                "created": loaded.created,
                "updated": loaded.updated,
                "unchanged": loaded.unchanged,
            }
        )
        if loaded.problems:
            count = len(loaded.problems)
            self.stderr.write(
                ngettext("%(n)d row left out:", "%(n)d rows left out:", count) % {"n": count}
            )
            for problem in loaded.problems:
                self.stderr.write(
                    _("line %(line)d: %(reason)s")
                    % {"line": problem.line, "reason": problem.reason}
                )
