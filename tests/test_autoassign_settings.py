"""Auto-assign's settings of an election: the weights and limits, and the seat
rules (autoassign.settings_services and the settings page)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEntry
from autoassign import settings_services as services
from autoassign.models import SeatRule, Weights
from elections.models import Election
from pollcrew.refusals import Refused
from tests import factories as f
from volunteers.models import Skill

pytestmark = pytest.mark.django_db
Kind = SeatRule.Kind


@pytest.fixture
def election():
    """An election over one area with two stations; a station outside it."""
    e = f.election(name="Folketingsvalg 2027")
    area = f.area("Nord")
    e.areas.add(area)
    f.station(area, name="Nordskolen")
    f.station(area, name="Hallen")
    f.station(f.area("Syd"), name="Sydskolen")
    return e


def station(name: str):
    from polling_stations.models import PollingStation

    return PollingStation.objects.get(name=name)


def settings_url(e: Election) -> str:
    return reverse("autoassign:settings", args=[e.pk])


def add_url(e: Election) -> str:
    return reverse("autoassign:settings_rule_add", args=[e.pk])


def delete_url(rule: SeatRule) -> str:
    return reverse("autoassign:settings_rule_delete", args=[rule.election_id, rule.pk])


def weights_post(**overrides) -> dict:
    values = {name: getattr(Weights(), name) for name in services.SETTINGS_FIELDS}  # the defaults
    values.update(overrides)
    return values


def field_error(page: str, name: str) -> str:
    """The error text shown at a field (the page's id_<name>_error span)."""
    match = re.search(rf'id="id_{name}_error">(.*?)</span>\s*(.*?)</span>', page, re.S)
    assert match, f"no error at {name}"
    return match.group(2)


# --- services: weights -----------------------------------------------------------------------


def test_the_first_save_makes_the_row_and_audits_what_changed_from_the_defaults(
    election, coordinator
):
    assert services.current_weights(election).pk is None
    weights = services.save_weights(
        election, by=coordinator, preferred_station=80, max_km=10, near_home=30
    )
    assert weights.pk is not None
    assert Weights.objects.get(election=election).preferred_station == 80
    entry = AuditEntry.objects.get(action="autoassign.save_weights")
    assert entry.election_id == election.pk
    assert entry.actor == coordinator
    # near_home was the default already: not a change.
    assert entry.changes == {"preferred_station": [40, 80], "max_km": [25, 10]}


def test_a_second_save_updates_and_audits_only_the_change(election, coordinator):
    services.save_weights(election, by=coordinator, wave_size=500)
    services.save_weights(election, by=coordinator, wave_size=500, experience=0)
    assert Weights.objects.filter(election=election).count() == 1
    assert services.current_weights(election).experience == 0
    last = AuditEntry.objects.filter(action="autoassign.save_weights").latest("pk")
    assert last.changes == {"experience": [15, 0]}
    services.save_weights(election, by=coordinator, wave_size=500)  # nothing changes
    assert AuditEntry.objects.filter(action="autoassign.save_weights").count() == 2


@pytest.mark.parametrize(
    ("name", "bad", "good"),
    [
        ("preferred_station", 1001, 1000),
        ("near_home", -1, 0),
        ("max_km", 0, 500),
        ("max_km", 501, 1),
        ("nearest_stations", 51, 50),
        ("default_max_shifts", 21, 20),
        ("wave_size", 100_001, 100_000),
        ("wave_size", 0, 1),
    ],
)
def test_values_out_of_bounds_are_refused_on_their_field(election, coordinator, name, bad, good):
    with pytest.raises(ValidationError) as refused:
        services.save_weights(election, by=coordinator, **{name: bad})
    assert list(refused.value.error_dict) == [name]
    assert "whole number" in refused.value.message_dict[name][0]
    assert not Weights.objects.exists()
    assert getattr(services.save_weights(election, by=coordinator, **{name: good}), name) == good


def test_an_archived_elections_settings_stay_as_they_are(election, coordinator):
    Election.objects.filter(pk=election.pk).update(status=Election.Status.ARCHIVED)
    with pytest.raises(Refused):
        services.save_weights(election, by=coordinator, max_km=5)
    assert not Weights.objects.exists()


# --- services: seat rules ------------------------------------------------------------------


def test_a_rule_is_added_and_deleted_with_audit_entries(election, coordinator):
    danish = Skill.objects.create(name="Arabisk", kind=Skill.Kind.LANGUAGE)
    clerk = f.role("Tilforordnet")
    rule = services.add_seat_rule(
        election,
        by=coordinator,
        kind=Kind.AT_LEAST_SKILL,
        count=1,
        skill=danish,
        role=clerk,
        station=station("Hallen"),
    )
    added = AuditEntry.objects.get(action="autoassign.add_seat_rule")
    assert added.election_id == election.pk and added.object_id == rule.pk
    assert added.changes["kind"] == [None, "min_skill"]
    assert added.changes["skill"] == [None, danish.pk]
    services.delete_seat_rule(rule, by=coordinator)
    assert not SeatRule.objects.exists()
    deleted = AuditEntry.objects.get(action="autoassign.delete_seat_rule")
    assert deleted.changes["count"] == [1, None]
    assert deleted.object_id == rule.pk
    services.delete_seat_rule(rule, by=coordinator)  # gone already: nothing more
    assert AuditEntry.objects.filter(action="autoassign.delete_seat_rule").count() == 1


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"kind": "min_skill", "count": 1}, "skill", "Choose the skill"),
        ({"kind": "max_party", "count": 2, "skill": True}, "skill", "takes no skill"),
        ({"kind": "max_party", "count": 0}, "count", "from 1 to 50"),
        ({"kind": "max_party", "count": 51}, "count", "from 1 to 50"),
        ({"kind": "both", "count": 1}, "kind", "kind of rule"),
        ({"kind": "max_party", "count": 2, "station": "Sydskolen"}, "station", "take part"),
    ],
)
def test_a_wrong_rule_is_refused_at_its_field(election, coordinator, values, field, words):
    if values.get("skill"):
        values["skill"] = Skill.objects.create(name="Polsk", kind=Skill.Kind.LANGUAGE)
    if values.get("station"):
        values["station"] = station(values["station"])
    with pytest.raises(ValidationError) as refused:
        services.add_seat_rule(election, by=coordinator, **values)
    assert words in refused.value.message_dict[field][0]
    assert not SeatRule.objects.exists()
    assert not AuditEntry.objects.filter(action="autoassign.add_seat_rule").exists()


