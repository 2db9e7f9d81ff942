"""manage.py apply_retention [--dry-run]: remove what closed elections no longer
need and anonymise or delete long-inactive volunteers (what the nightly beat task
does), printing the counts per election and for volunteers. With --dry-run,
nothing is written: the same counts, of what would go."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from staffing.retention import RetentionReport, apply_retention


def _day(moment: datetime) -> str:
    return timezone.localtime(moment).date().isoformat()


class Command(BaseCommand):
    help = (
        "Apply the retention rules (RETENTION_DAYS_AFTER_CLOSE, RETENTION_INACTIVE_MONTHS) "
        "and print what went; --dry-run prints what would go and changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go; change nothing"
        )

    def handle(self, *args, dry_run: bool, **options) -> None:
        report = apply_retention(dry_run=dry_run)
        self.stdout.write(self.render(report))

    def render(self, report: RetentionReport) -> str:
        lines = [
            _("Dry run: nothing has been changed. This would go:")
            if report.dry_run
            else _("Retention applied. This went:"),
            "",
            _("Elections closed on or before %(day)s (%(days)d days ago):")
            % {"day": _day(report.closed_before), "days": settings.RETENTION_DAYS_AFTER_CLOSE},
        ]
        for result in report.elections:
            counts = result.counts
            closed = _day(result.closed_at) if result.closed_at else "-"
            lines += [
                "  " + _("%(election)s, closed %(day)s") % {"election": result.name, "day": closed},
                "    " + _("decline reasons blanked: %(n)d") % {"n": counts.reasons},
                "    "
                + _("messages emptied (recipient, subject, text): %(n)d") % {"n": counts.messages},
                "    " + _("queued messages cancelled: %(n)d") % {"n": counts.cancelled},
                "    " + _("personal links deleted: %(n)d") % {"n": counts.links},
            ]
        if not report.elections:
            lines.append("  " + _("none"))
        volunteers = report.volunteers
        lines += [
            "",
            _(
                "Volunteers with no seat in an open election and no activity since %(day)s "
                "(%(months)d months):"
            )
            % {"day": _day(report.inactive_since), "months": settings.RETENTION_INACTIVE_MONTHS},
            "  " + _("anonymised (they had seats): %(n)d") % {"n": volunteers.anonymised},
            "  " + _("deleted (never had a seat): %(n)d") % {"n": volunteers.deleted},
            "  " + _("their other messages emptied: %(n)d") % {"n": volunteers.messages},
            "  " + _("their other personal links deleted: %(n)d") % {"n": volunteers.links},
            "",
        ]
        totals = report.totals()
        lines.append(
            _(
                "Total: %(reasons)d decline reasons, %(messages)d messages, %(links)d links, "
                "%(anonymised)d volunteers anonymised, %(deleted)d deleted."
            )
            % {
                "reasons": totals["decline_reasons"],
                "messages": totals["messages"],
                "links": totals["links"],
                "anonymised": totals["volunteers_anonymised"],
                "deleted": totals["volunteers_deleted"],
            }
        )
        if not report.changed:
            lines.append(_("Nothing to remove."))
        return "\n".join(lines)
