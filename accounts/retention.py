"""How long the audit log keeps entries (``AUDIT_RETENTION_MONTHS``, default 13)."""

from __future__ import annotations

import calendar
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import ActorKind, AuditEntry


def months_before(moment: datetime, months: int) -> datetime:
    """The same local day and time ``months`` calendar months earlier (the last
    day of the month where that day does not exist: 31 March minus 1 month is 28 or 29 Feb)."""
    local = timezone.localtime(moment)
    index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(index, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day)


def retention_cutoff(now: datetime | None = None) -> datetime:
    return months_before(now or timezone.now(), settings.AUDIT_RETENTION_MONTHS)


def purge_audit_log(now: datetime | None = None) -> int:
    """Delete entries older than the retention period; the purge itself is logged."""
    cutoff = retention_cutoff(now)
    with transaction.atomic():
        deleted = AuditEntry.objects.purge_before(cutoff)
        if deleted:
            audit.record(
                "accounts.purge_audit_log",
                by=None,
                actor=ActorKind.SYSTEM,
                detail={"deleted": deleted, "before": cutoff},
            )
    return deleted
