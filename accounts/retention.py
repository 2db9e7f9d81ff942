"""How long the audit log keeps entries (``AUDIT_RETENTION_MONTHS``, default 13),
and the sign-in leftovers that nothing needs any more (expired sessions, browsers
whose cookie has expired)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from accounts import audit, devices
from accounts.models import ActorKind, AuditEntry, KnownDevice


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


def purge_sign_in_leftovers(now: datetime | None = None) -> dict[str, int]:
    """Delete expired sessions (each holds who was signed in, from where) and the
    browsers not seen since their cookie expired (they can never be recognised
    again). Counted, not audited: neither is a record of anyone's doing."""
    now = now or timezone.now()
    sessions, _unused = Session.objects.filter(expire_date__lt=now).delete()
    forgotten, _unused = KnownDevice.objects.filter(
        last_seen__lt=now - timedelta(seconds=devices.MAX_AGE)
    ).delete()
    return {"sessions": sessions, "browsers": forgotten}
