"""The seat grid: stations by roles for an election and a day, typed numbers saved
in one go; a cell's details (team reservations, other times). Through the views,
per role; with the outbox for the notices to people who lose their seats."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import AuditEntry, User
from elections.models import Shift
from notifications.models import Message
from staffing import services
from staffing.models import Assignment
from tests import factories as f

DASH = "\u2013"  # the en dash between two times

pytestmark = pytest.mark.django_db


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


class World:
    def __init__(self) -> None:
        self.election = f.election(name="Folketingsvalg 2027")
        self.north = f.area("Nord")
        self.south = f.area("Syd")
        self.election.areas.add(self.north, self.south)
        self.school = f.station(self.north, name="Vestre Skole")
        self.hall = f.station(self.north, name="Idrætshallen")
        self.library = f.station(self.south, name="Biblioteket")
        self.chair = f.role("Valgstyrer", sort_order=1, default_start=time(7, 30))
        self.clerk = f.role("Tilforordnet", sort_order=2, default_start=time(8))
        self.counter = f.role(
            "Fintæller", sort_order=3, default_start=time(22), default_end=time(2)
        )
        self.day = self.election.election_date

    def url(self, **params: str) -> str:
        base = reverse("staffing:grid", args=[self.election.pk])
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"{base}?{query}" if query else base

    def cell_url(self, station, role, **params: str) -> str:
        base = reverse("staffing:grid_cell", args=[self.election.pk, station.pk, role.pk])
        query = "&".join(f"{k}={v}" for k, v in {"day": self.day.isoformat(), **params}.items())
        return f"{base}?{query}"

    def shift(self, station, role, capacity: int, **kw) -> Shift:
        return f.shift(self.election, station_=station, role_=role, capacity=capacity, **kw)


@pytest.fixture
def w() -> World:
    return World()


def name(station, role, was: int = 0) -> str:
    return f"c{station.pk}.{role.pk}.{was}"


def shifts_of(w: World, station, role) -> list[Shift]:
    return list(Shift.objects.filter(election=w.election, station=station, role=role))


def seat_holders(shift: Shift, count: int) -> list[Assignment]:
    people = [f.volunteer() for _ in range(count)]
    result = services.invite(shift, people, by=None)
    return result.invited


# --- showing the grid -----------------------------------------------------------------


def test_grid_shows_stations_by_area_and_roles_with_default_times(w, coordinator):
    w.shift(w.school, w.clerk, 4)
    response = login(coordinator).get(w.url())
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index("<table") :]
    # Areas in order, their stations (Danish order) under them.
    assert table.index("Nord") < table.index("Idrætshallen") < table.index("Vestre Skole")
    assert table.index("Vestre Skole") < table.index("Syd") < table.index("Biblioteket")
    # Roles as columns, with their default times; the overnight one says so.
    assert table.index("Valgstyrer") < table.index("Tilforordnet") < table.index("Fintæller")
    assert f"07:30{DASH}20:00" in page
    assert f"22:00{DASH}02:00 (+1 day)" in page
    # The cell with a shift shows its seats; totals are there without JavaScript.
    assert f'name="{name(w.school, w.clerk, 4)}" value="4"' in page
    assert response.context["grid"].total == 4
    assert 'src="/static/pollcrew/grid.js"' in page
    assert "<script>" not in page


def test_grid_links_the_days_with_shifts(w, coordinator):
    earlier = w.day - timedelta(days=3)
    Shift.objects.create(
        election=w.election,
        station=w.library,
        role=w.clerk,
        starts_at=f.at(earlier, 10),
        ends_at=f.at(earlier, 16),
        capacity=2,
    )
    client = login(coordinator)
    page = client.get(w.url()).content.decode()
    assert f"?day={earlier.isoformat()}" in page
    assert f"?day={w.day.isoformat()}" in page
    response = client.get(w.url(day=earlier.isoformat()))
    assert response.context["day"] == earlier
    assert response.context["grid"].total == 2


def test_a_day_outside_the_window_is_refused_with_localised_dates(w, coordinator):
    far = w.day + timedelta(days=400)
    response = login(coordinator).get(w.url(day=far.isoformat()))
    assert response.status_code == 200
    assert response.context["day"] == w.day  # shows election day instead
    page = response.content.decode()
    first = w.day - timedelta(days=settings.SHIFT_WINDOW_DAYS_BEFORE)
    message = page[page.index("Choose a day from") :].split(":")[0]
    assert date_format(first, "DATE_FORMAT") in message  # "Nov. 3, 2026", not ISO
    assert first.isoformat() not in message


def test_area_filter_shows_one_area(w, coordinator):
    response = login(coordinator).get(w.url(area=str(w.south.pk)))
    page = response.content.decode()
    assert "Biblioteket" in page
    assert "Vestre Skole" not in page


def test_query_count_is_constant_as_stations_grow(w, coordinator, django_assert_num_queries):
    client = login(coordinator)
    w.shift(w.school, w.clerk, 2)
    # session, user, grants (scope), election, roles, stations, the day's shifts
    # with their held seats, the days with shifts, the election's areas.
    with django_assert_num_queries(9):
        client.get(w.url())
    for i in range(30):
        station = f.station(w.south, name=f"Skole {i}")
        w.shift(station, w.chair, 3, team=f.team() if i % 3 == 0 else None)
        w.shift(station, w.clerk, 5, start=10, end=14)
    with django_assert_num_queries(9):
        response = client.get(w.url())
    assert response.context["grid"].total == 2 + 30 * 8


def test_a_cell_says_how_many_seats_people_hold(w, coordinator):
    """Invited and accepted hold a seat (the counts the database keeps per
    shift); a decline gives it back. Typing fewer is marked by grid.js."""
    shift = w.shift(w.school, w.clerk, 4)
    first, second, third = seat_holders(shift, 3)
    services.accept(first)
    services.decline(second)
    page = login(coordinator).get(w.url()).content.decode()
    assert f'name="{name(w.school, w.clerk, 4)}" value="4" data-held="2"' in page
    services.decline(third)
    page = login(coordinator).get(w.url()).content.decode()
    assert f'name="{name(w.school, w.clerk, 4)}" value="4" data-held="1"' in page


def test_the_collector_runs_again_after_the_grid(w, coordinator):
    """The view holds Python's garbage collector off while it builds the grid
    (staffing.grid.collector_held_off), and only then."""
    import gc

    client = login(coordinator)
    assert gc.isenabled()
    assert client.get(w.url()).status_code == 200
    assert gc.isenabled()
    gc.disable()  # someone else's choice is kept
    try:
        assert client.get(w.url()).status_code == 200
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- saving numbers -------------------------------------------------------------------


def test_grow_creates_and_resizes_shifts_at_the_roles_times(w, coordinator):
    w.shift(w.school, w.clerk, 2)
    response = login(coordinator).post(
        w.url(day=w.day.isoformat()),
        {
            name(w.school, w.clerk, 2): "5",
            name(w.hall, w.chair, 0): "1",
            name(w.library, w.counter, 0): "3",
            name(w.hall, w.clerk, 0): "",
        },
    )
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == ["Saved: 2 new shifts, 1 resized."]  # each count in its own plural
    assert [s.capacity for s in shifts_of(w, w.school, w.clerk)] == [5]
    (chair,) = shifts_of(w, w.hall, w.chair)
    assert chair.capacity == 1
    assert timezone.localtime(chair.starts_at).time() == time(7, 30)
    assert timezone.localtime(chair.ends_at).time() == time(20)
    (count,) = shifts_of(w, w.library, w.counter)
    # The counters' 22:00-02:00 ends the next day.
    assert timezone.localtime(count.ends_at).date() == w.day + timedelta(days=1)
    assert shifts_of(w, w.hall, w.clerk) == []
    actions = AuditEntry.objects.filter(actor=coordinator, action__startswith="staffing.")
    actions = actions.values_list("action", flat=True)
    assert sorted(actions) == [
        "staffing.create_shift",
        "staffing.create_shift",
        "staffing.update_shift",
    ]
    page = login(coordinator).get(response["Location"]).content.decode()
    assert f"22:00{DASH}02:00 (+1 day)" in page


def test_the_packed_form_of_grid_js_is_read_too(w, coordinator):
    response = login(coordinator).post(
        w.url(),
        {"cells": f"{w.school.pk}.{w.chair.pk}.0=2 {w.hall.pk}.{w.chair.pk}.0=1"},
    )
    assert response.status_code == 302
    assert shifts_of(w, w.school, w.chair)[0].capacity == 2
    assert shifts_of(w, w.hall, w.chair)[0].capacity == 1


def test_bad_input_gives_cell_errors_and_keeps_what_was_typed(w, coordinator):
    response = login(coordinator).post(
        w.url(),
        {
            name(w.school, w.chair): "abc",
            name(w.hall, w.chair): "-2",
            name(w.library, w.chair): "100000",
            name(w.school, w.clerk): "4",
        },
    )
    assert response.status_code == 400
    assert not Shift.objects.exists()  # nothing saved, not even the good cell
    page = response.content.decode()
    assert page.count("Type a whole number of seats from 0 to 999.") == 3 * 2  # cell + summary
    for typed in ("abc", "-2", "100000", "4"):
        assert f'value="{typed}"' in page
    assert 'aria-invalid="true"' in page
    assert f'href="#c{w.school.pk}-{w.chair.pk}"' in page


def test_shrink_below_held_seats_is_refused_with_names_then_confirmed(
    w, coordinator, mailoutbox, committed
):
    shift = w.shift(w.school, w.clerk, 3)
    people = seat_holders(shift, 3)
    names = [a.volunteer.full_name for a in people]
    client = login(coordinator)
    response = client.post(w.url(), {name(w.school, w.clerk, 3): "1"})
    assert response.status_code == 200
    assert response.templates[0].name == "staffing/grid_confirm.html"
    page = response.content.decode()
    assert "2 people would lose their seats" in page
    assert sum(n in page for n in names) == 2
    shift.refresh_from_db()
    assert shift.capacity == 3  # nothing done yet
    mailoutbox.clear()

    confirm = response.context["effects"]
    data = {
        "cells": response.context["packed"],
        "do": "confirm",
        "confirm": [e["assignment_id"] for e in confirm],
    }
    response = committed(client.post, w.url(), data)
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.capacity == 1
    removed = Assignment.objects.filter(shift=shift, status=Assignment.Status.REMOVED)
    assert removed.count() == 2
    notices = Message.objects.filter(kind="removed")
    assert notices.count() == 2
    assert len(mailoutbox) == 2
    assert {m.to[0] for m in mailoutbox} == {a.volunteer.email for a in removed}
    assert AuditEntry.objects.filter(actor=coordinator, action="staffing.remove").count() == 2


def test_confirming_is_for_the_people_shown(w, coordinator):
    """Someone else took a seat after the confirmation page: asked again."""
    shift = w.shift(w.school, w.clerk, 3)
    first = seat_holders(shift, 2)
    client = login(coordinator)
    response = client.post(w.url(), {name(w.school, w.clerk, 3): "0"})
    shown = [e["assignment_id"] for e in response.context["effects"]]
    assert sorted(shown) == sorted(a.pk for a in first)
    seat_holders(shift, 1)
    response = client.post(
        w.url(), {"cells": response.context["packed"], "do": "confirm", "confirm": shown}
    )
    assert response.status_code == 200
    assert "3 people would lose their seats" in response.content.decode()
    assert Shift.objects.filter(pk=shift.pk).exists()


def test_removing_a_held_shift_is_refused_then_confirmed(w, coordinator, mailoutbox, committed):
    shift = w.shift(w.hall, w.chair, 1)
    (held,) = seat_holders(shift, 1)
    client = login(coordinator)
    response = client.post(w.url(), {name(w.hall, w.chair, 1): ""})
    page = response.content.decode()
    assert held.volunteer.full_name in page
    assert "The shift is removed" in page
    mailoutbox.clear()
    response = committed(
        client.post,
        w.url(),
        {"cells": response.context["packed"], "do": "confirm", "confirm": [held.pk]},
    )
    assert response.status_code == 302
    assert not Shift.objects.filter(pk=shift.pk).exists()
    assert [m.to for m in mailoutbox] == [[held.volunteer.email]]
    message = Message.objects.get(kind="removed")
    assert message.to == held.volunteer.email
    assert AuditEntry.objects.filter(action="staffing.delete_shift", actor=coordinator).exists()


def test_back_from_the_confirmation_keeps_the_numbers(w, coordinator):
    shift = w.shift(w.hall, w.chair, 2)
    seat_holders(shift, 2)
    client = login(coordinator)
    response = client.post(w.url(), {name(w.hall, w.chair, 2): "1", name(w.school, w.chair): "3"})
    response = client.post(w.url(), {"cells": response.context["packed"], "do": "back"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="{name(w.hall, w.chair, 2)}" value="1"' in page
    assert f'name="{name(w.school, w.chair)}" value="3"' in page
    assert not shifts_of(w, w.school, w.chair)


def test_a_cell_changed_meanwhile_is_not_overwritten(w, coordinator):
    shift = w.shift(w.school, w.chair, 2)
    client = login(coordinator)
    Shift.objects.filter(pk=shift.pk).update(capacity=4)  # someone else, meanwhile
    response = client.post(w.url(), {name(w.school, w.chair, 2): "3"})
    assert response.status_code == 400
    assert "it has 4 seats now" in response.content.decode()
    shift.refresh_from_db()
    assert shift.capacity == 4


def test_an_archived_election_cannot_be_changed(w, coordinator):
    w.election.status = "archived"
    w.election.save()
    client = login(coordinator)
    page = client.get(w.url()).content.decode()
    assert "<input name=" not in page
    response = client.post(w.url(), {name(w.school, w.chair): "3"})
    assert response.status_code == 302
    assert not Shift.objects.exists()


# --- a cell's details --------------------------------------------------------------------


def cell_post(rows: list[dict], version: str = "", **extra) -> dict:
    data = {
        "shifts-TOTAL_FORMS": str(len(rows)),
        "shifts-INITIAL_FORMS": str(len(rows)),
        "shifts-MIN_NUM_FORMS": "0",
        "shifts-MAX_NUM_FORMS": "100",
        "version": version,
        "do": "save",
        **extra,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"shifts-{i}-{key}"] = value
    return data


def test_cell_page_reserves_seats_for_a_team(w, coordinator):
    party = f.team("Socialdemokratiet")
    shift = w.shift(w.school, w.clerk, 4)
    client = login(coordinator)
    response = client.get(w.cell_url(w.school, w.clerk))
    assert response.status_code == 200
    version = response.context["version"]
    response = client.post(
        w.cell_url(w.school, w.clerk),
        cell_post(
            [
                {"shift": shift.pk, "seats": "3", "starts": "08:00", "ends": "20:00"},
                {"seats": "2", "starts": "08:00", "ends": "20:00", "team": party.pk},
            ],
            version,
        ),
    )
    assert response.status_code == 302
    cell = sorted(shifts_of(w, w.school, w.clerk), key=lambda s: s.pk)
    assert [(s.capacity, s.team_id) for s in cell] == [(3, None), (2, party.pk)]
    page = client.get(w.url()).content.decode()
    # Two shifts: the grid shows the sum with a link to the details.
    assert "5 seats in 2 shifts" in page


def test_cell_page_custom_and_overnight_times(w, coordinator):
    client = login(coordinator)
    response = client.get(w.cell_url(w.library, w.chair))
    response = client.post(
        w.cell_url(w.library, w.chair),
        cell_post(
            [{"seats": "2", "starts": "21:00", "ends": "01:30"}], response.context["version"]
        ),
    )
    assert response.status_code == 302
    (shift,) = shifts_of(w, w.library, w.chair)
    assert timezone.localtime(shift.starts_at).time() == time(21)
    assert timezone.localtime(shift.ends_at).time() == time(1, 30)
    assert timezone.localtime(shift.ends_at).date() == w.day + timedelta(days=1)
    page = client.get(w.url()).content.decode()
    assert f"21:00{DASH}01:30 (+1 day)" in page  # a special cell says its times
    page = client.get(w.cell_url(w.library, w.chair)).content.decode()
    assert f"21:00{DASH}01:30 (+1 day)" in page


def test_cell_times_outside_the_window_are_refused(w, coordinator):
    last_day = w.day + timedelta(days=1)
    client = login(coordinator)
    url = w.cell_url(w.library, w.chair, day=last_day.isoformat())
    response = client.get(url)
    response = client.post(
        url,
        cell_post(
            [{"seats": "2", "starts": "10:00", "ends": "15:00"}], response.context["version"]
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "A shift of this election must be between" in page
    assert last_day.isoformat() not in page.split("must be between")[1][:120]
    assert not Shift.objects.exists()
    assert 'value="15:00"' in page  # what was typed is still there


def test_cell_bad_input_is_a_field_error(w, coordinator):
    client = login(coordinator)
    response = client.get(w.cell_url(w.school, w.chair))
    response = client.post(
        w.cell_url(w.school, w.chair),
        cell_post(
            [{"seats": "x", "starts": "25:00", "ends": "20:00"}], response.context["version"]
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a whole number." in page
    assert "Enter a valid time." in page
    assert 'value="x"' in page
    assert not Shift.objects.exists()


def test_cell_change_of_times_with_people_asks_then_tells_them(
    w, coordinator, mailoutbox, committed
):
    shift = w.shift(w.school, w.chair, 2)
    (held,) = seat_holders(shift, 1)
    client = login(coordinator)
    version = client.get(w.cell_url(w.school, w.chair)).context["version"]
    rows = [{"shift": shift.pk, "seats": "2", "starts": "09:00", "ends": "20:00"}]
    response = client.post(w.cell_url(w.school, w.chair), cell_post(rows, version))
    assert response.status_code == 200
    page = response.content.decode()
    assert held.volunteer.full_name in page
    assert "told about the new times" in page
    mailoutbox.clear()
    response = committed(
        client.post,
        w.cell_url(w.school, w.chair),
        cell_post(rows, version, do="confirm", confirm=[held.pk]),
    )
    assert response.status_code == 302
    shift.refresh_from_db()
    assert timezone.localtime(shift.starts_at).time() == time(9)
    assert [m.to for m in mailoutbox] == [[held.volunteer.email]]


def test_cell_remove_a_held_shift_asks_first(w, coordinator, committed):
    shift = w.shift(w.school, w.chair, 2)
    (held,) = seat_holders(shift, 1)
    client = login(coordinator)
    version = client.get(w.cell_url(w.school, w.chair)).context["version"]
    rows = [{"shift": shift.pk, "seats": "2", "starts": "08:00", "ends": "20:00", "remove": "on"}]
    response = client.post(w.cell_url(w.school, w.chair), cell_post(rows, version))
    assert held.volunteer.full_name in response.content.decode()
    assert Shift.objects.filter(pk=shift.pk).exists()
    response = committed(
        client.post,
        w.cell_url(w.school, w.chair),
        cell_post(rows, version, do="confirm", confirm=[held.pk]),
    )
    assert response.status_code == 302
    assert not Shift.objects.filter(pk=shift.pk).exists()
    assert Message.objects.filter(kind="removed", to=held.volunteer.email).exists()


# --- who may ---------------------------------------------------------------------------


def test_outside_scope_is_404(w):
    other = f.election()
    limited = f.user(coordinator=True, elections=[other])
    client = login(limited)
    assert client.get(w.url()).status_code == 404
    assert client.get(w.cell_url(w.school, w.chair)).status_code == 404
    assert client.post(w.url(), {name(w.school, w.chair): "2"}).status_code == 404
    assert not Shift.objects.exists()
    # A station that is not on this election's grid, a role that does not exist.
    elsewhere = f.station(f.area("Andet sted"))
    mine = login(f.user(coordinator=True, elections=[w.election]))
    assert mine.get(w.url()).status_code == 200
    url = reverse("staffing:grid_cell", args=[w.election.pk, elsewhere.pk, w.chair.pk])
    assert mine.get(url).status_code == 404
    url = reverse("staffing:grid_cell", args=[w.election.pk, w.school.pk, 999999])
    assert mine.get(url).status_code == 404


@pytest.mark.parametrize("role", ["viewer", "station_manager", "team_leader"])
def test_others_can_neither_see_nor_save(w, role):
    shift = w.shift(w.school, w.chair, 2)
    team = f.team()
    user = f.user(
        role=role,
        stations=[w.school] if role == "station_manager" else [],
        teams=[team] if role == "team_leader" else [],
    )
    client = login(user)
    assert client.get(w.url()).status_code == 404
    assert client.post(w.url(), {name(w.school, w.chair, 2): "9"}).status_code == 404
    assert client.post(w.cell_url(w.school, w.chair), cell_post([])).status_code == 404
    shift.refresh_from_db()
    assert shift.capacity == 2


def test_admin_can_save(w):
    admin = User.objects.create_superuser("admin@kommune.dk", "pw-admin-12345")
    response = login(admin).post(w.url(), {name(w.school, w.chair): "2"})
    assert response.status_code == 302
    assert shifts_of(w, w.school, w.chair)[0].capacity == 2


def test_post_needs_csrf(w, coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.post(w.url(), {name(w.school, w.chair): "2"}).status_code == 403


def many_stations(w: World, areas: int, per_area: int) -> list:
    """``areas`` more areas of the election with ``per_area`` stations each,
    every cell of a different kind: no seats, seats, seats held, reserved for a
    team, other times, two shifts (a split day), and shifts on another day."""
    from polling_stations.models import Area, PollingStation

    party = f.team("Venstre")
    made = Area.objects.bulk_create([Area(name=f"Kreds {a:03d}") for a in range(areas)])
    w.election.areas.add(*made)
    stations = PollingStation.objects.bulk_create(
        [
            PollingStation(area=area, name=f"Skole {a:03d}-{s:02d}", address="Skolevej 1")
            for a, area in enumerate(made)
            for s in range(per_area)
        ]
    )
    shifts = []
    for i, station in enumerate(stations):
        kind = i % 6
        day = w.day - timedelta(days=1) if kind == 5 else w.day
        shifts.append(
            Shift(
                election=w.election,
                station=station,
                role=w.chair,
                team=party if kind == 2 else None,
                starts_at=f.at(day, 7, 30),
                ends_at=f.at(day, 20 if kind != 3 else 21),
                capacity=1 + kind,
            )
        )
        if kind == 4:  # a split day: two shifts in one cell
            shifts += [
                Shift(
                    election=w.election,
                    station=station,
                    role=w.clerk,
                    starts_at=f.at(w.day, 8),
                    ends_at=f.at(w.day, 14),
                    capacity=2,
                ),
                Shift(
                    election=w.election,
                    station=station,
                    role=w.clerk,
                    starts_at=f.at(w.day, 14),
                    ends_at=f.at(w.day, 20),
                    capacity=3,
                ),
            ]
    Shift.objects.bulk_create(shifts)
    for shift in Shift.objects.filter(election=w.election, capacity=2, role=w.chair)[:5]:
        seat_holders(shift, 1)
    return stations


def test_a_bigger_grid_takes_the_same_queries(w, coordinator, django_assert_num_queries):
    """From three stations to over 300 in 23 areas, every kind of cell: the
    same queries, and every station on the one page."""
    client = login(coordinator)
    w.shift(w.school, w.clerk, 2)
    # session, user, grants (scope), election, roles, stations, the day's shifts
    # with their held seats, the days with shifts, the election's areas.
    with django_assert_num_queries(9):
        client.get(w.url())
    stations = many_stations(w, areas=21, per_area=15)
    with django_assert_num_queries(9):
        response = client.get(w.url())
    page = response.content.decode()
    assert len(response.context["grid"].station_ids) == 3 + 21 * 15
    for station in stations[::7]:
        assert f'<th scope="row" id="s{station.pk}"><bdi>{station.name}</bdi></th>' in page
    table = page[page.index("<table") : page.index("</table>")]
    split = sum(1 for i in range(len(stations)) if i % 6 == 4)  # a link, no input
    assert table.count("<input ") == (3 + 21 * 15) * 3 - split


def test_the_whole_grid_is_one_page_with_links_to_its_areas(w, coordinator):
    """More stations than the 150 a page once held: all of them on one page,
    a link to each area, saved at once (as grid.js posts it)."""
    stations = many_stations(w, areas=12, per_area=15)
    client = login(coordinator)
    response = client.get(w.url())
    page = response.content.decode()
    grid = response.context["grid"]
    assert [g.name for g in grid.groups] == [f"Kreds {a:03d}" for a in range(12)] + ["Nord", "Syd"]
    for group in grid.groups:
        assert f'<a href="#a{group.pk}"><bdi>{group.name}</bdi></a>' in page
        assert f'<th scope="colgroup" id="a{group.pk}"' in page
    assert "Save seats" in page
    assert "page=" not in page
    # As grid.js posts them: the changed cells, packed in one field.
    first, last = stations[0], stations[-1]
    packed = f"{first.pk}.{w.counter.pk}.0=2 {last.pk}.{w.counter.pk}.0=3"
    response = client.post(w.url(), {"cells": packed})
    assert response.status_code == 302
    assert "page" not in response["Location"]
    assert [s.capacity for s in shifts_of(w, first, w.counter)] == [2]
    assert [s.capacity for s in shifts_of(w, last, w.counter)] == [3]


def test_a_cell_of_the_whole_grid_links_its_details_and_back_to_its_row(w, coordinator):
    w.shift(w.school, w.clerk, 2)  # at the role's times, for anyone
    client = login(coordinator)
    page = client.get(w.url()).content.decode()
    details = w.cell_url(w.school, w.clerk)
    # The "+" is named by the station, the role and the hidden word "Details".
    assert (
        f'<a href="{details}" tabindex="-1" aria-labelledby="s{w.school.pk} r{w.clerk.pk} gd">+</a>'
    ) in page
    assert '<span id="gd" hidden>Details</span>' in page
    response = client.get(details)
    assert response.context["back"].endswith(f"#s{w.school.pk}")
    version = response.context["version"]
    rows = [{"shift": Shift.objects.get().pk, "seats": "3", "starts": "08:00", "ends": "20:00"}]
    response = client.post(details, cell_post(rows, version))
    assert response.status_code == 302
    assert response["Location"].endswith(f"#s{w.school.pk}")


def test_times_read_as_seconds_keep_the_local_time_across_a_dst_change(coordinator):
    """The grid reads the shifts' times as seconds since 1970: on the night
    summer time ends (31 October 2027) a night shift keeps its local times, and
    the cell's details save (their version matches the shift)."""
    e = f.election(election_date=date(2027, 10, 31))
    station = f.station(f.area("Nord"), name="Vestre Skole")
    e.areas.add(station.area)
    counter = f.role("Fintæller", default_start=time(20), default_end=time(1))
    night = Shift.objects.create(
        election=e,
        station=station,
        role=counter,
        starts_at=f.at(date(2027, 10, 31), 0, 30),  # summer time (+02:00)
        ends_at=f.at(date(2027, 10, 31), 4),  # winter time (+01:00)
        capacity=2,
    )
    client = login(coordinator)
    url = reverse("staffing:grid", args=[e.pk])
    response = client.get(url)
    (cell,) = response.context["grid"].cells().values()
    (shown,) = cell.shifts
    assert (shown.starts_at, shown.ends_at) == (night.starts_at, night.ends_at)
    assert shown.starts_at.utcoffset() == timedelta(hours=2)
    assert shown.ends_at.utcoffset() == timedelta(hours=1)
    assert f"00:30{DASH}04:00" in response.content.decode()
    details = reverse("staffing:grid_cell", args=[e.pk, station.pk, counter.pk])
    version = client.get(details).context["version"]
    rows = [{"shift": night.pk, "seats": "4", "starts": "00:30", "ends": "04:00"}]
    response = client.post(details, cell_post(rows, version))
    assert response.status_code == 302
    night.refresh_from_db()
    assert night.capacity == 4


