"""Coordinator pages: who may see what (role by URL), what they show, query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from staffing import services
from staffing.messaging import messages_for_volunteer
from staffing.models import Assignment
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(f.area("Nord"), name="Vestre Skole")
    shift = f.shift(e, station_=station, capacity=3, role_=f.role("Tilforordnet"))
    return e, station, shift


def urls(world) -> list[str]:
    e, station, shift = world
    return [
        reverse("staffing:elections"),
        reverse("staffing:board", args=[e.pk]),
        reverse("staffing:station", args=[e.pk, station.pk]),
        reverse("staffing:invite", args=[e.pk, shift.pk]),
        reverse("documents:roster", args=[e.pk, station.pk, e.election_date.isoformat()]),
    ]


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("outsider", 404),
        ("coordinator", 200),
        ("admin", 200),
    ],
)
def test_role_by_url(world, who, expected):
    if who == "anonymous":
        client = Client()
    elif who == "admin":
        client = login(User.objects.create_superuser("admin@kommune.dk", "pw-admin-12345"))
    else:
        client = login(f.user(coordinator=(who == "coordinator")))
    for url in urls(world):
        response = client.get(url)
        assert response.status_code == expected, url
        if expected == 302:
            assert response["Location"].startswith(reverse("account_login"))


def test_objects_of_another_election_are_404(world, coordinator):
    _e, station, shift = world
    other = f.election()
    client = login(coordinator)
    assert client.get(reverse("staffing:station", args=[other.pk, station.pk])).status_code == 404
    assert client.get(reverse("staffing:invite", args=[other.pk, shift.pk])).status_code == 404
    assert client.get(reverse("staffing:board", args=[999999])).status_code == 404


def test_board_shows_fill_counts(world, coordinator):
    e, _station, shift = world
    a, _b = services.invite(shift, [f.volunteer(), f.volunteer()], by=None).invited
    services.accept(a)
    response = login(coordinator).get(reverse("staffing:board", args=[e.pk]))
    page = response.content.decode()
    assert "Vestre Skole" in page
    rows = response.context["page"].object_list
    assert [(r.fill.needed, r.fill.invited, r.fill.accepted, r.fill.vacant) for r in rows] == [
        (3, 1, 1, 1)
    ]
    assert response.context["totals"].accepted == 1


def test_board_filters_by_area_and_vacancy(coordinator):
    e = f.election()
    north, south = f.area("Nord"), f.area("Syd")
    full = f.shift(e, station_=f.station(north, name="Nordskolen"), capacity=1)
    services.accept(services.invite(full, [f.volunteer()], by=None).invited[0])
    f.shift(e, station_=f.station(south, name="Sydhallen"), capacity=2)
    client = login(coordinator)
    board = reverse("staffing:board", args=[e.pk])

    def names(**params) -> list[str]:
        rows = client.get(board, params).context["page"].object_list
        return [r.station.name for r in rows]

    assert names() == ["Nordskolen", "Sydhallen"]
    assert names(area=south.pk) == ["Sydhallen"]
    assert names(understaffed="on") == ["Sydhallen"]
    assert names(q="nord") == ["Nordskolen"]


def test_board_query_count_does_not_grow(coordinator, django_assert_num_queries):
    e = f.election()

    def add(count: int) -> None:
        for _ in range(count):
            s = f.shift(e, capacity=4)
            services.invite(s, [f.volunteer(), f.volunteer()], by=None)

    add(2)
    client = login(coordinator)
    url = reverse("staffing:board", args=[e.pk])
    # session, user, the user's grants (scope), election; seats and who holds them
    # per station, area and role (kept by the database; for the board and its
    # dashboard); matching stations' names, this page's stations, areas for the
    # filter; the dashboard: roles' names, areas' names, the election's tallies,
    # the exact counts at the edges of the time windows.
    with django_assert_num_queries(12):
        client.get(url)
    add(60)  # more than a page
    with django_assert_num_queries(12):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 50
    assert response.context["totals"].needed == 62 * 4
    with django_assert_num_queries(12):
        response = client.get(url, {"page": "2"})
    assert len(response.context["page"].object_list) == 12


def test_station_page_query_count_does_not_grow(world, coordinator, django_assert_num_queries):
    e, station, shift = world
    services.invite(shift, [f.volunteer()], by=None)
    client = login(coordinator)
    url = reverse("staffing:station", args=[e.pk, station.pk])
    # session, user, grants, election, station, its shifts with fill counts,
    # the people on them, and the audit entry for reading their contact data.
    with django_assert_num_queries(8):
        client.get(url)
    for hour in range(6):
        s = f.shift(e, station_=station, start=hour, end=hour + 1)
        services.invite(s, [f.volunteer(), f.volunteer()], by=None)
    with django_assert_num_queries(8):
        response = client.get(url)
    assert response.content.decode().count("Invite volunteers") == 7


def test_invite_flow(world, coordinator, mailoutbox, committed):
    e, _station, shift = world
    karen = f.volunteer(first_name="Karen", last_name="Blixen")
    young = f.volunteer(
        first_name="Karen",
        last_name="Ung",
        born=e.election_date.replace(year=e.election_date.year - 16),
    )
    client = login(coordinator)
    url = reverse("staffing:invite", args=[e.pk, shift.pk])
    page = client.get(url, {"q": "karen"}).content.decode()
    assert "Karen Blixen" in page and "Karen Ung" in page
    assert "is under 18 on the day of the shift" in page
    assert f'value="{karen.pk}"' in page and f'value="{young.pk}"' not in page

    response = committed(
        client.post, url + "?q=karen", {"volunteers": [karen.pk, young.pk]}, follow=True
    )
    page = response.content.decode()
    assert "1 volunteer invited." in page
    assert "Not invited: Karen Ung is under 18" in page
    assert Assignment.objects.get(volunteer=karen).invited_by == coordinator
    assert messages_for_volunteer(karen).get().status == "sent"
    assert mailoutbox[0].to == [karen.email]


def test_invite_needs_a_choice(world, coordinator):
    e, _station, shift = world
    response = login(coordinator).post(reverse("staffing:invite", args=[e.pk, shift.pk]), {})
    assert response.status_code == 200
    assert "Choose at least one volunteer to invite." in response.content.decode()


def test_invite_with_unknown_volunteer_id_is_a_form_error(world, coordinator):
    e, _station, shift = world
    response = login(coordinator).post(
        reverse("staffing:invite", args=[e.pk, shift.pk]), {"volunteers": ["999999", "abc"]}
    )
    assert response.status_code == 200
    assert not Assignment.objects.exists()


def test_htmx_search_returns_only_the_results(world, coordinator):
    e, _station, shift = world
    f.volunteer(first_name="Søren", last_name="Østergaard")
    response = login(coordinator).get(
        reverse("staffing:invite", args=[e.pk, shift.pk]), {"q": "søren"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "Søren Østergaard" in page
    assert "<html" not in page


def test_invite_is_csrf_protected(world, coordinator):
    e, _station, shift = world
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    response = client.post(
        reverse("staffing:invite", args=[e.pk, shift.pk]), {"volunteers": [f.volunteer().pk]}
    )
    assert response.status_code == 403
    assert not Assignment.objects.exists()


def test_user_text_is_escaped(world, coordinator):
    e, station, shift = world
    v = f.volunteer(first_name="<script>alert(1)</script>", last_name="&Co")
    services.invite(shift, [v], by=None)
    page = login(coordinator).get(reverse("staffing:station", args=[e.pk, station.pk]))
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;Co" in html


def test_login_has_no_signup(client):
    assert client.get("/accounts/signup/").status_code in (200, 302)
    response = client.post(
        "/accounts/signup/",
        {"email": "x@y.dk", "password1": "Sup3r-hemmelig!", "password2": "Sup3r-hemmelig!"},
    )
    assert not User.objects.filter(email="x@y.dk").exists()
    assert response.status_code in (200, 302)


def test_staff_login_with_email_and_password(client):
    f.user("Koordinator@Kommune.dk", coordinator=True, password="rigtig-godt-kodeord")
    response = client.post(
        reverse("account_login"),
        {"login": "koordinator@kommune.dk", "password": "rigtig-godt-kodeord"},
    )
    assert response.status_code == 302
    assert client.get(reverse("staffing:elections")).status_code == 200
    bad = Client().post(
        reverse("account_login"), {"login": "koordinator@kommune.dk", "password": "forkert"}
    )
    assert bad.status_code == 200
    assert "not correct" in bad.content.decode()
