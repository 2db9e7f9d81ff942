"""An office's own message texts, write side: save one, go back to the default.
Both audited with the text before and after.

The text is checked again here (``message_texts.text_errors``), whatever the
form did; a text the same as the default is not stored (the default is kept,
and follows the product's own changes to it)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import User
from pollcrew.refusals import Refused
from staffing import message_texts as texts
from staffing.models import MessageText


def _scope(target: texts.Target) -> dict[str, object]:
    return {
        "kind": target.kind.name,
        "channel": target.channel,
        "language": target.language,
        "role": target.role.pk if target.role else None,
    }


def _record(
    action: str,
    target: texts.Target,
    by: User | None,
    before: MessageText | None,
    after: dict[str, str] | None,
) -> None:
    """The entry, with the text before and after as changes ({field: [old, new]})."""
    fields = ("body",) if target.is_sms else ("subject", "body")
    old = {name: getattr(before, name) for name in fields} if before else {}
    new = {name: (after or {}).get(name) for name in fields}
    audit.record(
        action,
        target.election,
        by=by,
        election_id=target.election.pk,
        changes=audit.changes_between(old, new),
        detail=_scope(target),
    )


def _locked(target: texts.Target) -> MessageText | None:
    return (
        MessageText.objects.select_for_update()
        .filter(
            election=target.election,
            role=target.role,
            kind=target.kind.name,
            channel=target.channel,
            language=target.language,
        )
        .first()
    )


def save_message_text(
    target: texts.Target, *, subject: str, body: str, by: User | None
) -> MessageText | None:
    """Store the office's text for ``target`` (none, if it is the default's)."""
    subject = "" if target.is_sms else " ".join(subject.split())
    body = body.replace("\r\n", "\n").strip()
    errors = texts.text_errors(target, subject, body)
    if errors:
        first = next(iter(errors.values()))[0]
        raise Refused("bad_text", first)
    default = texts.default_text(target.kind, target.channel, target.language)
    if (subject, body) == (default.subject, default.body):
        revert_message_text(target, by=by)
        return None
    with transaction.atomic():
        current = _locked(target)
        before = MessageText(subject=current.subject, body=current.body) if current else None
        if current is None:
            current = MessageText(
                election=target.election,
                role=target.role,
                kind=target.kind.name,
                channel=target.channel,
                language=target.language,
            )
        elif (current.subject, current.body) == (subject, body):
            return current
        current.subject, current.body = subject, body
        current.updated_by, current.updated_at = by, timezone.now()
        current.full_clean()
        current.save()
        _record(
            "staffing.message_text_change", target, by, before, {"subject": subject, "body": body}
        )
    return current


def revert_message_text(target: texts.Target, *, by: User | None) -> bool:
    """Go back to the default text for ``target``; False if it had no own text."""
    with transaction.atomic():
        current = _locked(target)
        if current is None:
            return False
        current.delete()
        _record("staffing.message_text_revert", target, by, current, None)
    return True
