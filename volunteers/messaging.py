"""What volunteers are told, and on which channel. Delivery is notifications' job."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from notifications.models import Message
from notifications.services import Draft, dispatch_on_commit, queue_message, queue_messages
from volunteers.links import issue_link, link_url
from volunteers.models import Assignment

# Message kinds; each has templates in templates/emails/ and templates/sms/.
INVITATION = "invitation"
ACCEPTED = "accepted"
DECLINED = "declined"
WITHDRAWN = "withdrawn"

_CONFIRMATION_KIND = {
    Assignment.Status.ACCEPTED: ACCEPTED,
    Assignment.Status.DECLINED: DECLINED,
    Assignment.Status.WITHDRAWN: WITHDRAWN,
}


def respond_by(assignment: Assignment) -> datetime:
    """When the invitation expires: after the election's response days, or when
    the shift starts, whichever comes first."""
    shift = assignment.shift
    local_invite = timezone.localtime(assignment.invited_at)  # calendar days, as in the text
    return min(local_invite + timedelta(days=shift.election.response_days), shift.starts_at)


def assignment_context(assignment: Assignment, token: str) -> dict[str, Any]:
    shift = assignment.shift
    station = shift.station
    election = shift.election
    return {
        "first_name": assignment.volunteer.first_name,
        "election": election.name,
        "role": shift.role.name,
        "station": station.name,
        "station_address": station.full_address,
        "starts_at": timezone.localtime(shift.starts_at),
        "ends_at": timezone.localtime(shift.ends_at),
        "respond_by": timezone.localtime(respond_by(assignment)),
        "link": link_url(token),
        "municipality": settings.MUNICIPALITY_NAME,
    }


def _draft(assignment: Assignment, kind: str, token: str, key: str) -> Draft:
    volunteer = assignment.volunteer
    return Draft(
        channel=volunteer.preferred_channel,
        to=volunteer.contact_address,
        kind=kind,
        language=volunteer.language,
        context=assignment_context(assignment, token),
        idempotency_key=key,
        volunteer_id=volunteer.pk,
    )


def queue_invitations(invited: list[tuple[Assignment, str]]) -> list[Message]:
    """One invitation per (assignment, token), each holding the volunteer's
    personal link, stored in one INSERT. The caller dispatches them on commit."""
    return queue_messages(
        [_draft(a, INVITATION, token, f"assignment:{a.pk}:invitation") for a, token in invited]
    )


# Answering back and forth must not turn into a stream of SMS: at most this many
# confirmations per assignment in an hour (the page itself always shows the state).
MAX_CONFIRMATIONS_PER_HOUR = 3


def queue_confirmation(assignment: Assignment) -> Message | None:
    """Confirm an answer, with a fresh link to change it; dispatched on commit."""
    kind = _CONFIRMATION_KIND[assignment.status]
    recent = Message.objects.filter(
        volunteer_id=assignment.volunteer_id,  # indexed; the key narrows to the assignment
        idempotency_key__startswith=f"assignment:{assignment.pk}:",
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).exclude(kind=INVITATION)
    if recent.count() >= MAX_CONFIRMATIONS_PER_HOUR:
        return None
    token = issue_link(assignment.volunteer, assignment.shift.election)
    stamp = assignment.responded_at.isoformat() if assignment.responded_at else "-"
    draft = _draft(assignment, kind, token, f"assignment:{assignment.pk}:{kind}:{stamp}")
    message = queue_message(**vars(draft), dispatch=False)
    dispatch_on_commit([message.pk])
    return message
