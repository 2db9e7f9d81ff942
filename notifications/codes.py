"""One-time codes: prove that whoever types a code back gets messages at a phone
number or an email address (a newcomer signing up, a volunteer changing their
number). The code goes out through the outbox like every other message.

- Six digits from ``secrets``; only a keyed hash is stored (HMAC-SHA256 with the
  site's secret, over the purpose, the address and the code).
- Good for ``CODE_MINUTES`` minutes, one use and ``MAX_ATTEMPTS`` wrong guesses;
  a new code for the same address and purpose ends the one before.
- At most ``MAX_PER_HOUR`` codes an hour to one address, whatever the purpose,
  so a form cannot be used to flood someone's phone. (Limits per visitor are the
  pages' business.)
- Once used, the code is masked in the outbox's copy of its message.
- Whether an address may get a code at all (a volunteer marked "do not
  contact" asking for one themselves) is the caller's decision.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Channel, Message, OneTimeCode
from notifications.services import queue_message
from pollcrew.refusals import Refused

KIND = "one_time_code"
DIGITS = 6
CODE_MINUTES = 10
MAX_ATTEMPTS = 5
MAX_PER_HOUR = 5


def _hash(purpose: str, to: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{purpose}\x00{to}\x00{code}".encode(), hashlib.sha256).hexdigest()


def _normal(channel: str, to: str) -> str:
    to = to.strip()
    return to.lower() if channel == Channel.EMAIL else to


def send_code(
    *, channel: str, to: str, purpose: str, language: str, context: dict[str, Any] | None = None
) -> OneTimeCode:
    """Make a code for ``to`` and queue the message that holds it (dispatched on
    commit). ``context``: what the message says besides the code (the
    municipality's name). Refused with "too_many_codes" past MAX_PER_HOUR."""
    to = _normal(channel, to)
    now = timezone.now()
    with transaction.atomic():
        recent = OneTimeCode.objects.select_for_update().filter(
            channel=channel, to=to, created_at__gte=now - timedelta(hours=1)
        )
        if len(recent) >= MAX_PER_HOUR:
            raise Refused(
                "too_many_codes",
                _("Too many codes were sent to this address. Please try again in an hour."),
            )
        OneTimeCode.objects.filter(
            channel=channel, to=to, purpose=purpose, used_at__isnull=True, expires_at__gt=now
        ).filter(created_at__lt=now).update(expires_at=now)
        code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
        row = OneTimeCode.objects.create(
            channel=channel,
            to=to,
            purpose=purpose,
            code_hash=_hash(purpose, to, code),
            created_at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
        row.message = queue_message(
            channel=channel,
            to=to,
            kind=KIND,
            language=language,
            context={**(context or {}), "code": code, "minutes": CODE_MINUTES},
            idempotency_key=f"code:{row.pk}",
            subject=row,
        )
        row.save(update_fields=["message"])
    return row


def check_code(
    *, channel: str, to: str, purpose: str, code: str, grace: timedelta | None = None
) -> bool:
    """Whether ``code`` is the live code for ``to`` and ``purpose``; a right code
    is used up, a wrong one counts against the code's attempts. ``grace``: the
    code used last is still right this long after its use (a form sent twice
    by a double tap; what it does must then be safe to do twice)."""
    to = _normal(channel, to)
    code = "".join(code.split())
    now = timezone.now()
    if grace is not None and _used_lately(channel, to, purpose, code, now - grace):
        return True
    with transaction.atomic():
        live = (
            OneTimeCode.objects.select_for_update()
            .filter(channel=channel, to=to, purpose=purpose, used_at__isnull=True)
            .filter(expires_at__gt=now, attempts__lt=MAX_ATTEMPTS)
            .order_by("-created_at", "-pk")
            .first()
        )
        if live is None:
            # A twin request may have used it while this one waited for the lock.
            return grace is not None and _used_lately(channel, to, purpose, code, now - grace)
        if not hmac.compare_digest(live.code_hash, _hash(purpose, to, code)):
            live.attempts += 1
            live.save(update_fields=["attempts"])
            return False
        live.used_at = now
        live.save(update_fields=["used_at"])
        _scrub(live, code)
    return True


def _used_lately(channel: str, to: str, purpose: str, code: str, since: datetime) -> bool:
    last = (
        OneTimeCode.objects.filter(channel=channel, to=to, purpose=purpose, used_at__gte=since)
        .order_by("-used_at", "-pk")
        .first()
    )
    return last is not None and hmac.compare_digest(last.code_hash, _hash(purpose, to, code))


_DONE = (Message.Status.SENT, Message.Status.DELIVERED, Message.Status.FAILED)
MASK = "\N{BULLET}" * DIGITS


def _scrub(row: OneTimeCode, code: str) -> None:
    """A used code leaves the outbox's copy of its message (once it went out)."""
    message = Message.objects.filter(pk=row.message_id, status__in=_DONE).first()
    if message is None:
        return
    for name in ("subject", "body", "body_html"):
        setattr(message, name, getattr(message, name).replace(code, MASK))
    message.save(update_fields=["subject", "body", "body_html"])
