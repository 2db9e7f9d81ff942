"""The board's dashboard and the board's stations: the figures a coordinator reads
above the board for a known set of seats and answers, over what each role may
see; every station of the election's areas on the board, with seats or not yet;
what an election without seats says to do next; queries that do not grow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from elections.models import Election, Shift
from notifications.models import Message
from polling_stations.models import PollingStation
from staffing import dashboard as dash
from staffing.models import Assignment
from tests import factories as f

pytestmark = pytest.mark.django_db

S = Assignment.Status


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def board_url(election: Election) -> str:
    return reverse("staffing:board", args=[election.pk])


def seat(
    shift: Shift,
    status: str,
    *,
    invited: timedelta,
    answered: timedelta | None = None,
    now: datetime,
) -> Assignment:
    """An assignment sent ``invited`` ago and answered ``answered`` ago."""
    return Assignment.objects.create(
        shift=shift,
        volunteer=f.volunteer(),
        status=status,
        invited_at=now - invited,
        responded_at=now - answered if answered is not None else None,
        checked_in_at=now if status == S.CHECKED_IN else None,
    )


def failed_message(about: Assignment, status: str = Message.Status.FAILED) -> Message:
    i = f.n()
    return Message.objects.create(
        channel="email",
        to=f"karen{i}@example.dk",
        subject_type="staffing.assignment",
        subject_id=about.pk,
        kind="invitation",
        language="da",
        body="…",
        status=status,
        idempotency_key=f"test-{i}",
        last_error="550 no such user" if status == Message.Status.FAILED else "",
        sent_at=timezone.now() if status != Message.Status.FAILED else None,
    )


def day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


@dataclass
class Known:
    election: Election
    now: datetime
    north_school: PollingStation
    south_hall: PollingStation
    empty_station: PollingStation  # in the election's area, no seats
    team_shift: Shift
    first_invited: datetime
    accepted_at: list[datetime]


@pytest.fixture
def known() -> Known:
    """Two areas, two roles, three shifts (12 seats): 5 accepted, 3 waiting
    (1 day, 3 days, 9 days), 2 declined (one 9 days ago), 1 withdrawn, and
    failed messages about two of the seats."""
    now = timezone.now()
    e = f.election(name="Folketingsvalg 2027")
    north, south = f.area("Nord"), f.area("Syd")
    chair = f.role("Valgstyrer", sort_order=1)
    clerk = f.role("Tilforordnet", sort_order=2)
    party = f.team("Partiet")
    north_school = f.station(north, name="Nordskolen")
    south_hall = f.station(south, name="Sydhallen")
    empty_station = f.station(north, name="Bakkehuset")
    f.station(f.area("Øst"), name="Østhallen")  # an area that does not take part
    chair_shift = f.shift(e, station_=north_school, role_=chair, capacity=4, team=party)
    north_clerks = f.shift(e, station_=north_school, role_=clerk, capacity=3)
    south_clerks = f.shift(e, station_=south_hall, role_=clerk, capacity=5)
    d = timedelta(days=1)
    a1 = seat(chair_shift, S.ACCEPTED, invited=12 * d, answered=10 * d, now=now)
    waiting_1 = seat(chair_shift, S.INVITED, invited=1 * d, now=now)
    a3 = seat(north_clerks, S.ACCEPTED, invited=5 * d, answered=3 * d, now=now)
    seat(north_clerks, S.INVITED, invited=3 * d, now=now)
    seat(north_clerks, S.DECLINED, invited=4 * d, answered=2 * d, now=now)
    a7 = seat(south_clerks, S.CHECKED_IN, invited=5 * d, answered=3 * d, now=now)
    waiting_9 = seat(south_clerks, S.INVITED, invited=9 * d, now=now)
    seat(south_clerks, S.WITHDRAWN, invited=6 * d, answered=1 * d, now=now)
    seat(south_clerks, S.DECLINED, invited=11 * d, answered=9 * d, now=now)
    a11 = seat(south_clerks, S.ACCEPTED, invited=2 * d, answered=timedelta(minutes=5), now=now)
    a12 = seat(south_clerks, S.ACCEPTED, invited=4 * d, answered=3 * d, now=now)
    failed_message(waiting_1)
    failed_message(waiting_9)
    failed_message(waiting_9, Message.Status.SENT)  # delivered later: not a failure
    # Another election's seat and its failed message count nowhere here.
    other = f.shift(f.election(), capacity=2)
    failed_message(seat(other, S.INVITED, invited=20 * d, now=now))
    seat(other, S.ACCEPTED, invited=30 * d, answered=30 * d, now=now)
    return Known(
        e,
        now,
        north_school,
        south_hall,
        empty_station,
        chair_shift,
        first_invited=a1.invited_at,
        accepted_at=[a.responded_at for a in (a1, a3, a7, a11, a12)],
    )


# --- the figures -----------------------------------------------------------------------


def test_dashboard_figures_for_a_known_set_of_seats(known, coordinator):
    response = login(coordinator).get(board_url(known.election))
    d: dash.Dashboard = response.context["dashboard"]

    assert (d.overall.needed, d.overall.accepted, d.overall.invited) == (12, 5, 3)
    assert d.overall.accepted_pct == 42
    assert [(g.name, g.fill.needed, g.fill.accepted, g.fill.accepted_pct) for g in d.roles] == [
        ("Valgstyrer", 4, 1, 25),
        ("Tilforordnet", 8, 4, 50),
    ]
    assert [(g.name, g.fill.needed, g.fill.accepted, g.fill.accepted_pct) for g in d.areas] == [
        ("Nord", 7, 2, 29),
        ("Syd", 5, 3, 60),
    ]
    assert (d.outstanding.fresh, d.outstanding.waiting, d.outstanding.stale) == (1, 1, 1)
    assert d.outstanding.total == 3
    assert d.oldest_days == 9
    assert (d.declined, d.withdrawn) == (1, 1)  # the decline 9 days ago is not recent
    assert d.failed_messages == 2

    page = response.content.decode()
    assert "42 %" in page
    assert "5 of 12 seats accepted" in page
    assert "Answers outstanding" in page
    oldest = timezone.localtime(known.now - timedelta(days=9)).date()
    assert f"Oldest sent {date_format(oldest, 'SHORT_DATE_FORMAT')}, 9 days ago" in page
    assert "Messages failed" in page
    assert "could not be delivered" in page
    for text in ("Fill per role", "Valgstyrer", "Fill per area", "Nord", "Syd", "29 %", "60 %"):
        assert text in page


def test_chart_points_from_the_first_invitation_to_today(known, coordinator):
    response = login(coordinator).get(board_url(known.election))
    chart: dash.Chart = response.context["dashboard"].chart

    first, today = day(known.first_invited), timezone.localdate()
    assert chart.first.day == first
    assert chart.last.day == today
    assert [p.day for p in chart.points] == [
        first + timedelta(days=i) for i in range((today - first).days + 1)
    ]
    per_day: dict[date, int] = {}
    for moment in known.accepted_at:
        per_day[day(moment)] = per_day.get(day(moment), 0) + 1
    assert {p.day: p.accepted for p in chart.points if p.accepted} == per_day
    assert [p.total for p in chart.points] == [
        sum(n for d, n in per_day.items() if d <= p.day) for p in chart.points
    ]
    assert chart.last.total == 5
    assert chart.target == 12
    # The line climbs (y falls) and never above the axis's top; the target is below it.
    ys = [p.y for p in chart.points]
    assert ys == sorted(ys, reverse=True)
    assert chart.TOP <= chart.target_y < ys[-1] <= chart.bottom


def test_chart_is_an_svg_with_a_text_alternative(known, coordinator):
    page = login(coordinator).get(board_url(known.election)).content.decode()
    first = day(known.first_invited)
    assert '<svg class="pc-chart__svg"' in page
    assert 'role="img" aria-labelledby="pc-chart-title pc-chart-desc"' in page
    assert '<title id="pc-chart-title">Accepted seats per day, against the number of seats' in page
    today = timezone.localdate()
    assert f"From {date_format(first)} to {date_format(today)}: " in page
    assert "5 of 12 seats accepted (42 %)." in page
    assert "Most in one day: 3, on" in page
    # The figures as a table, readable without the picture (and without script).
    assert "<summary>The figures as a table</summary>" in page
    rows = (timezone.localdate() - first).days + 1
    table = page.split("The figures as a table")[1].split("</table>")[0]
    assert table.count('<th scope="row">') == rows
    assert "<script" not in page.split('<section class="pc-dash"')[1].split("</section>")[0]


def test_no_chart_before_the_first_invitation(coordinator):
    e = f.election()
    f.shift(e, capacity=3)
    response = login(coordinator).get(board_url(e))
    d = response.context["dashboard"]
    assert d.chart is None
    assert d.overall.needed == 3
    assert "Nobody has been invited yet" in response.content.decode()


def test_chart_drawing_rounds_the_axis_and_places_the_target():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(3)]
    chart = dash.draw(days, [10, 0, 20], target=250)
    assert [p.total for p in chart.points] == [10, 10, 30]
    assert [t.label for t in chart.y_ticks] == [0, 130, 260]  # 250 → 260: an even middle
    assert chart.target_y == pytest.approx(
        chart.bottom - (chart.bottom - chart.TOP) * 250 / 260, abs=0.1
    )
    assert chart.line.startswith(f"{chart.LEFT},{chart.bottom:g}")
    assert [t.label for t in chart.x_ticks] == [days[0], days[-1]]


def test_chart_of_a_past_election_ends_the_day_after_election_day(coordinator):
    e = f.election(days_ahead=-10)
    shift = f.shift(e, capacity=2)
    now = timezone.now()
    seat(shift, S.ACCEPTED, invited=timedelta(days=20), answered=timedelta(days=15), now=now)
    chart = login(coordinator).get(board_url(e)).context["dashboard"].chart
    assert chart.first.day == day(now - timedelta(days=20))
    assert chart.last.day == e.election_date + timedelta(days=1)
    assert chart.last.total == 1


# --- scope -----------------------------------------------------------------------------


def test_a_team_leaders_dashboard_counts_only_their_seats(known):
    leader = f.user(role="team_leader", teams=[known.team_shift.team])
    response = login(leader).get(board_url(known.election))
    d = response.context["dashboard"]
    assert (d.overall.needed, d.overall.accepted, d.overall.invited) == (4, 1, 1)
    assert [g.name for g in d.roles] == ["Valgstyrer"]
    assert [g.name for g in d.areas] == ["Nord"]
    assert d.outstanding.total == 1
    assert (d.declined, d.withdrawn) == (0, 0)
    assert d.failed_messages == 1  # the message about their seat, not the others
    assert d.chart.last.total == 1
    page = response.content.decode()
    assert "Counted over the seats within your responsibility." in page
    assert "Sydhallen" not in page
    # Only the stations where they have seats: not those without seats.
    rows = response.context["page"].object_list
    assert [r.station.name for r in rows] == ["Nordskolen"]


def test_a_station_managers_dashboard_counts_only_their_station(known):
    manager = f.user(role="station_manager", stations=[known.south_hall])
    d = login(manager).get(board_url(known.election)).context["dashboard"]
    assert (d.overall.needed, d.overall.accepted) == (5, 3)
    assert d.outstanding.total == 1
    assert (d.declined, d.withdrawn) == (0, 1)


def test_a_viewer_sees_the_whole_elections_figures_and_no_links_to_change_seats(known):
    viewer = f.user(role="viewer")
    response = login(viewer).get(board_url(known.election))
    assert response.context["dashboard"].overall.needed == 12
    page = response.content.decode()
    assert "Bakkehuset" in page
    assert "Add seats in the seat grid" not in page


def test_outsiders_get_a_404(known, outsider):
    assert login(outsider).get(board_url(known.election)).status_code == 404


# --- the board's stations --------------------------------------------------------------


def test_the_board_lists_stations_without_seats(known, coordinator):
    response = login(coordinator).get(board_url(known.election))
    rows = response.context["page"].object_list
    assert [(r.station.name, r.has_seats) for r in rows] == [
        ("Bakkehuset", False),
        ("Nordskolen", True),
        ("Sydhallen", True),
    ]
    page = response.content.decode()
    assert "Østhallen" not in page  # its area does not take part
    assert "No seats yet" in page
    station_url = reverse("staffing:station", args=[known.election.pk, known.empty_station.pk])
    assert station_url not in page  # a page that would be empty: not linked
    try:
        grid = reverse("staffing:grid", args=[known.election.pk])
    except NoReverseMatch:
        grid = None  # the seat grid's page is not there yet: no link
    if grid:
        assert f'<a href="{grid}">Add seats in the seat grid</a>' in page
    assert response.context["totals"].needed == 12


def test_the_board_filters_keep_working_with_stations_without_seats(known, coordinator):
    client = login(coordinator)

    def names(**params) -> list[str]:
        rows = client.get(board_url(known.election), params).context["page"].object_list
        return [r.station.name for r in rows]

    assert names(area=known.north_school.area_id) == ["Bakkehuset", "Nordskolen"]
    assert names(q="bakke") == ["Bakkehuset"]
    assert names(understaffed="on") == ["Nordskolen", "Sydhallen"]
    response = client.get(board_url(known.election), {"q": "ingen sådan"})
    assert "No polling stations match." in response.content.decode()


def test_the_board_paginates_stations_with_and_without_seats(coordinator):
    e = f.election()
    area = f.area("Midt")
    e.areas.add(area)
    for i in range(30):
        f.station(area, name=f"Tom {i:02d}")
    for i in range(30):
        f.shift(e, station_=f.station(area, name=f"Fuld {i:02d}"), capacity=2)
    client = login(coordinator)
    first = client.get(board_url(e)).context["page"]
    second = client.get(board_url(e), {"page": "2"}).context["page"]
    assert first.paginator.count == 60
    assert [len(first.object_list), len(second.object_list)] == [50, 10]
    assert {r.station.name for r in (*first.object_list, *second.object_list)} == {
        *(f"Tom {i:02d}" for i in range(30)),
        *(f"Fuld {i:02d}" for i in range(30)),
    }


# --- an election without seats ---------------------------------------------------------


def test_an_election_without_seats_shows_what_to_do_next(coordinator):
    e = f.election(status=Election.Status.DRAFT)
    area = f.area("Vest")
    e.areas.add(area)
    f.station(area, name="Vestskolen")
    f.station(area, name="Vesthallen")
    response = login(coordinator).get(board_url(e))
    page = response.content.decode()
    assert "Next steps" in page
    assert "This election has no seats yet." in page
    assert "2 polling stations take part, from the election's areas." in page
    assert reverse("staffing:setup_stations") in page
    assert reverse("staffing:election_status", args=[e.pk, "active"]) in page
    assert "Activate the election" in page
    assert "No polling stations match" not in page
    assert '<section class="pc-dash"' not in page
    assert [r.station.name for r in response.context["page"].object_list] == [
        "Vesthallen",
        "Vestskolen",
    ]


def test_an_election_without_areas_says_to_choose_them(coordinator):
    e = f.election(status=Election.Status.DRAFT)
    page = login(coordinator).get(board_url(e)).content.decode()
    assert "No polling stations take part yet." in page
    assert reverse("staffing:election_edit", args=[e.pk]) in page
    assert "No polling stations match" not in page


def test_an_active_election_without_seats_does_not_offer_activation(coordinator):
    e = f.election()
    page = login(coordinator).get(board_url(e)).content.decode()
    assert "The election is active" in page
    assert reverse("staffing:election_status", args=[e.pk, "active"]) not in page


def test_a_viewer_of_an_election_without_seats_gets_no_links_to_change_it():
    # Active: a draft is not shown to someone who cannot manage it.
    e = f.election(status=Election.Status.ACTIVE)
    area = f.area("Vest")
    e.areas.add(area)
    f.station(area, name="Vestskolen")
    page = login(f.user(role="viewer")).get(board_url(e)).content.decode()
    assert "No seats have been set up for this election yet." in page
    assert reverse("staffing:setup_stations") not in page
    assert reverse("staffing:election_status", args=[e.pk, "closed"]) not in page


# --- queries ---------------------------------------------------------------------------


def test_board_with_dashboard_query_count_does_not_grow(coordinator, django_assert_num_queries):
    e = f.election()
    now = timezone.now()
    roles = [f.role(f"Rolle {i}") for i in range(3)]

    def add(stations: int, days_back: int) -> None:
        area = f.area()
        e.areas.add(area)
        f.station(area)  # one without seats, too
        for i in range(stations):
            s = f.shift(e, station_=f.station(area), role_=roles[i % 3], capacity=4)
            answered = timedelta(days=i % days_back)
            a = seat(
                s, S.ACCEPTED, invited=answered + timedelta(days=1), answered=answered, now=now
            )
            seat(s, S.INVITED, invited=timedelta(days=i % 9), now=now)
            seat(s, S.DECLINED, invited=timedelta(days=5), answered=timedelta(days=4), now=now)
            failed_message(a)

    add(2, 2)
    client = login(coordinator)
    url = board_url(e)
    # session, user, the user's grants (scope), election; seats and who holds them
    # per station, area and role (the counts the database keeps, for the board and
    # the dashboard); the board: matching stations' names, this page's stations,
    # areas for the filter; the dashboard: the roles' names, the areas' names, the
    # election's tallies, the exact counts at the edges of the time windows.
    with django_assert_num_queries(12):
        client.get(url)
    add(60, 20)  # more stations than a page, more roles, areas and days
    with django_assert_num_queries(12):
        response = client.get(url)
    d = response.context["dashboard"]
    assert d.overall.needed == 62 * 4
    assert len(d.roles) == 3 and len(d.areas) == 2
    assert d.failed_messages == 62
    assert len(d.chart.points) >= 20
    with django_assert_num_queries(12):
        client.get(url, {"page": "2", "understaffed": "on"})


def test_empty_election_query_count(coordinator, django_assert_num_queries):
    e = f.election(status=Election.Status.DRAFT)
    client = login(coordinator)
    # session, user, grants, election; seats and who holds them (none), the
    # stations' names (none: no page of stations to load, no filter to offer);
    # without seats no names of roles and areas, no tallies.
    with django_assert_num_queries(6):
        client.get(board_url(e))
