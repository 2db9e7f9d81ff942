"""Who may see and change a volunteer's wishes per election: as editing the
person (admins and coordinators; everyone else the uniform 404), and only in an
election the user manages. The volunteer's own "My wishes" page is a token page:
the token is the key (GET for everyone), a bad token the uniform 404, and a POST
without the page's form token is refused (403) whoever sends it (saving with it:
tests/test_preferences.py; a 302 here would read as the sign-in redirect)."""

from __future__ import annotations

from tests.permission_cases import MANAGE, Case, E, World, everyone, url

POSTED = {**MANAGE, "admin": 302, "coordinator": 302}
HOLDER = lambda w: w.assignment.volunteer_id  # noqa: E731 - on the team's seat
OUTSIDER = lambda w: w.outsider_volunteer.pk  # noqa: E731 - in no team, no seat


def _wishes(w: World) -> dict:
    return {"available": "on", "max_shifts": "2", "preferred_stations": [w.station.pk]}


TABLE: dict[str, list[Case]] = {
    "staffing:volunteer_preferences": [
        Case(url("staffing:volunteer_preferences", OUTSIDER), MANAGE),
        Case(
            url("staffing:volunteer_preferences", HOLDER),
            MANAGE,
            "team leaders and station managers see the person but do not edit wishes",
        ),
    ],
    "staffing:volunteer_preference": [
        Case(url("staffing:volunteer_preference", OUTSIDER, E), MANAGE),
        Case(url("staffing:volunteer_preference", HOLDER, E), MANAGE, "their member: still no"),
        Case(url("staffing:volunteer_preference", OUTSIDER, E), POSTED, "saved", post=_wishes),
        Case(
            url("staffing:volunteer_preference", OUTSIDER, lambda w: 987654),
            {**MANAGE, "admin": 404, "coordinator": 404},
            "no such election",
        ),
    ],
    "portal:wishes": [
        Case(url("portal:wishes", lambda w: w.token), everyone(200), "the token is the key"),
        Case(url("portal:wishes", lambda w: "x" * 43), everyone(404)),
        Case(
            url("portal:wishes", lambda w: w.token),
            everyone(403),
            "without the page's form token: refused",
            post=lambda w: {"available": "on"},
        ),
    ],
}
