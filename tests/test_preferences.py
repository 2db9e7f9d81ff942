"""A volunteer's wishes for an election: the service's rules and audit, the
coordinator's page (scope, form, field errors) and the volunteer's "My wishes"
page on the personal link (token, form token, rate limit, headers)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry
from portal.views import answer_token
from staffing.links import issue_link, resolve_link
from staffing.models import Preference
from staffing.services.preferences import (
    election_days,
    election_stations,
    set_preference,
    wishes_of,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    """An election over two days at two stations in two areas, with two roles;
    a station and a role of another election; a volunteer and a coordinator."""

    class W:
        pass

    x = W()
    x.election = f.election(name="Kommunalvalg 2027")
    x.north, x.south = f.area("Nord"), f.area("Syd")
    x.school = f.station(x.north, name="Nordskolen")
    x.hall = f.station(x.south, name="Sydhallen")
    x.chair, x.clerk = f.role("Valgstyrer"), f.role("Tilforordnet")
    x.day1 = x.election.election_date
    x.day0 = x.day1 - timedelta(days=1)
    f.shift(x.election, station_=x.school, role_=x.chair)
    f.shift(x.election, station_=x.hall, role_=x.clerk)
    early = f.shift(x.election, station_=x.hall, role_=x.clerk)
    early.starts_at -= timedelta(days=1)
    early.ends_at -= timedelta(days=1)
    early.save()
    x.other = f.election(name="Andet valg", days_ahead=90)
    x.elsewhere = f.station(f.area("Langt væk"), name="Fjernhallen")
    x.counter = f.role("Optæller")
    f.shift(x.other, station_=x.elsewhere, role_=x.counter)
    x.person = f.volunteer(first_name="Karen", last_name="Frivillig", postal_code="8000")
    x.coordinator = f.user("koordinator@kommune.dk", role="coordinator")
    return x


def text(response) -> str:
    """A page's text without its tags (names are isolated in <bdi>)."""
    return re.sub(r"<[^>]+>", "", response.content.decode())


def wishes(**kw):
    base = {
        "available": True,
        "available_days": [],
        "max_shifts": None,
        "near_home": False,
        "preferred_stations": [],
        "preferred_areas": [],
        "wanted_roles": [],
        "refused_roles": [],
    }
    base.update(kw)
    return base


# --- the service ---------------------------------------------------------------------------


def test_what_the_election_offers(w):
    assert election_days(w.election) == [w.day0, w.day1]
    assert set(election_stations(w.election)) == {w.school, w.hall}


def test_nothing_stored_reads_as_the_defaults(w):
    read = wishes_of(w.person, w.election)
    assert not read.saved
    assert (read.available, read.available_days, read.max_shifts) == (True, [], None)
    assert read.initial()["preferred_stations"] == []


def test_set_creates_then_updates_one_row_with_audit(w):
    pref = set_preference(
        w.person,
        w.election,
        by=w.coordinator,
        **wishes(
            available_days=[w.day1.isoformat()],
            max_shifts=2,
            near_home=True,
            preferred_stations=[w.school],
            preferred_areas=[w.north.pk],
            wanted_roles=[w.chair],
            refused_roles=[w.clerk],
        ),
    )
    assert pref.available_days == [w.day1.isoformat()]
    assert pref.updated_by == w.coordinator
    read = wishes_of(w.person, w.election)
    assert read.saved and read.preferred_stations == [w.school]
    assert (read.wanted_roles, read.refused_roles) == ([w.chair], [w.clerk])
    entry = AuditEntry.objects.get(action="staffing.set_preference")
    assert entry.actor == w.coordinator and entry.election_id == w.election.pk
    assert entry.changes["max_shifts"] == [None, 2]
    assert entry.changes["preferred_stations"] == [None, [w.school.pk]]

    # The volunteer changes it on their page: the same row, an entry as the volunteer.
    set_preference(w.person, w.election, by=None, **wishes(available=False))
    assert Preference.objects.filter(volunteer=w.person).count() == 1
    pref.refresh_from_db()
    assert pref.available is False and pref.updated_by is None
    assert pref.preferred_stations.count() == 0
    last = AuditEntry.objects.filter(action="staffing.set_preference").latest("pk")
    assert last.actor is None and last.actor_kind == "volunteer"
    assert last.changes["available"] == [True, False]
    assert last.changes["preferred_stations"] == [[w.school.pk], []]