def test_save_grid_is_one_transaction_through_the_service(w, coordinator):
    """Every cell of the whole grid in one call: all or nothing."""
    from staffing import grid
    from staffing.services.grid import CellEdit, GridRefused, save_grid

    whole = grid.build(w.election, w.day)
    edits = [CellEdit(c.station_id, c.role_id, 0, 2) for c in whole.cells().values()]
    result = save_grid(w.election, w.day, edits, by=coordinator)
    assert result.created == 9
    assert Shift.objects.count() == 9
    bad = [CellEdit(c.station_id, c.role_id, 2, 3) for c in whole.cells().values()]
    bad[-1] = CellEdit(bad[-1].station_id, bad[-1].role_id, 7, 3)  # stale: the page showed 7
    with pytest.raises(GridRefused) as refused:
        save_grid(w.election, w.day, bad, by=coordinator)
    assert list(refused.value.errors) == [(bad[-1].station_id, bad[-1].role_id)]
    assert set(Shift.objects.values_list("capacity", flat=True)) == {2}
    entries = AuditEntry.objects.filter(action="staffing.create_shift", actor=coordinator)
    assert entries.count() == 9
    assert entries.first().detail == {"via": "seat grid"}


def test_a_large_save_writes_every_audit_entry(w, coordinator):
    """Over 200 entries go in one COPY on PostgreSQL (one INSERT elsewhere)."""
    from staffing import grid
    from staffing.services.grid import CellEdit, save_grid

    for i in range(70):
        f.station(w.south, name=f"Skole {i}")
    whole = grid.build(w.election, w.day)
    edits = [CellEdit(c.station_id, c.role_id, 0, 1) for c in whole.cells().values()]
    assert len(edits) > 200
    save_grid(w.election, w.day, edits, by=coordinator)
    entries = AuditEntry.objects.filter(action="staffing.create_shift", actor=coordinator)
    assert entries.count() == len(edits)
    entry = entries.get(object_id=Shift.objects.get(station=w.school, role=w.chair).pk)
    assert entry.actor_label == coordinator.email
    assert entry.election_id == w.election.pk
    assert entry.changes["capacity"] == [None, 1]
    assert entry.object_repr.startswith("Valgstyrer · Vestre Skole · ")


