"""Who may fill seats: invite many to many and see the result (those who invite:
admins, coordinators, team leaders for their team's seats), seat directly, answer
on someone's behalf, move, remove and replace (those who manage seats: admins and
coordinators), and send a new personal link (those who invite, for the seats they
invite to). Everyone else: 404, as outside any scope.

POST cases run persona after persona on one world: the second POST of the same
action finds it done and is redirected like the first (the services and pages
treat a repeat as a double click)."""

from __future__ import annotations

from django.urls import reverse

from staffing import services
from tests import factories as f
from tests.permission_cases import LOGIN, MANAGE, Case, E, staff_only, url

INVITERS = staff_only(station_manager=404, viewer=404)  # team leaders: their team's seats
POSTED = {**MANAGE, "admin": 302, "coordinator": 302}
TEAM_POSTED = {**POSTED, "team_leader": 302}


def _seat_url(name: str, on: str = "open_shift"):
    """A URL about a fresh invitation on the world's ``on`` shift (made when the
    case is built, so that each case has its own)."""

    def build(w) -> str:
        shift = getattr(w, on)
        volunteer = f.volunteer(first_name="Frisk", last_name="Plads")
        if shift.team_id is not None:
            volunteer.teams.add(shift.team_id)
        [seat] = services.invite(shift, [volunteer], by=None).invited
        return reverse(name, args=[w.election.pk, seat.pk])

    return build


A = lambda w: w.assignment.pk  # noqa: E731 (the team member's invitation on the team's shift)


def _draft(name: str):
    """A URL of a draft election with a seat for the world's team at the world's
    station (made when the case is built): the team leader would invite there, were
    it active; a draft is there only for those who may manage it."""

    def build(w) -> str:
        draft = f.election(name="Kommunalvalg (kladde)", status="draft")
        f.shift(draft, station_=w.station, team=w.team, capacity=2, start=8, end=12)
        return reverse(name, args=[draft.pk])

    return build


TABLE: dict[str, list[Case]] = {
    "staffing:fill_invite": [
        Case(url("staffing:fill_invite", E), INVITERS, "the team leader sees the team's shifts"),
        Case(_draft("staffing:fill_invite"), MANAGE, "a draft: only for who manages it"),
        Case(
            lambda w: (
                reverse("staffing:fill_invite", args=[w.election.pk])
                + f"?station={w.station.pk}&shifts={w.open_shift.pk}"
                + f"&volunteers={w.outsider_volunteer.pk}"
            ),
            INVITERS,
            "the open shift is not the team leader's: not listed for them, no error",
        ),
        Case(
            url("staffing:fill_invite", E),
            TEAM_POSTED,
            "the result page follows (or, for what is outside one's scope, the form again)",
            post=lambda w: {"shifts": [w.team_shift.pk], "volunteers": [w.member.pk]},
        ),
    ],
    "staffing:fill_invite_result": [
        Case(url("staffing:fill_invite_result", E), INVITERS),
        Case(_draft("staffing:fill_invite_result"), MANAGE, "a draft: only for who manages it"),
    ],
    "staffing:fill_assign": [
        Case(url("staffing:fill_assign", E, lambda w: w.open_shift.pk), MANAGE),
        Case(
            url("staffing:fill_assign", E, lambda w: w.team_shift.pk),
            MANAGE,
            "team leaders invite their members, they do not seat them",
        ),
        Case(
            url("staffing:fill_assign", E, lambda w: w.open_shift.pk),
            POSTED,
            "seated (the second time: already seated)",
            post=lambda w: {"volunteer": w.outsider_volunteer.pk},
        ),
    ],
    "staffing:fill_answer": [
        Case(url("staffing:fill_answer", E, A), MANAGE),
        Case(url("staffing:fill_answer", E, A), POSTED, post=lambda w: {"answer": "accept"}),
    ],
    "staffing:fill_move": [
        Case(url("staffing:fill_move", E, A), MANAGE),
        Case(
            url("staffing:fill_move", E, A),
            POSTED,
            "moved (the second time: already there)",
            post=lambda w: {"to_shift": w.open_shift.pk},
        ),
    ],
    "staffing:fill_remove": [
        Case(_seat_url("staffing:fill_remove"), MANAGE),
        Case(_seat_url("staffing:fill_remove"), POSTED, post=lambda w: {"reason": "Syg"}),
    ],
    "staffing:fill_replace": [
        Case(_seat_url("staffing:fill_replace"), MANAGE),
        Case(
            _seat_url("staffing:fill_replace"),
            POSTED,
            "replaced (the second time: already taken off, nothing changes)",
            post=lambda w: {"volunteer": w.outsider_volunteer.pk},
        ),
    ],
    "staffing:fill_new_link": [
        Case(url("staffing:fill_new_link", E, A), INVITERS, "team leaders: their team's seats"),
        Case(
            _seat_url("staffing:fill_new_link"),
            MANAGE,
            "not the team leader's seat",
        ),
        Case(url("staffing:fill_new_link", E, A), TEAM_POSTED, post=lambda w: {}),
    ],
}

assert all(c.expected["anonymous"] == LOGIN for cases in TABLE.values() for c in cases)
