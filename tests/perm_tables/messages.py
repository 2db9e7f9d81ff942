"""Who may read an election's message log and a message's history, and send a
failed message again.

Reading needs the contact capability over the seat the message is about:
admins, coordinators, the station manager of its station, the leader of the
team the seat is reserved for (each sees only their seats' messages; another
station's message is the uniform 404 for them). Viewers see no phone numbers or
addresses: 404. Sending again is a change to what the volunteer is told, so it
needs the manage capability over the seat: admins and coordinators (then the
new message's page, 302); everyone else the 404, as outside any scope."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from notifications.models import Message
from staffing import services
from staffing.messaging import messages_for_volunteer
from tests import factories as f
from tests.permission_cases import CONTACT, POST_ONLY, Case, E, World, staff_only, url

READERS_HERE = CONTACT  # the team member's seat is at the manager's station, on the team's shift
MANAGERS = staff_only(station_manager=404, team_leader=404, viewer=404)


def _invitation(w: World) -> Message:
    return messages_for_volunteer(w.assignment.volunteer).get(kind="invitation")


def _failed(w: World) -> Message:
    """The team member's invitation, failed at the provider."""
    message = _invitation(w)
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.FAILED, last_error="Provider reported undelivered (code 30003)"
    )
    return message


def _elsewhere(w: World) -> str:
    """A message about a seat at the other station (made when the case is built)."""
    shift = w.election.shifts.get(station=w.other_station)
    [seat] = services.invite(shift, [f.volunteer()], by=None).invited
    message = messages_for_volunteer(seat.volunteer).get(kind="invitation")
    return reverse("staffing:election_message", args=[w.election.pk, message.pk])


def _message(pick: Callable[[World], Message]) -> Callable[[World], str]:
    return lambda w: reverse("staffing:election_message", args=[w.election.pk, pick(w).pk])


def _resend(w: World) -> str:
    return reverse("staffing:election_message_resend", args=[w.election.pk, _failed(w).pk])


TABLE: dict[str, list[Case]] = {
    "staffing:election_messages": [
        Case(url("staffing:election_messages", E), CONTACT, "each sees their seats' messages"),
    ],
    "staffing:election_message": [
        Case(_message(_invitation), READERS_HERE, "a seat at the manager's station, the team's"),
        Case(
            _elsewhere,
            staff_only(station_manager=404, team_leader=404, viewer=404),
            "another station's seat, not the team's",
        ),
    ],
    "staffing:election_message_resend": [
        Case(_resend, POST_ONLY, "sending again is a POST"),
        Case(
            _resend,
            {**MANAGERS, "admin": 302, "coordinator": 302},
            "sent again (the second time: the same new message), then its page",
            post=lambda w: {},
        ),
    ],
}
