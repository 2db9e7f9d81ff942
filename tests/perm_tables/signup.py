"""Who may make and revoke sign-up links and answer held sign-ups, and the
public sign-up pages.

The office's pages need the manage capability over the election (admins and
coordinators), except that a team leader may make and revoke their own team's
join links; everyone else gets the uniform 404. Approving and refusing are
POSTs: the second persona finds the sign-up answered and is redirected with
that said, like a double click. The public pages (/s/<token>/) are for anyone
holding a live link: the token is the key; anything else is the 404, and a POST
without the page's form token is refused."""

from __future__ import annotations

from django.urls import reverse

from staffing import signup as reading
from staffing.models import Assignment
from staffing.services import signup as services
from tests.permission_cases import MANAGE, POST_ONLY, Case, E, World, everyone, url

POSTED = {**MANAGE, "admin": 302, "coordinator": 302}


def _link(w: World):
    return services.create_signup_link(w.election, by=None, label="Plakat")


def _token(w: World) -> str:
    return reading.link_token(_link(w))


def _held(w: World) -> int:
    """The world's invited seat, as if signed up and held for approval."""
    Assignment.objects.filter(pk=w.assignment.pk).update(
        signup_link=_link(w), awaiting_approval=True
    )
    return w.assignment.pk


def _seat_of_the_link(name: str):
    return lambda w: reverse(name, args=[w.election.pk, _held(w)])


def _day(w: World) -> str:
    return w.open_shift.starts_at.date().isoformat()


def _public(name: str, *rest):
    return lambda w: reverse(name, args=[_token(w), *[r(w) for r in rest]])


TABLE: dict[str, list[Case]] = {
    "staffing:signup_links": [
        Case(
            url("staffing:signup_links", E),
            {**MANAGE, "team_leader": 200},
            "the links and held sign-ups; a team leader: their team's join links",
        ),
        Case(
            url("staffing:signup_links", E),
            {**POSTED, "team_leader": 400},
            "a new link (a team leader: only a team join link, said at the field)",
            post=lambda w: {"kind": "seats", "label": "Biblioteket"},
        ),
        Case(
            url("staffing:signup_links", E),
            {**POSTED, "team_leader": 302},
            "a new team join link, the team leader's team",
            post=lambda w: {"kind": "team", "label": "Stand", "team": w.team.pk},
        ),
    ],
    "staffing:revoke_signup_link": [
        Case(
            lambda w: reverse("staffing:revoke_signup_link", args=[w.election.pk, _link(w).pk]),
            POST_ONLY,
            "revoking is a POST",
        ),
        Case(
            lambda w: reverse("staffing:revoke_signup_link", args=[w.election.pk, _link(w).pk]),
            POSTED,
            "revoke",
            post=lambda w: {},
        ),
    ],
    "staffing:approve_signup": [
        Case(_seat_of_the_link("staffing:approve_signup"), POST_ONLY, "a POST"),
        Case(_seat_of_the_link("staffing:approve_signup"), POSTED, "approve", post=lambda w: {}),
    ],
    "staffing:refuse_signup": [
        Case(_seat_of_the_link("staffing:refuse_signup"), POST_ONLY, "a POST"),
        Case(_seat_of_the_link("staffing:refuse_signup"), POSTED, "refuse", post=lambda w: {}),
    ],
    "signup:home": [
        Case(_public("signup:home"), everyone(200), "the token is the key"),
        Case(url("signup:home", lambda w: "x" * 64), everyone(404), "anything else: the 404"),
    ],
    "signup:details": [
        Case(_public("signup:details", lambda w: w.open_shift.pk), everyone(200), "the form"),
        Case(
            _public("signup:details", lambda w: w.team_shift.pk),
            everyone(404),
            "a team's seats are not open",
        ),
        Case(
            _public("signup:details", lambda w: w.open_shift.pk),
            everyone(403),
            "without the page's form token: refused",
            post=lambda w: {"first_name": "X"},
        ),
    ],
    "signup:join": [
        Case(_public("signup:join"), everyone(404), "not a team's link: the 404"),
    ],
    "signup:wait": [
        Case(
            _public("signup:wait", lambda w: w.station.pk, lambda w: _day(w)),
            everyone(404),
            "the election has no standby lists: the 404",
        ),
        Case(
            _public("signup:wait", lambda w: w.station.pk, lambda w: _day(w)),
            everyone(403),
            "without the page's form token: refused",
            post=lambda w: {"first_name": "X"},
        ),
    ],
    "signup:confirm": [
        Case(_public("signup:confirm"), everyone(404), "only a POST"),
        Case(
            _public("signup:confirm"),
            everyone(403),
            "without the page's form token: refused",
            post=lambda w: {"code": "123456"},
        ),
    ],
}
