"""Channel fallback: a message the recipient's address refused for good (a number
that does not exist or has unsubscribed, an email address the server refuses)
goes out again on the volunteer's other channel. With no other channel, or when
the other channel fails too, the volunteer is marked "reached by post only"
(Volunteer.unreachable): the print page lists them for a printed invitation.

The new message is built afresh (a fresh personal link), keyed
``fallback:<failed message id>``: a failure announced twice sends one fallback.
It says what is true now: an invitation while it is open, a confirmation or a
notice while the seat is so. A move or a changed shift cannot be told again (what
the shift was before is not kept): the volunteer gets the confirmation of the
seat they hold now instead.
"""

from __future__ import annotations

from django.db import transaction

from accounts import audit
from notifications.models import Channel, Message
from staffing import messaging
from staffing.models import FILLED_STATUSES, Assignment
from staffing.services._common import lock_seat
from staffing.services.resend import RESENDABLE
from staffing.volunteer_timeline import ASSIGNMENT_TYPE
from volunteers.models import Volunteer

FALLBACK_PREFIX = messaging.FALLBACK_PREFIX


def fallback_key(message: Message) -> str:
    return f"{FALLBACK_PREFIX}{message.pk}"


def _kind_now(kind: str, assignment: Assignment) -> str | None:
    """What to send about ``assignment`` in place of a failed ``kind``; None when
    that message is no longer true and nothing replaces it."""
    if assignment.status in RESENDABLE.get(kind, ()):
        return kind
    if kind not in (messaging.MOVED, messaging.SHIFT_CHANGED):
        return None
    if assignment.status == Assignment.Status.INVITED:
        return messaging.INVITATION
    if assignment.status in FILLED_STATUSES:
        return messaging.ACCEPTED
    return None


def mark_unreachable(volunteer: Volunteer, message: Message) -> bool:
    """Flag the volunteer "reached by post only" (audited, by the system).
    False if they were already."""
    updated = Volunteer.objects.filter(pk=volunteer.pk, unreachable=False).update(unreachable=True)
    if updated:
        audit.record(
            "volunteers.unreachable",
            volunteer,
            by=None,
            changes={"unreachable": [False, True]},
            detail={"message": message.pk, "channel": message.channel, "kind": message.kind},
        )
    return bool(updated)


def fall_back(message_id: int) -> Message | None:
    """Send the failed message's content on the volunteer's other channel, or
    mark them unreachable. Returns the new message (None when nothing was sent)."""
    message = Message.objects.filter(pk=message_id, status=Message.Status.FAILED).first()
    if message is None or message.subject_type != ASSIGNMENT_TYPE or message.subject_id is None:
        return None
    assignment = Assignment.objects.filter(pk=message.subject_id).first()
    if assignment is None:
        return None
    key = fallback_key(message)
    with transaction.atomic():
        _shift, volunteer, assignment = lock_seat(assignment)
        already = Message.objects.filter(idempotency_key=key).first()
        if already is not None:
            return already
        other = Channel.EMAIL if message.channel == Channel.SMS else Channel.SMS
        if message.idempotency_key.startswith(FALLBACK_PREFIX) or not volunteer.address_on(other):
            mark_unreachable(volunteer, message)  # no channel left
            return None
        kind = _kind_now(message.kind, assignment)
        if kind is None:
            return None
        sent = messaging._queue_one(assignment, kind, key, channel=other)
        if sent is not None:
            audit.record(
                "staffing.message_fallback",
                assignment,
                by=None,
                election_id=assignment.shift.election_id,
                detail={
                    "message": message.pk,
                    "sent_as": sent.pk,
                    "kind": kind,
                    "from": message.channel,
                    "to": other,
                },
            )
    return sent
