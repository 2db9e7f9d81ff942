"""The setup pages: areas, polling stations and roles, through the views, per role.

Create, edit, order and delete each kind (audited, by the acting user); a delete
of something in use is refused with where it is used and offers nothing to
press; search folds Danish letters; bad input is a field error; the lists cost
the same number of queries however many rows they have."""

from __future__ import annotations

from datetime import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry, User
from elections.models import Role
from polling_stations.models import Area, PollingStation
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def office(coordinator) -> Client:
    """A coordinator of every election: may use the setup pages."""
    return client_for(coordinator)


def station_data(area: Area, **overrides) -> dict:
    data = {
        "area": area.pk,
        "name": "Vestre Skole",
        "address": "Skolevej 1",
        "postal_code": "8000",
        "city": "Aarhus C",
        "accessibility": "Trinfri adgang ad rampen",
        "capacity_note": "",
        "manager_contact": "Hanne, 20 11 22 33",
        "notes": "Nøgle hos pedellen",
    }
    data.update(overrides)
    return data


def role_data(**overrides) -> dict:
    data = {
        "name": "Fintæller",
        "short_name": "FT",
        "default_start": "20:00",
        "default_end": "01:00",
        "pay": "850.00",
        "min_age": "18",
        "invite_only": "on",
        "reminders_enabled": "on",
        "description": "Tæller stemmerne igen dagen efter.",
        "description_en": "Counts the votes again the day after.",
        "what_to_bring": "Madpakke",
        "what_to_bring_en": "A packed lunch",
    }
    data.update(overrides)
    return data


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


# --- who may ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "grant",
    [
        {"role": "coordinator", "limited": True},  # some elections only
        {"role": "viewer"},
        {"role": "team_leader"},
        {"role": "station_manager"},
        {},
    ],
    ids=["coordinator-of-one-election", "viewer", "team-leader", "station-manager", "no-role"],
)
def test_only_those_managing_every_election_may_use_them(grant):
    """Reference data is shared by every election: a coordinator of one election,
    a viewer, a team leader, a station manager and someone without a role get a
    404 on every setup page (they do not learn what exists), and nothing changes."""
    station = f.station(f.area("Nord"), name="Nordskolen")
    role = f.role("Tilforordnet")
    e = f.election()
    kwargs = {}
    if grant.get("role") == "coordinator":
        kwargs = {"role": "coordinator", "elections": [e]}
    elif grant.get("role") == "station_manager":
        kwargs = {"role": "station_manager", "stations": [station]}
    elif grant.get("role") == "team_leader":
        kwargs = {"role": "team_leader", "teams": [f.team("Venstre")]}
    elif grant:
        kwargs = grant
    client = client_for(f.user(**kwargs))
    pages = [
        reverse("staffing:setup_areas"),
        reverse("staffing:setup_stations"),
        reverse("staffing:setup_roles"),
        reverse("staffing:setup_area_create"),
        reverse("staffing:setup_station_edit", args=[station.pk]),
        reverse("staffing:setup_role_delete", args=[role.pk]),
    ]
    for page in pages:
        assert client.get(page).status_code == 404, page
    assert client.post(reverse("staffing:setup_area_create"), {"name": "Syd"}).status_code == 404
    assert client.post(reverse("staffing:setup_role_delete", args=[role.pk]), {}).status_code == 404
    assert Area.objects.count() == 1 and Role.objects.filter(pk=role.pk).exists()
    # …and the menu does not offer them a page they cannot open.
    menu = client.get(reverse("staffing:elections")).content.decode()
    assert "Stations and roles" not in menu


def test_admin_and_coordinator_of_every_election_may(admin_user, coordinator):
    for user in (admin_user, coordinator):
        response = client_for(user).get(reverse("staffing:setup_stations"))
        assert response.status_code == 200
        assert "Add a polling station" in response.content.decode()
        assert "Stations and roles" in response.content.decode()  # in the menu


# --- areas ---------------------------------------------------------------------------