def test_a_station_with_seats_of_the_election_counts_as_taking_part(election, coordinator):
    outside = station("Sydskolen")
    f.shift(election, station_=outside)
    rule = services.add_seat_rule(
        election, by=coordinator, kind=Kind.AT_MOST_PER_PARTY, count=2, station=outside
    )
    assert rule.station == outside


def test_the_same_rule_twice_is_refused(election, coordinator):
    services.add_seat_rule(election, by=coordinator, kind=Kind.AT_MOST_PER_PARTY, count=2)
    with pytest.raises(ValidationError, match="has this rule already"):
        services.add_seat_rule(election, by=coordinator, kind=Kind.AT_MOST_PER_PARTY, count=3)
    other = f.election()
    services.add_seat_rule(other, by=coordinator, kind=Kind.AT_MOST_PER_PARTY, count=3)
    assert SeatRule.objects.count() == 2


# --- the page ------------------------------------------------------------------------------


def test_the_page_explains_and_shows_the_weights_with_their_meaning(client, election, coordinator):
    client.force_login(coordinator)
    page = client.get(settings_url(election)).content.decode()
    assert "Auto-assign settings" in page
    assert "first fills as many open seats as it can" in page
    assert "is a hard rule" in page and "never by leaving a seat empty" in page
    assert "points when the seat is at a polling station the person asked for" in page.lower()
    assert 'name="preferred_station" value="40"' in page  # the defaults, nothing saved
    assert 'name="wave_size" value="2000"' in page
    assert "No seat rules yet." in page


def test_saving_the_weights(client, election, coordinator):
    client.force_login(coordinator)
    response = client.post(settings_url(election), weights_post(preferred_area=5, max_km=12))
    assert response.status_code == 302 and response["Location"] == settings_url(election)
    weights = Weights.objects.get(election=election)
    assert (weights.preferred_area, weights.max_km) == (5, 12)
    page = client.get(settings_url(election)).content.decode()
    assert "The auto-assign settings are saved." in page
    assert 'name="max_km" value="12"' in page
    entry = AuditEntry.objects.get(action="autoassign.save_weights")
    assert entry.changes == {"preferred_area": [20, 5], "max_km": [25, 12]}


