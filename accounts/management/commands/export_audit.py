"""manage.py export_audit --since YYYY-MM-DD [--until YYYY-MM-DD]: the audit log
as CSV on stdout (the same columns as the export on the audit page)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.audit_export import write_audit_csv
from accounts.models import AuditEntry


def _day(value: str) -> date:
    """YYYY-MM-DD only (date.fromisoformat alone also takes 20260301, 2026-W10-1…)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class Command(BaseCommand):
    help = "Write the audit log from --since (to --until, inclusive) as CSV to stdout."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--until", help="last day, YYYY-MM-DD (default: today)")

    def handle(self, *args, since: str, until: str | None, **options) -> None:
        first = _day(since)
        last = _day(until) if until else timezone.localdate()
        if last < first:
            raise CommandError("--until is before --since.")
        entries = AuditEntry.objects.filter(
            at__gte=_start_of(first), at__lt=_start_of(last + timedelta(days=1))
        )
        write_audit_csv(self.stdout, entries)