def test_create_edit_move_delete_an_area(office, coordinator):
    nord = f.area("Nord")
    response = office.post(reverse("staffing:setup_area_create"), {"name": "Østerbro"})
    assert response.status_code == 302
    oster = Area.objects.get(name="Østerbro")
    (created,) = entries("polling_stations.create_area")
    assert (created.actor, created.changes) == (coordinator, {"name": [None, "Østerbro"]})
    page = office.get(response["Location"]).content.decode()
    assert "“Østerbro” is saved." in page

    office.post(reverse("staffing:setup_area_edit", args=[oster.pk]), {"name": "Aarhus Øst"})
    oster.refresh_from_db()
    assert oster.name == "Aarhus Øst"
    (updated,) = entries("polling_stations.update_area")
    assert updated.actor == coordinator
    assert updated.changes == {"name": ["Østerbro", "Aarhus Øst"]}

    # New areas go last; moving up puts it first, and the list shows that order.
    def order() -> list[str]:
        return [r.obj.name for r in office.get(reverse("staffing:setup_areas")).context["page"]]

    assert order() == ["Nord", "Aarhus Øst"]
    response = office.post(
        reverse("staffing:setup_area_move", args=[oster.pk]),
        {"to": "up", "next": reverse("staffing:setup_areas")},
    )
    assert response["Location"] == reverse("staffing:setup_areas") + f"#move-{oster.pk}-up"
    assert order() == ["Aarhus Øst", "Nord"]
    moves = entries("polling_stations.move_area")
    assert {m.object_id for m in moves} == {oster.pk, nord.pk}
    assert all(m.actor == coordinator for m in moves)

    delete_url = reverse("staffing:setup_area_delete", args=[oster.pk])
    assert "Nothing uses it" in office.get(delete_url).content.decode()
    response = office.post(delete_url, {})
    assert response.status_code == 302
    assert not Area.objects.filter(pk=oster.pk).exists()
    (deleted,) = entries("polling_stations.delete_area")
    assert (deleted.actor, deleted.changes) == (coordinator, {"name": ["Aarhus Øst", None]})


def test_an_area_with_stations_cannot_be_deleted(office):
    area = f.area("Nord")
    f.station(area, name="Nordskolen")
    f.station(area, name="Ålhallen")
    delete_url = reverse("staffing:setup_area_delete", args=[area.pk])
    page = office.get(delete_url).content.decode()
    assert "cannot be deleted" in page
    assert "Nordskolen, Ålhallen" in page
    assert 'method="post"' not in page.split("<main", 1)[1].split("</main>")[0]
    response = office.post(delete_url, {})
    assert response.status_code == 200
    assert "Nordskolen, Ålhallen" in response.content.decode()
    assert Area.objects.filter(pk=area.pk).exists()
    assert not entries("polling_stations.delete_area")


def test_an_area_taking_part_in_an_election_cannot_be_deleted(office):
    area = f.area("Nord")
    e = f.election(name="Kommunalvalg 2029")
    e.areas.add(area)
    page = office.post(reverse("staffing:setup_area_delete", args=[area.pk]), {})
    assert "Kommunalvalg 2029" in page.content.decode()
    assert Area.objects.filter(pk=area.pk).exists()


