"""Who may see and change an election's standby list, and the volunteer's
standby pages.

The office's pages show names and contact details and change who is offered
seats: they need the manage capability over the election (admins and
coordinators); station managers, team leaders and viewers get the uniform 404,
as outsiders do. The changes are POSTs (302 back to the list).

The claim page ``/v/offer/<token>/`` is a token page: the token is the key
(GET for everyone), a bad token the uniform 404, and a POST without the page's
form token is refused (403) whoever sends it. Joining and leaving a list from
the personal page are page forms: any other method the uniform 404, a POST
without the page's form token 403."""

from __future__ import annotations

from django.urls import reverse

from staffing.models import SeatOffer, StandbyEntry, hash_token
from tests import factories as f
from tests.permission_cases import MANAGE, POST_ONLY, Case, E, World, everyone, url

POSTED = {**MANAGE, "admin": 302, "coordinator": 302}
OFFER_TOKEN = "o" * 43


def _entry(w: World) -> StandbyEntry:
    """Someone on the open shift's standby list (made once per test)."""
    entry = StandbyEntry.objects.filter(election=w.election, shift=w.open_shift).first()
    if entry is None:
        entry = StandbyEntry.objects.create(
            election=w.election, volunteer=f.volunteer(first_name="Venter"), shift=w.open_shift
        )
    return entry


def _offer_token(w: World) -> str:
    """An open offer of a seat on the open shift, and its claim token."""
    if not SeatOffer.objects.filter(token_hash=hash_token(OFFER_TOKEN)).exists():
        from datetime import timedelta

        from django.utils import timezone

        SeatOffer.objects.create(
            entry=_entry(w),
            shift=w.open_shift,
            token_hash=hash_token(OFFER_TOKEN),
            deadline=timezone.now() + timedelta(hours=2),
        )
    return OFFER_TOKEN


def _remove(w: World) -> str:
    return reverse("staffing:standby_remove", args=[w.election.pk, _entry(w).pk])


def _page_form(name: str) -> list[Case]:
    page = url(name, lambda w: w.token)
    return [
        Case(page, everyone(404), "a POST with the page's form token"),
        Case(
            page,
            everyone(403),
            "without the page's form token: refused",
            post=lambda w: {"shift": w.open_shift.pk, "entry": _entry(w).pk},
        ),
    ]


def _settings(w: World) -> dict:
    return {
        "standby_enabled": "on",
        "offer_hours": 12,
        "offers_per_seat": 2,
        "election_day_hours": 24,
        "election_day_offer_minutes": 30,
    }


TABLE: dict[str, list[Case]] = {
    "staffing:standby": [Case(url("staffing:standby", E), MANAGE, "the list and its settings")],
    "staffing:standby_settings": [
        Case(url("staffing:standby_settings", E), POST_ONLY),
        Case(url("staffing:standby_settings", E), POSTED, "saving the settings", post=_settings),
    ],
    "staffing:standby_pause": [
        Case(url("staffing:standby_pause", E), POST_ONLY),
        Case(url("staffing:standby_pause", E), POSTED, "pausing", post=lambda w: {"pause": "1"}),
    ],
    "staffing:standby_remove": [
        Case(_remove, POST_ONLY),
        Case(_remove, POSTED, "taking someone off the list", post=lambda w: {}),
    ],
    "portal:offer": [
        Case(url("portal:offer", _offer_token), everyone(200), "the token is the key"),
        Case(url("portal:offer", lambda w: "x" * 43), everyone(404)),
        Case(
            url("portal:offer", _offer_token),
            everyone(403),
            "a claim without the page's form token: refused",
            post=lambda w: {},
        ),
    ],
    "portal:standby_join": _page_form("portal:standby_join"),
    "portal:standby_leave": _page_form("portal:standby_leave"),
}
