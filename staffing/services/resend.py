"""Sending a failed message again, from the message log.

A resend is a NEW message (the failed row stays as it is: its history is the
record of what went wrong), of the same kind, about the same assignment, with a
fresh personal link, on the volunteer's channel and address as they are now (a
corrected number is the usual reason to resend). Its idempotency key is
``resend:<original id>``: resending the same row twice gives the same new message,
never a third, even when two coordinators press the button at once.

Only a failed message about a seat is resent, and only while it still says what
is true: an invitation while the invitation is open, a confirmation of a seat
while the seat is held, a decline, withdrawal or removal notice while the
assignment is still so. A notice of a move or a changed shift is not resent (what
the shift was before is not kept); the volunteer's page and link show the seat as
it is now. Refused too: an election that is not active, a volunteer marked "do
not contact", a shift that has started.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from notifications.models import Message
from pollcrew.refusals import Refused
from staffing import messaging, rules
from staffing.message_log import resend_key
from staffing.models import Assignment
from staffing.services._common import lock_seat
from staffing.volunteer_timeline import ASSIGNMENT_TYPE, message_label

S = Assignment.Status

# Which kinds are resent, and the assignment states in which each is still true.
RESENDABLE: dict[str, tuple[str, ...]] = {
    messaging.INVITATION: (S.INVITED,),
    messaging.ACCEPTED: (S.ACCEPTED,),
    messaging.DECLINED: (S.DECLINED,),
    messaging.WITHDRAWN: (S.WITHDRAWN,),
    messaging.REMOVED: (S.REMOVED,),
}


def resend_of(message: Message) -> Message | None:
    """The message that resent ``message``, if any."""
    return Message.objects.filter(idempotency_key=resend_key(message)).first()


def may_resend(message: Message) -> bool:
    """Worth offering the button (the service decides, under locks)."""
    return (
        message.status == Message.Status.FAILED
        and message.subject_type == ASSIGNMENT_TYPE
        and message.kind in RESENDABLE
    )


def _check(original: Message, assignment: Assignment) -> None:
    if original.status != Message.Status.FAILED:
        raise Refused(
            "not_failed",
            _("Only a message that failed can be sent again. This one is “%(status)s”.")
            % {"status": original.get_status_display()},
        )
    kind = original.kind
    if kind not in RESENDABLE:
        raise Refused(
            "not_resendable",
            _(
                "A “%(kind)s” cannot be sent again: what it said about the shift before "
                "the change is not kept. The volunteer's link shows their seat as it is now."
            )
            % {"kind": message_label(kind)},
        )
    if assignment.status not in RESENDABLE[kind]:
        raise Refused(
            "seat_changed",
            _(
                "The seat has changed since this message was sent (it is now “%(status)s”), "
                "so it is no longer true and is not sent again."
            )
            % {"status": assignment.get_status_display()},
        )
    if assignment.volunteer.do_not_contact:
        raise rules.refusal("do_not_contact", assignment.volunteer)
    rules.check_election_active(assignment.shift.election)
    rules.check_not_started(assignment.shift)


def resend_message(message: Message, *, by: User | None) -> Message:
    """Queue a new message like the failed ``message`` (same kind, same
    assignment, a fresh personal link), dispatched on commit, and audit it.
    The same failed message twice: the same new message. Refused (nothing
    written) when it may not be resent; see the module's docstring."""
    if message.subject_type != ASSIGNMENT_TYPE or message.subject_id is None:
        raise Refused("not_about_a_seat", _("This message is not about a seat."))
    assignment = Assignment.objects.filter(pk=message.subject_id).first()
    if assignment is None:
        raise Refused("not_about_a_seat", _("This message is not about a seat."))
    key = resend_key(message)
    with transaction.atomic():
        _shift, _volunteer, assignment = lock_seat(assignment)
        original = Message.objects.select_for_update().get(pk=message.pk)
        already = Message.objects.filter(idempotency_key=key).first()
        if already is not None:
            return already
        _check(original, assignment)
        resent = messaging._queue_one(assignment, original.kind, key)
        if resent is None:  # may_message said no: checked above, so only a race
            raise rules.refusal("changed_meanwhile", assignment.volunteer)
        audit.record(
            "staffing.resend_message",
            assignment,
            by=by,
            election_id=assignment.shift.election_id,
            detail={
                "message": original.pk,
                "resent_as": resent.pk,
                "kind": original.kind,
                "channel": resent.channel,
            },
        )
    return resent