def test_a_duplicate_area_name_is_a_field_error(office):
    f.area("Nord")
    response = office.post(reverse("staffing:setup_area_create"), {"name": "Nord"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["An area with this name exists already."]}
    assert Area.objects.count() == 1


# --- polling stations -------------------------------------------------------------------


def test_create_edit_move_delete_a_station(office, coordinator):
    area = f.area("Nord")
    first = f.station(area, name="Nordskolen")
    response = office.post(reverse("staffing:setup_station_create"), station_data(area))
    assert response.status_code == 302
    station = PollingStation.objects.get(name="Vestre Skole")
    assert (station.accessibility, station.notes) == (
        "Trinfri adgang ad rampen",
        "Nøgle hos pedellen",
    )
    (created,) = entries("polling_stations.create_station")
    assert created.actor == coordinator
    assert created.changes["manager_contact"] == [None, "Hanne, 20 11 22 33"]
    listing = office.get(response["Location"]).content.decode()
    assert "Trinfri adgang ad rampen" in listing and "Hanne, 20 11 22 33" in listing

    office.post(
        reverse("staffing:setup_station_edit", args=[station.pk]),
        station_data(area, city="Aarhus N", postal_code="8200"),
    )
    station.refresh_from_db()
    assert (station.postal_code, station.city) == ("8200", "Aarhus N")
    (updated,) = entries("polling_stations.update_station")
    assert updated.changes == {"postal_code": ["8000", "8200"], "city": ["Aarhus C", "Aarhus N"]}

    # To a position: 1 is the first within the area.
    office.post(reverse("staffing:setup_station_move", args=[station.pk]), {"to": "1"})
    station.refresh_from_db()
    first.refresh_from_db()
    assert station.sort_order < first.sort_order
    assert {e.actor for e in entries("polling_stations.move_station")} == {coordinator}

    response = office.post(reverse("staffing:setup_station_delete", args=[station.pk]), {})
    assert response.status_code == 302
    assert not PollingStation.objects.filter(pk=station.pk).exists()
    (deleted,) = entries("polling_stations.delete_station")
    assert deleted.actor == coordinator


def test_a_bad_move_is_a_message_not_an_error(office):
    station = f.station(name="Nordskolen")
    response = office.post(
        reverse("staffing:setup_station_move", args=[station.pk]), {"to": "sideways"}, follow=True
    )
    assert response.status_code == 200
    assert "Give a position (1 is the first)." in response.content.decode()


def test_a_station_in_use_cannot_be_deleted_and_says_where(office):
    station = f.station(f.area("Nord"), name="Nordskolen")
    e = f.election(name="Folketingsvalg 2027")
    f.shift(e, station_=station)
    f.shift(e, station_=station, start=20, end=23)
    older = f.election(name="Kommunalvalg 2025", days_ahead=-300, status="closed")
    f.shift(older, station_=station)
    delete_url = reverse("staffing:setup_station_delete", args=[station.pk])
    page = office.get(delete_url).content.decode()
    assert "“Nordskolen” cannot be deleted" in page
    assert "2 shifts in Folketingsvalg 2027" in page
    assert "1 shift in Kommunalvalg 2025" in page
    main = page.split("<main", 1)[1].split("</main>")[0]
    assert 'method="post"' not in main  # nothing destructive is offered
    response = office.post(delete_url, {})
    assert response.status_code == 200
    assert "2 shifts in Folketingsvalg 2027" in response.content.decode()
    assert PollingStation.objects.filter(pk=station.pk).exists()
    assert not entries("polling_stations.delete_station")


def test_a_duplicate_station_name_in_an_area_is_a_field_error(office):
    area = f.area("Nord")
    f.station(area, name="Vestre Skole")
    response = office.post(reverse("staffing:setup_station_create"), station_data(area))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors == {"name": ["This area has a polling station with this name already."]}
    # The same name in another area is fine.
    other = f.area("Syd")
    response = office.post(reverse("staffing:setup_station_create"), station_data(other))
    assert response.status_code == 302


def test_missing_station_fields_are_field_errors(office):
    response = office.post(reverse("staffing:setup_station_create"), {"name": ""})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"area", "name", "address", "postal_code", "city"} <= set(errors)
    assert "Nothing was saved" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("soren", ["Sørens Skole"]),
        ("SØREN", ["Sørens Skole"]),
        ("aabenraa", ["Åbenrå Hallen"]),  # aa finds å
        ("abenra", ["Åbenrå Hallen"]),
        ("aeblevej", ["Nordskolen"]),  # æ as ae, in the address
        ("8200", ["Sørens Skole"]),  # postal code
        ("risskov", ["Åbenrå Hallen"]),  # town
        ("hallen 6200", ["Åbenrå Hallen"]),  # every word, any column
        ("zzz", []),
    ],
)
def test_search_folds_danish_letters(office, query, found):
    area = f.area("Nord")
    # Addresses given: the factory's numbered ones ("Skolevej 8200" in a long run)
    # could match a query by chance.
    f.station(area, name="Sørens Skole", address="Skolevej 1", postal_code="8200", city="Aarhus N")
    f.station(area, name="Åbenrå Hallen", address="Havnen 2", postal_code="6200", city="Risskov")
    f.station(area, name="Nordskolen", address="Æblevej 4")
    response = office.get(reverse("staffing:setup_stations"), {"q": query})
    shown = [row.obj.name for row in response.context["page"]]
    assert shown == found
    text = response.content.decode()
    assert f"{len(found)} of 3 polling stations match" in text


def test_areas_and_roles_are_searched_with_folding(office):
    f.area("Åby")
    f.area("Nord")
    response = office.get(reverse("staffing:setup_areas"), {"q": "aaby"})
    assert [r.obj.name for r in response.context["page"]] == ["Åby"]
    f.role("Valgstyrer", short_name="VS")
    f.role("Tilforordnet", short_name="TF")
    response = office.get(reverse("staffing:setup_roles"), {"q": "vs"})
    assert [r.obj.name for r in response.context["page"]] == ["Valgstyrer"]


def test_the_station_list_is_paginated_with_counts(office):
    area = f.area("Nord")
    for i in range(55):
        f.station(area, name=f"Skole {i:02d}")
    response = office.get(reverse("staffing:setup_stations"))
    text = response.content.decode()
    assert "55 polling stations" in text and "showing 1\u201350" in text
    assert len(response.context["page"].object_list) == 50
    response = office.get(reverse("staffing:setup_stations"), {"page": 2, "area": area.pk})
    assert [r.obj.name for r in response.context["page"]] == [f"Skole {i}" for i in range(50, 55)]


def test_stations_filtered_by_area(office):
    nord, syd = f.area("Nord"), f.area("Syd")
    f.station(nord, name="Nordskolen")
    f.station(syd, name="Sydhallen")
    response = office.get(reverse("staffing:setup_stations"), {"area": syd.pk})
    assert [r.obj.name for r in response.context["page"]] == ["Sydhallen"]


# --- roles ---------------------------------------------------------------------------