def test_save_grid_refuses_a_day_outside_the_window(w, coordinator):
    from staffing.services.grid import CellEdit, GridRefused, save_grid

    far = w.day + timedelta(days=400)
    with pytest.raises(GridRefused) as refused:
        save_grid(w.election, far, [CellEdit(w.school.pk, w.chair.pk, 0, 2)], by=coordinator)
    (message,) = refused.value.errors[(w.school.pk, w.chair.pk)]
    assert "A shift of this election must be between" in message
    first = w.day - timedelta(days=settings.SHIFT_WINDOW_DAYS_BEFORE)
    assert date_format(first, "SHORT_DATE_FORMAT") in message
    assert not Shift.objects.exists()


def test_cell_reserving_held_seats_for_a_team_names_who_is_not_in_it(w, coordinator):
    shift = w.shift(w.school, w.chair, 2)
    (held,) = seat_holders(shift, 1)
    party = f.team("Venstre")
    client = login(coordinator)
    version = client.get(w.cell_url(w.school, w.chair)).context["version"]
    rows = [{"shift": shift.pk, "seats": "2", "starts": "08:00", "ends": "20:00", "team": party.pk}]
    response = client.post(w.cell_url(w.school, w.chair), cell_post(rows, version))
    assert response.status_code == 400
    page = response.content.decode()
    assert held.volunteer.full_name in page
    shift.refresh_from_db()
    assert shift.team_id is None
    assert 'value="2"' in page  # what was typed is still there