def test_wrong_weights_are_shown_at_their_fields_and_nothing_is_saved(
    client, election, coordinator
):
    client.force_login(coordinator)
    response = client.post(
        settings_url(election), weights_post(near_home=2000, wave_size=0, max_km="far")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "1000" in field_error(page, "near_home")
    assert field_error(page, "wave_size")
    assert "whole number" in field_error(page, "max_km")
    assert 'id="id_preferred_station_error"' not in page
    assert "Nothing is saved: correct the values marked below." in page
    assert not Weights.objects.exists()
    assert not AuditEntry.objects.filter(action="autoassign.save_weights").exists()


def test_adding_and_deleting_a_rule_on_the_page(client, election, coordinator):
    english = Skill.objects.create(name="Engelsk", kind=Skill.Kind.LANGUAGE)
    Skill.objects.create(name="Valgstyrerkursus", kind=Skill.Kind.TRAINING)
    clerk = f.role("Tilforordnet")
    client.force_login(coordinator)
    page = client.get(settings_url(election)).content.decode()
    # Languages are grouped in the skill list; stations are the election's.
    assert re.search(rf"<optgroup label=\"Languages\">\s*<option value=\"{english.pk}\"", page)
    assert '<optgroup label="Trainings">' in page
    assert "Nordskolen (Nord)" in page and "Sydskolen" not in page
    response = client.post(
        add_url(election),
        {"kind": "min_skill", "count": "1", "skill": english.pk, "role": clerk.pk, "station": ""},
    )
    assert response.status_code == 302
    rule = SeatRule.objects.get()
    assert (rule.kind, rule.count, rule.skill, rule.role, rule.station) == (
        "min_skill",
        1,
        english,
        clerk,
        None,
    )
    page = client.get(settings_url(election)).content.decode()
    assert "The seat rule is added." in page
    assert "At least 1 with “Engelsk” among the Tilforordnet seats at every station" in page
    assert delete_url(rule) in page
    response = client.post(delete_url(rule))
    assert response.status_code == 302
    assert not SeatRule.objects.exists()
    assert "The seat rule is deleted." in client.get(settings_url(election)).content.decode()
    actions = list(
        AuditEntry.objects.filter(election_id=election.pk).values_list("action", flat=True)
    )
    assert sorted(actions) == ["autoassign.add_seat_rule", "autoassign.delete_seat_rule"]


def test_a_wrong_rule_is_shown_at_its_fields(client, election, coordinator):
    client.force_login(coordinator)
    response = client.post(add_url(election), {"kind": "min_skill", "count": "0", "skill": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert field_error(page, "count")
    assert "Choose the skill" in field_error(page, "skill")
    assert '<details class="mt-4" id="add-rule" open>' in page
    response = client.post(add_url(election), {"kind": "max_party", "count": "2", "skill": "999"})
    assert "Select a valid choice" in field_error(response.content.decode(), "skill")
    assert not SeatRule.objects.exists()


def test_a_station_of_another_election_cannot_be_chosen(client, election, coordinator):
    client.force_login(coordinator)
    response = client.post(
        add_url(election),
        {"kind": "max_party", "count": "2", "station": station("Sydskolen").pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in field_error(response.content.decode(), "station")
    assert not SeatRule.objects.exists()


def test_the_page_costs_the_same_queries_with_more_rules(
    client, election, coordinator, django_assert_num_queries
):
    skills = [Skill.objects.create(name=f"Sprog {i}", kind=Skill.Kind.LANGUAGE) for i in range(6)]
    roles = [f.role(f"Rolle {i}") for i in range(3)]
    nord = station("Nordskolen")
    services.add_seat_rule(election, by=None, kind=Kind.AT_MOST_PER_PARTY, count=2)
    client.force_login(coordinator)
    client.get(settings_url(election))  # warm caches (session, organisation)
    # session, user, roles and scopes of the user, the election; the weights; the
    # rules with skill, role and station; the skills, roles and stations to choose from.
    with django_assert_num_queries(9) as few:
        client.get(settings_url(election))
    for i, skill in enumerate(skills):
        services.add_seat_rule(
            election,
            by=None,
            kind=Kind.AT_LEAST_SKILL,
            count=1,
            skill=skill,
            role=roles[i % 3],
            station=nord if i % 2 else None,
        )
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(settings_url(election)).content.decode()
    assert page.count('<tr id="rule-') == 7


# --- who may ---------------------------------------------------------------------------------


def test_outside_the_users_scope_everything_is_404(client, election, coordinator):
    rule = services.add_seat_rule(election, by=None, kind=Kind.AT_MOST_PER_PARTY, count=2)
    other = f.election()
    elsewhere = f.user(role="coordinator", elections=[other])
    manager = f.user(role="station_manager", stations=[station("Nordskolen")])
    for user in (elsewhere, manager):
        client.force_login(user)
        assert client.get(settings_url(election)).status_code == 404
        assert client.post(settings_url(election), weights_post()).status_code == 404
        assert client.post(add_url(election), {"kind": "max_party", "count": 1}).status_code == 404
        assert client.post(delete_url(rule)).status_code == 404
    # A rule of another election through this election's URL: 404, kept.
    client.force_login(coordinator)
    theirs = services.add_seat_rule(other, by=None, kind=Kind.AT_MOST_PER_PARTY, count=1)
    wrong = reverse("autoassign:settings_rule_delete", args=[election.pk, theirs.pk])
    assert client.post(wrong).status_code == 404
    assert client.get(delete_url(rule)).status_code == 405
    assert SeatRule.objects.count() == 2
    assert not Weights.objects.exists()