def test_create_edit_move_delete_a_role(office, coordinator):
    chair = f.role("Valgstyrer")
    response = office.post(reverse("staffing:setup_role_create"), role_data())
    assert response.status_code == 302
    role = Role.objects.get(name="Fintæller")
    assert (role.default_start, role.default_end) == (time(20), time(1))
    assert role.invite_only and role.what_to_bring_en == "A packed lunch"
    (created,) = entries("elections.create_role")
    assert created.actor == coordinator
    assert created.changes["default_end"] == [None, "01:00:00"]
    assert "sort_order" not in created.changes
    listing = office.get(reverse("staffing:setup_roles")).content.decode()
    assert "20:00\u201301:00" in listing and "(the next day)" in listing
    assert "850,00 kr." in listing or "850.00 kr." in listing

    edit_url = reverse("staffing:setup_role_edit", args=[role.pk])
    assert "Ends the next day." in office.get(edit_url).content.decode()
    office.post(edit_url, role_data(default_end="23:30", min_age="21"))
    role.refresh_from_db()
    assert (role.default_end, role.min_age) == (time(23, 30), 21)
    (updated,) = entries("elections.update_role")
    assert updated.changes == {"default_end": ["01:00:00", "23:30:00"], "min_age": [18, 21]}

    office.post(reverse("staffing:setup_role_move", args=[role.pk]), {"to": "first"})
    order = [r.obj.name for r in office.get(reverse("staffing:setup_roles")).context["page"]]
    assert order == ["Fintæller", chair.name]

    response = office.post(reverse("staffing:setup_role_delete", args=[role.pk]), {})
    assert response.status_code == 302
    assert not Role.objects.filter(pk=role.pk).exists()
    (deleted,) = entries("elections.delete_role")
    assert deleted.actor == coordinator


def test_a_role_ending_when_it_starts_is_a_field_error(office):
    response = office.post(
        reverse("staffing:setup_role_create"), role_data(default_start="08:00", default_end="08:00")
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "default_end": ["The end must differ from the start (earlier means the next day)."]
    }
    assert not Role.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("min_age", "121"), ("pay", "-5"), ("default_start", "25:00"), ("name", "")],
)
def test_bad_role_input_is_a_field_error(office, field, value):
    response = office.post(reverse("staffing:setup_role_create"), role_data(**{field: value}))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {field}
    assert not Role.objects.exists()


def test_a_duplicate_role_name_is_a_field_error(office):
    f.role("Fintæller")
    response = office.post(reverse("staffing:setup_role_create"), role_data())
    assert response.context["form"].errors == {"name": ["A role with this name exists already."]}


def test_a_role_in_use_cannot_be_deleted_and_says_where(office):
    role = f.role("Tilforordnet")
    e = f.election(name="Folketingsvalg 2027")
    for name in ("Nordskolen", "Sydhallen", "Østhallen", "Vestskolen"):
        f.shift(e, station_=f.station(name=name), role_=role)
    delete_url = reverse("staffing:setup_role_delete", args=[role.pk])
    response = office.post(delete_url, {})
    text = response.content.decode()
    assert "4 shifts in Folketingsvalg 2027" in text
    assert "at Nordskolen, Sydhallen, Vestskolen and 1 more" in text
    assert Role.objects.filter(pk=role.pk).exists()
    assert not entries("elections.delete_role")


# --- query counts ---------------------------------------------------------------------


def _build(n_areas: int, per_area: int) -> None:
    for _ in range(n_areas):
        area = f.area()
        for _ in range(per_area):
            f.station(area, accessibility="Rampe")
        f.role()


@pytest.mark.parametrize(
    "name", ["staffing:setup_areas", "staffing:setup_stations", "staffing:setup_roles"]
)
def test_list_queries_do_not_grow_with_the_data(office, django_assert_num_queries, name):
    """Session and user (2), the grants (1), then: areas — the areas, the station
    counts per area (2); stations — every station's keys, this page's stations
    with their areas (2); roles — the roles (1)."""
    expected = {"staffing:setup_areas": 5, "staffing:setup_stations": 5, "staffing:setup_roles": 4}
    _build(2, 3)
    with django_assert_num_queries(expected[name]):
        assert office.get(reverse(name)).status_code == 200
    _build(12, 8)
    with django_assert_num_queries(expected[name]):
        assert office.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_back_goes_only_to_our_own_pages(office, target):
    response = office.post(reverse("staffing:setup_area_create"), {"name": "Nord", "next": target})
    assert response["Location"] == reverse("staffing:setup_areas")


def test_after_saving_a_station_the_list_shows_its_area(office):
    area = f.area("Nord")
    f.station(f.area("Syd"), name="Sydhallen")
    response = office.post(reverse("staffing:setup_station_create"), station_data(area))
    assert response["Location"] == reverse("staffing:setup_stations") + f"?area={area.pk}"
    shown = [r.obj.name for r in office.get(response["Location"]).context["page"]]
    assert shown == ["Vestre Skole"]
