"""What volunteers are told, and on which channel. Delivery is notifications' job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from notifications.models import Message
from notifications.services import queue_message
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
        "respond_by": timezone.localtime(
            assignment.invited_at + timedelta(days=election.response_days)
        ),
        "link": link_url(token),
        "municipality": settings.MUNICIPALITY_NAME,
    }


def _queue(assignment: Assignment, kind: str, token: str, key: str) -> Message:
    volunteer = assignment.volunteer
    return queue_message(
        channel=volunteer.preferred_channel,
        to=volunteer.contact_address,
        kind=kind,
        language=volunteer.language,
        context=assignment_context(assignment, token),
        idempotency_key=key,
        volunteer_id=volunteer.pk,
        dispatch=False,
    )


def queue_invitation(assignment: Assignment, token: str) -> Message:
    """The invitation, holding the volunteer's personal link. Not yet dispatched:
    the caller dispatches a whole batch on commit."""
    return _queue(assignment, INVITATION, token, f"assignment:{assignment.pk}:invitation")


def queue_confirmation(assignment: Assignment) -> Message:
    """Confirm an answer, with a fresh link to change it; dispatched on commit."""
    from notifications.services import dispatch_on_commit

    kind = _CONFIRMATION_KIND[assignment.status]
    token = issue_link(assignment.volunteer, assignment.shift.election)
    stamp = assignment.responded_at.isoformat() if assignment.responded_at else "-"
    message = _queue(assignment, kind, token, f"assignment:{assignment.pk}:{kind}:{stamp}")
    dispatch_on_commit([message.pk])
    return message
