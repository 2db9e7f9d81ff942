"""What the role-by-URL table is made of: the personas, the world the URLs are
built from, and the shorthand for what each persona gets. ``tests/test_permissions.py``
holds the core table; each group of pages adds its own in ``tests/perm_tables/``
(a module with a ``TABLE`` dict), merged into it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

PERSONAS = (
    "anonymous",
    "outsider",
    "admin",
    "coordinator",
    "station_manager",
    "team_leader",
    "viewer",
)
LOGIN = 302


@dataclass
class World:
    election: object
    station: object
    other_station: object
    open_shift: object
    team_shift: object
    team: object
    token: str
    assignment: object
    staff: object  # a staff user (for the administration pages)
    member: object  # of the team, not yet on the team's shift
    outsider_volunteer: object  # in no team


def staff_only(**overrides: int) -> dict[str, int]:
    """Every role 200 unless overridden; no role 404; signed out, the login page."""
    table = dict.fromkeys(PERSONAS, 200)
    table.update(anonymous=LOGIN, outsider=404)
    table.update(overrides)
    return table


def everyone(code: int) -> dict[str, int]:
    return dict.fromkeys(PERSONAS, code)


ADMIN_ONLY = staff_only(coordinator=404, station_manager=404, team_leader=404, viewer=404)
POST_ONLY = {**everyone(405), "anonymous": LOGIN}
# A POST that an admin may make (and is redirected after), nobody else.
ADMIN_POST = {**ADMIN_ONLY, "admin": 302}
CONTACT = staff_only(viewer=404)  # names and phone numbers: never for viewers
MANAGE = staff_only(station_manager=404, team_leader=404, viewer=404)


@dataclass
class Case:
    url: Callable[[World], str]
    expected: dict[str, int]
    why: str = ""
    post: Callable[[World], dict] | None = None  # POST this form data instead of a GET


def url(name: str, *args: Callable[[World], object]) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[arg(w) for arg in args])


E = lambda w: w.election.pk  # noqa: E731
S = lambda w: w.station.pk  # noqa: E731