def test_saving_the_same_again_writes_no_entry(w):
    set_preference(w.person, w.election, by=w.coordinator, **wishes(max_shifts=1))
    set_preference(w.person, w.election, by=w.coordinator, **wishes(max_shifts=1))
    assert AuditEntry.objects.filter(action="staffing.set_preference").count() == 1


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (
            lambda w: {"available_days": [(w.day1 + timedelta(days=3)).isoformat()]},
            "available_days",
        ),
        (lambda w: {"available_days": ["not a day"]}, "available_days"),
        (lambda w: {"preferred_stations": [w.elsewhere]}, "preferred_stations"),
        (lambda w: {"preferred_areas": [w.elsewhere.area_id]}, "preferred_areas"),
        (lambda w: {"wanted_roles": [w.counter]}, "wanted_roles"),
        (lambda w: {"wanted_roles": [w.chair], "refused_roles": [w.chair]}, "refused_roles"),
        (lambda w: {"max_shifts": 0}, "max_shifts"),
    ],
    ids=["day-without-shifts", "bad-day", "station", "area", "role", "both", "max-zero"],
)
def test_refused_with_a_message_on_the_field(w, given, field):
    with pytest.raises(ValidationError) as refused:
        set_preference(w.person, w.election, by=w.coordinator, **wishes(**given(w)))
    assert field in refused.value.message_dict
    assert not Preference.objects.exists()
    assert not AuditEntry.objects.filter(action="staffing.set_preference").exists()


def test_wanted_and_refused_names_the_role(w):
    with pytest.raises(ValidationError) as refused:
        set_preference(
            w.person, w.election, by=None, **wishes(wanted_roles=[w.chair], refused_roles=[w.chair])
        )
    assert "Valgstyrer" in refused.value.message_dict["refused_roles"][0]


# --- the coordinator's pages ---------------------------------------------------------------


def page(w, election=None) -> str:
    return reverse("staffing:volunteer_preference", args=[w.person.pk, (election or w.election).pk])


