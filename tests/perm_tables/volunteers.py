"""Who may see the volunteer list and a volunteer's page (everyone who may see
contact data, each within their scope: a station manager the people with seats
at their stations, a team leader their teams' members), and who may create,
edit and merge records (admins and coordinators). Viewers never see a name."""

from __future__ import annotations

from tests import factories as f
from tests.permission_cases import CONTACT, LOGIN, MANAGE, Case, everyone, url

POSTED = {**MANAGE, "admin": 302, "coordinator": 302}
MEMBER = lambda w: w.member.pk  # noqa: E731 - in the team, no seat
HOLDER = lambda w: w.assignment.volunteer_id  # noqa: E731 - in the team, invited to its seat
OUTSIDER = lambda w: w.outsider_volunteer.pk  # noqa: E731 - in no team, no seat


def _new_person(w) -> dict:
    """A new person each time (no likely duplicate: the form would warn instead)."""
    i = f.n()
    return {
        "first_name": "Ny",
        "last_name": f"Frivillig{i}",
        "birth_date": "1985-03-04",
        "email": f"ny{i}@example.dk",
        "phone": "",
        "preferred_channel": "email",
        "language": "da",
    }


def _edit(w) -> dict:
    v = w.outsider_volunteer
    return {
        "first_name": v.first_name,
        "last_name": v.last_name,
        "birth_date": v.birth_date.isoformat(),
        "email": v.email,
        "phone": v.phone,
        "preferred_channel": v.preferred_channel,
        "language": v.language,
        "notes": "Ringet op",
    }


def _merge(w) -> dict:
    """A fresh duplicate to merge into the outsider volunteer, per persona."""
    return {"other": f.volunteer(first_name="Uden", last_name="Hold").pk, "keep": "this"}


TABLE: dict[str, list[Case]] = {
    "staffing:volunteers": [
        Case(url("staffing:volunteers"), CONTACT, "each sees the people of their scope"),
    ],
    "staffing:volunteer": [
        Case(url("staffing:volunteer", HOLDER), CONTACT, "on the team's seat at the station"),
        Case(
            url("staffing:volunteer", MEMBER),
            {**CONTACT, "station_manager": 404},
            "a team member without a seat: the team leader's, not the station's",
        ),
        Case(url("staffing:volunteer", OUTSIDER), MANAGE, "nobody's but the coordinators'"),
        Case(
            url("staffing:volunteer", lambda w: 987654),
            {**everyone(404), "anonymous": LOGIN},
            "no such record",
        ),
    ],
    "staffing:volunteer_create": [
        Case(url("staffing:volunteer_create"), MANAGE),
        Case(url("staffing:volunteer_create"), POSTED, "saved, then its page", post=_new_person),
    ],
    "staffing:volunteer_edit": [
        Case(url("staffing:volunteer_edit", OUTSIDER), MANAGE),
        Case(
            url("staffing:volunteer_edit", HOLDER),
            MANAGE,
            "team leaders see their members but do not edit the register",
        ),
        Case(url("staffing:volunteer_edit", OUTSIDER), POSTED, post=_edit),
    ],
    "staffing:volunteer_merge": [
        Case(url("staffing:volunteer_merge", OUTSIDER), MANAGE),
        Case(
            url("staffing:volunteer_merge", OUTSIDER), POSTED, "merged, then its page", post=_merge
        ),
    ],
}
