"""The API token pages, and the REST API as a signed-in browser sees it.

/api/tokens/ is for every staff user (their own tokens; an admin everyone's);
a user with no role gets the 404, signed out the sign-in page. Revoking is a
POST: someone else's token is a 404 but for an admin. /api/v1/ takes tokens
only: a session gets 401 on every endpoint (tests/test_api_*.py test the roles
with tokens). The schema and its documentation page are also for signed-in
staff users."""

from __future__ import annotations

from django.urls import reverse

from api import services as api_services
from tests.permission_cases import (
    ADMIN_POST,
    POST_ONLY,
    Case,
    E,
    S,
    World,
    everyone,
    staff_only,
    url,
)

TOKEN_ONLY = everyone(401)
READERS = staff_only(anonymous=401)


def _token_of_someone_else(w: World) -> str:
    made = api_services.create_token(w.staff, name="lønsystem", days=30, by=w.staff)
    return reverse("api:token_revoke", args=[made.token.pk])


def _api(name: str, *args) -> list[Case]:
    return [Case(url(name, *args), TOKEN_ONLY, "tokens only, never a session")]


SHIFT = lambda w: w.open_shift.pk  # noqa: E731
TEAM = lambda w: w.team.pk  # noqa: E731
PERSON = lambda w: w.member.pk  # noqa: E731
SEAT = lambda w: w.assignment.pk  # noqa: E731
AREA = lambda w: w.station.area_id  # noqa: E731
ONE = lambda w: 1  # noqa: E731

TABLE: dict[str, list[Case]] = {
    "api:tokens": [
        Case(url("api:tokens"), staff_only(), "your own tokens; an admin everyone's"),
        Case(
            url("api:tokens"),
            staff_only(),
            "a new token, shown once on the page the POST returns",
            post=lambda w: {"name": "Lønsystem", "days": "90"},
        ),
    ],
    "api:token_revoke": [
        Case(_token_of_someone_else, POST_ONLY, "a POST"),
        Case(
            _token_of_someone_else,
            ADMIN_POST,
            "someone else's token: an admin only",
            post=lambda w: {},
        ),
    ],
    "api:schema": [Case(url("api:schema"), READERS, "the OpenAPI schema: staff users")],
    "api:docs": [Case(url("api:docs"), READERS, "the documentation page: staff users")],
    "api:election-list": [
        *_api("api:election-list"),
        Case(
            url("api:election-list"),
            TOKEN_ONLY,
            "no session writes (no CSRF hole)",
            post=lambda w: {"name": "x"},
        ),
    ],
    "api:election-detail": _api("api:election-detail", E),
    "api:election-status": [
        Case(
            url("api:election-status", E),
            TOKEN_ONLY,
            "no session writes",
            post=lambda w: {"status": "closed"},
        )
    ],
    "api:area-list": _api("api:area-list"),
    "api:area-detail": _api("api:area-detail", AREA),
    "api:station-list": _api("api:station-list"),
    "api:station-detail": _api("api:station-detail", S),
    "api:role-list": _api("api:role-list"),
    "api:role-detail": _api("api:role-detail", lambda w: w.open_shift.role_id),
    "api:shift-list": _api("api:shift-list"),
    "api:shift-detail": _api("api:shift-detail", SHIFT),
    "api:team-list": _api("api:team-list"),
    "api:team-detail": _api("api:team-detail", TEAM),
    "api:volunteer-list": _api("api:volunteer-list"),
    "api:volunteer-detail": _api("api:volunteer-detail", PERSON),
    "api:assignment-list": _api("api:assignment-list"),
    "api:assignment-detail": _api("api:assignment-detail", SEAT),
    "api:assignment-invite": [
        Case(
            url("api:assignment-invite"),
            TOKEN_ONLY,
            "no session writes",
            post=lambda w: {"shift": w.open_shift.pk, "volunteers": [w.member.pk]},
        )
    ],
    "api:assignment-assign": [
        Case(
            url("api:assignment-assign"),
            TOKEN_ONLY,
            "no session writes",
            post=lambda w: {"shift": w.open_shift.pk, "volunteer": w.member.pk},
        )
    ],
    "api:assignment-accept": [
        Case(url("api:assignment-accept", SEAT), TOKEN_ONLY, "no session", post=lambda w: {})
    ],
    "api:assignment-decline": [
        Case(url("api:assignment-decline", SEAT), TOKEN_ONLY, "no session", post=lambda w: {})
    ],
    "api:assignment-move": [
        Case(url("api:assignment-move", SEAT), TOKEN_ONLY, "no session", post=lambda w: {})
    ],
    "api:assignment-remove": [
        Case(url("api:assignment-remove", SEAT), TOKEN_ONLY, "no session", post=lambda w: {})
    ],
    "api:message-list": _api("api:message-list"),
    "api:message-detail": _api("api:message-detail", ONE),
    "api:group-message-list": _api("api:group-message-list"),
    "api:group-message-detail": _api("api:group-message-detail", ONE),
}
