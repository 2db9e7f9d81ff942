"""Who may check people in on the day (the page a sign-in sheet's QR code opens):
admins, coordinators and the station manager of the seat's station. Team leaders
and viewers, and a station manager elsewhere: the uniform 404, as for a bad token.

The world's election is weeks away, so a POST is refused by the service (check-in
is not open yet) and redirected back to the page, for those who may post at all."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from staffing import services
from staffing.checkin import checkin_token
from tests import factories as f
from tests.permission_cases import LOGIN, Case, World, everyone, staff_only

CHECKERS = staff_only(team_leader=404, viewer=404)
POSTED = {**CHECKERS, "admin": 302, "coordinator": 302, "station_manager": 302}


def _at(token: Callable[[World], str]) -> Callable[[World], str]:
    return lambda w: reverse("staffing:check_in", args=[token(w)])


def _other_station_seat(w) -> str:
    """An accepted seat at the world's other station (made when the case is built)."""
    shift = w.election.shifts.get(station=w.other_station)
    [seat] = services.invite(shift, [f.volunteer()], by=None).invited
    services.accept(seat)
    return checkin_token(seat.pk)


def _tampered(token: str) -> str:
    return token[:-1] + ("x" if token[-1] != "x" else "y")


TABLE: dict[str, list[Case]] = {
    "staffing:check_in": [
        Case(
            _at(lambda w: checkin_token(w.assignment.pk)),
            CHECKERS,
            "the team member's seat at the station: its manager, not the team's leader",
        ),
        Case(
            _at(_other_station_seat),
            staff_only(station_manager=404, team_leader=404, viewer=404),
            "another station: not this station manager's",
        ),
        Case(
            _at(lambda w: _tampered(checkin_token(w.assignment.pk))),
            {**everyone(404), "anonymous": LOGIN},
            "a tampered token: nothing there, for anyone",
        ),
        Case(
            _at(lambda w: checkin_token(w.assignment.pk)),
            POSTED,
            "checking in is a POST; the page follows (with the service's answer)",
            post=lambda w: {},
        ),
    ],
}
