"""Who may see and change an election's auto-assign settings (the wish points,
the limits and the seat rules): those who manage the election (admins and
coordinators). Station managers, team leaders and viewers get the uniform 404,
as outsiders do. Adding and deleting a rule are POSTs (302 back to the page);
any other method 405."""

from __future__ import annotations

from django.urls import reverse

from autoassign.models import SeatRule
from tests import factories as f
from tests.permission_cases import MANAGE, POST_ONLY, Case, E, World, url

POSTED = {**MANAGE, "admin": 302, "coordinator": 302}


# The rule each persona deletes: made again under this id after an earlier one deleted it.
RULE_ID = 9001


def _rule(w: World) -> SeatRule:
    """An "at most 2 from one party" rule of the election."""
    rule, _made = SeatRule.objects.get_or_create(
        pk=RULE_ID,
        defaults={
            "election": w.election,
            "kind": SeatRule.Kind.AT_MOST_PER_PARTY,
            "count": 2,
        },
    )
    return rule


def _delete(w: World) -> str:
    return reverse("autoassign:settings_rule_delete", args=[w.election.pk, _rule(w).pk])


def _weights(w: World) -> dict:
    return {
        "preferred_station": 50,
        "preferred_area": 20,
        "near_home": 30,
        "last_placement": 25,
        "wanted_role": 20,
        "experience": 15,
        "max_km": 20,
        "nearest_stations": 8,
        "default_max_shifts": 1,
        "wave_size": 1000,
        "next_wave_at": 60,
    }


def _rule_form(w: World) -> dict:
    """A rule for a new role each time: the same rule twice would be refused."""
    return {"kind": "max_party", "count": 1, "station": w.station.pk, "role": f.role().pk}


def _again(w: World) -> dict:
    _rule(w)
    return {}


TABLE: dict[str, list[Case]] = {
    "autoassign:settings": [
        Case(url("autoassign:settings", E), MANAGE, "the weights and the seat rules"),
        Case(url("autoassign:settings", E), POSTED, "saving the weights", post=_weights),
    ],
    "autoassign:settings_rule_add": [
        Case(url("autoassign:settings_rule_add", E), POST_ONLY),
        Case(url("autoassign:settings_rule_add", E), POSTED, "adding a rule", post=_rule_form),
    ],
    "autoassign:settings_rule_delete": [
        Case(_delete, POST_ONLY),
        Case(_delete, POSTED, "deleting a rule", post=_again),
    ],
}