def staff(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_volunteer_page_links_to_the_wishes_of_each_election(w):
    client = staff(w.coordinator)
    detail = client.get(reverse("staffing:volunteer", args=[w.person.pk])).content.decode()
    index = reverse("staffing:volunteer_preferences", args=[w.person.pk])
    assert index in detail
    listing = text(client.get(index))
    assert "Preferences for Kommunalvalg 2027" in listing
    assert "Preferences for Andet valg" in listing
    assert page(w) in client.get(index).content.decode()


def test_the_coordinator_form_shows_the_elections_choices_and_saves(w):
    client = staff(w.coordinator)
    shown = client.get(page(w)).content.decode()
    assert "Nordskolen" in shown and "Sydhallen" in shown and "Fjernhallen" not in shown
    assert "Optæller" not in shown  # another election's role
    assert f'value="{w.day0.isoformat()}"' in shown
    response = client.post(
        page(w),
        {
            "available": "on",
            "available_days": [w.day0.isoformat()],
            "max_shifts": "2",
            "preferred_stations": [w.hall.pk],
            "wanted_roles": [w.clerk.pk],
        },
        follow=True,
    )
    assert "are saved" in response.content.decode()
    pref = Preference.objects.get(volunteer=w.person, election=w.election)
    assert pref.available_days == [w.day0.isoformat()]
    assert pref.max_shifts == 2 and list(pref.preferred_stations.all()) == [w.hall]
    again = client.get(page(w)).content.decode()
    assert re.search(rf'name="preferred_stations" value="{w.hall.pk}" id="[^"]+" checked', again)
    assert not re.search(
        rf'name="preferred_stations" value="{w.school.pk}" id="[^"]+" checked', again
    )
    assert "Last changed" in again


def test_the_coordinator_form_puts_errors_on_their_fields(w):
    client = staff(w.coordinator)
    response = client.post(
        page(w),
        {
            "available": "on",
            "available_days": ["2030-01-01"],
            "max_shifts": "0",
            "wanted_roles": [w.chair.pk],
            "refused_roles": [w.chair.pk],
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"available_days", "max_shifts", "refused_roles"}
    assert "both wanted and refused: Valgstyrer" in errors["refused_roles"][0]
    assert not Preference.objects.exists()


def test_a_station_of_another_election_is_not_a_choice(w):
    response = staff(w.coordinator).post(
        page(w), {"available": "on", "preferred_stations": [w.elsewhere.pk]}
    )
    assert "preferred_stations" in response.context["form"].errors
    assert not Preference.objects.exists()


def test_outside_the_users_scope_is_a_404(w):
    mine_only = f.user("lokal@kommune.dk", role="coordinator", elections=[w.other])
    client = staff(mine_only)
    assert client.get(page(w)).status_code == 404
    assert client.post(page(w), {"available": "on"}).status_code == 404
    assert client.get(page(w, w.other)).status_code == 200
    team_leader = f.user("leder@kommune.dk", role="team_leader", teams=[f.team("Venstre")])
    assert staff(team_leader).get(page(w)).status_code == 404
    assert not Preference.objects.exists()


def test_the_coordinator_page_needs_the_csrf_token(w):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.coordinator)
    assert client.post(page(w), {"available": "on"}).status_code == 403
    assert not Preference.objects.exists()


def test_reading_the_wishes_is_audited(w):
    staff(w.coordinator).get(page(w))
    assert AuditEntry.objects.filter(
        action="read.volunteer_preferences", object_id=w.person.pk
    ).exists()


# --- the personal page ---------------------------------------------------------------------


def portal_url(token: str) -> str:
    return reverse("portal:wishes", args=[token])


def test_the_personal_page_links_to_my_wishes(w):
    token = issue_link(w.person, w.election)
    home = Client().get(reverse("portal:home", args=[token])).content.decode()
    assert portal_url(token) in home


def test_the_volunteer_saves_their_wishes(w):
    token = issue_link(w.person, w.election)
    client = Client()
    shown = client.get(portal_url(token))
    assert shown.status_code == 200
    assert shown["Cache-Control"] == "no-store" and shown["Referrer-Policy"] == "no-referrer"
    assert "Which days can you help?" in shown.content.decode()
    response = client.post(
        portal_url(token),
        {
            "answer_token": answer_token(resolve_link(token), 0),
            "available": "on",
            "available_days": [w.day1.isoformat()],
            "near_home": "on",
            "refused_roles": [w.chair.pk],
        },
        follow=True,
    )
    assert "Your wishes are saved" in response.content.decode()
    pref = Preference.objects.get(volunteer=w.person, election=w.election)
    assert pref.near_home and pref.updated_by is None
    assert list(pref.refused_roles.all()) == [w.chair]
    entry = AuditEntry.objects.get(action="staffing.set_preference")
    assert entry.actor_kind == "volunteer"
    # Seen again, as saved.
    again = client.get(portal_url(token)).content.decode()
    assert f'value="{w.day1.isoformat()}" id="id_available_days_1" checked' in again


def test_the_volunteer_form_says_what_is_wrong(w):
    token = issue_link(w.person, w.election)
    response = Client().post(
        portal_url(token),
        {
            "answer_token": answer_token(resolve_link(token), 0),
            "available": "on",
            "wanted_roles": [w.clerk.pk],
            "refused_roles": [w.clerk.pk],
        },
    )
    assert response.status_code == 200
    assert "You cannot both want and not want the same job: Tilforordnet." in (
        response.content.decode()
    )
    assert not Preference.objects.exists()


def test_a_bad_token_is_the_uniform_404(w):
    client = Client()
    for bad in ("x" * 43, "short"):
        assert client.get(portal_url(bad)).status_code == 404
        assert client.post(portal_url(bad), {"available": "on"}).status_code == 404
    token = issue_link(w.person, w.election)
    assert client.put(portal_url(token)).status_code == 404


def test_a_post_without_the_page_token_is_refused(w):
    token = issue_link(w.person, w.election)
    client = Client(enforce_csrf_checks=True)
    assert client.post(portal_url(token), {"available": "on"}).status_code == 403
    assert client.post(portal_url(token), {"answer_token": "nope"}).status_code == 403
    assert not Preference.objects.exists()


def test_a_closed_election_takes_no_wishes(w):
    closed = f.election(status="closed")
    token = issue_link(w.person, closed)
    client = Client()
    assert "not open for answers" in client.get(portal_url(token)).content.decode()
    client.post(portal_url(token), {"answer_token": answer_token(resolve_link(token), 0)})
    assert not Preference.objects.exists()


def test_the_page_is_rate_limited(w, monkeypatch):
    from portal import limits

    monkeypatch.setattr(limits, "PAGES", ("portal-page", 2, 60))
    token = issue_link(w.person, w.election)
    client = Client()
    codes = [client.get(portal_url(token)).status_code for _i in range(3)]
    assert codes == [200, 200, 429]


def test_the_wishes_list_costs_the_same_queries_however_many_elections(
    w, django_assert_num_queries
):
    client = staff(w.coordinator)
    index = reverse("staffing:volunteer_preferences", args=[w.person.pk])
    client.get(index)  # session and the like warmed up
    # session, user, scope (grants), the volunteer, its teams, its skills (prefetched
    # by the access helper), the elections, the stored wishes
    with django_assert_num_queries(8) as few:
        client.get(index)
    for i in range(4):
        other = f.election(name=f"Valg {i}", days_ahead=40 + i)
        set_preference(w.person, other, by=w.coordinator, **wishes(max_shifts=1))
    with django_assert_num_queries(len(few.captured_queries)):
        assert "Valg 3" in text(client.get(index))
