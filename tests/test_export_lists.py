"""The list exports (board, volunteers, assignments, messages): the column
picker, formula neutralisation in CSV and XLSX, scope, audit, and query counts
that do not grow with the rows."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEntry
from exchange.exports import lists, payroll
from notifications.models import Message
from staffing import services
from staffing.models import Assignment
from tests import factories as f

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads æøå right
    return list(csv.reader(io.StringIO(body[1:])))


def sheet_of(response, index: int = 0) -> list[list]:
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[c.value for c in row] for row in book.worksheets[index].iter_rows()]


@pytest.fixture
def world(db):
    election = f.election()
    area = f.area("Midtbyen")
    station = f.station(area, name="Rådhuset")
    other = f.station(f.area("Nordbyen"), name="Skolen")
    chair = f.role("Valgstyrer", sort_order=1)
    clerk = f.role("Tilforordnet", sort_order=2)
    team = f.team("Parti A")
    open_shift = f.shift(election, station_=station, role_=clerk, capacity=4)
    team_shift = f.shift(election, station_=station, role_=chair, team=team, capacity=2)
    far_shift = f.shift(election, station_=other, role_=clerk, capacity=3)
    member = f.volunteer(first_name="Åse", last_name="Ørum", channel="sms")
    member.teams.add(team)
    evil = f.volunteer(first_name='=HYPERLINK("http://x")', last_name="@Evil")
    services.invite(team_shift, [member], by=None)
    [seat] = services.invite(open_shift, [evil], by=None).invited
    services.accept(seat, by=None)
    services.invite(far_shift, [f.volunteer(last_name="Andersen")], by=None)
    return {
        "election": election,
        "station": station,
        "other": other,
        "team": team,
        "member": member,
        "evil": evil,
        "open_shift": open_shift,
        "area": area,
    }


def test_board_one_row_per_station_and_role_with_the_picked_columns_in_order(client, world):
    client.force_login(f.user(coordinator=True))
    url = reverse("exchange:export_board", args=[world["election"].pk])
    rows = rows_of(
        client.get(url, {"format": "csv", "columns": ["role", "station", "accepted", "vacant"]})
    )
    assert rows[0] == ["Role", "Polling station", "Accepted", "Vacant"]
    # Areas in order (Midtbyen, Nordbyen), roles in their order within a station.
    assert rows[1:] == [
        ["Valgstyrer", "Rådhuset", "0", "1"],
        ["Tilforordnet", "Rådhuset", "1", "3"],
        ["Tilforordnet", "Skolen", "0", "2"],
    ]
    # The board's filters: one area only.
    rows = rows_of(client.get(url, {"format": "csv", "area": world["area"].pk}))
    assert rows[0] == [
        "Polling station",
        "Area",
        "Role",
        "Seats",
        "Awaiting answer",
        "Accepted",
        "Vacant",
    ]
    assert {r[0] for r in rows[1:]} == {"Rådhuset"}


def _ticked(html: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="columns" value="(\w+)"[^>]* checked', html)


def test_the_picker_page_carries_the_filters_and_remembers_the_columns(client, world):
    client.force_login(f.user(coordinator=True))
    url = reverse("exchange:export_board", args=[world["election"].pk])
    page = client.get(url, {"area": world["area"].pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="area" value="{world["area"].pk}"' in html  # the board's filter goes along
    assert _ticked(html) == ["station", "area", "role", "seats", "awaiting", "accepted", "vacant"]
    b"".join(client.get(url, {"format": "csv", "columns": ["vacant", "station"]}).streaming_content)
    assert _ticked(client.get(url).content.decode()) == ["station", "vacant"]
    # The pages' Export buttons carry their filters.
    board = client.get(reverse("staffing:board", args=[world["election"].pk]), {"q": "råd"})
    assert f'href="{url}?q=r%C3%A5d"' in board.content.decode()
    listed = client.get(reverse("staffing:volunteers"), {"q": "ørum"}).content.decode()
    assert reverse("exchange:export_volunteers") + "?q=%C3%B8rum" in listed


def test_formulas_are_neutralised_in_csv_and_xlsx_and_numbers_stay_numbers(client, world):
    client.force_login(f.user(coordinator=True))
    url = reverse("exchange:export_volunteers")
    wanted = {"columns": ["first_name", "last_name", "phone"], "q": "evil"}
    rows = rows_of(client.get(url, {"format": "csv", **wanted}))
    assert rows[1][:2] == ['\'=HYPERLINK("http://x")', "'@Evil"]

    response = client.get(url, {"format": "xlsx", **wanted})
    data = b"".join(response.streaming_content)
    book = load_workbook(io.BytesIO(data))
    cell = book.active["A2"]
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.data_type == "s" and cell.quotePrefix  # text, shown as typed, never run
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml  # no formula anywhere

    # A control character (pasted from another system) does not break the workbook.
    f.volunteer(first_name="Bo\x0bil", last_name="=Tab\x01")
    rows = sheet_of(client.get(url, {"format": "xlsx", "q": "tab", "columns": ["first_name"]}))
    assert rows == [["First name"], ["Boil"]]
    rows = sheet_of(client.get(url, {"format": "xlsx", "q": "tab", "columns": ["last_name"]}))
    assert rows == [["Last name"], ["=Tab"]]

    board = reverse("exchange:export_board", args=[world["election"].pk])
    rows = sheet_of(client.get(board, {"format": "xlsx"}))
    assert rows[0][:4] == ["Polling station", "Area", "Role", "Seats"]
    assert rows[1][3] == 2 and isinstance(rows[1][3], int)


def test_volunteers_export_is_what_the_list_shows_in_its_scope(client, world):
    leader = f.user(role="team_leader", teams=[world["team"]])
    client.force_login(leader)
    url = reverse("exchange:export_volunteers")
    rows = sheet_of(client.get(url, {"format": "xlsx", "election": world["election"].pk}))
    assert rows[0] == ["Name", "Mobile", "Email", "Teams", "Status in the election"]
    assert rows[1:] == [["Ørum, Åse", world["member"].phone, None, "Parti A", "Invited"]]
    entry = AuditEntry.objects.get(action="read.export.volunteers")
    assert entry.actor == leader
    assert entry.detail["rows"] == 1 and entry.detail["format"] == "xlsx"
    assert entry.detail["filters"] == [f"election={world['election'].pk}"]


def test_assignments_export_scope_and_statuses(client, world):
    leader = f.user(role="team_leader", teams=[world["team"]])
    client.force_login(leader)
    url = reverse("exchange:export_assignments", args=[world["election"].pk])
    rows = rows_of(client.get(url, {"format": "csv", "columns": ["name", "role", "status"]}))
    assert rows == [["Name", "Role", "Status"], ["Ørum, Åse", "Valgstyrer", "Invited"]]

    client.force_login(f.user(coordinator=True))
    rows = rows_of(
        client.get(url, {"format": "csv", "columns": ["name", "status"], "status": "accepted"})
    )
    assert rows[1:] == [['@Evil, =HYPERLINK("http://x")'.replace("@", "'@", 1), "Accepted"]]
    entry = AuditEntry.objects.filter(action="read.export.assignments").latest("pk")
    assert entry.detail["filters"] == ["status=accepted"] and entry.detail["rows"] == 1
    assert entry.election_id == world["election"].pk


def test_a_team_leader_and_a_station_manager_get_only_their_rows_in_every_export(client, world):
    election = world["election"].pk

    def rows(name: str, fmt: str = "csv") -> list[list[str]]:
        response = client.get(reverse(f"exchange:{name}", args=[election]), {"format": fmt})
        assert "no-store" in response["Cache-Control"]  # personal data: never cached
        if fmt == "xlsx":
            return sheet_of(response)
        body = b"".join(response.streaming_content).decode().removeprefix("\ufeff")
        return list(csv.reader(io.StringIO(body)))

    client.force_login(f.user(role="team_leader", teams=[world["team"]]))
    assert [r[:3] for r in rows("export_board")[1:]] == [["Rådhuset", "Midtbyen", "Valgstyrer"]]
    assert [r[2] for r in rows("export_station_staffing")[1:]] == ["Rådhuset"]
    assert [r[4] for r in rows("export_messages", "xlsx")[1:]] == ["Ørum, Åse"]
    client.force_login(f.user(role="station_manager", stations=[world["other"]]))
    assert [r[0] for r in rows("export_board", "xlsx")[1:]] == ["Skolen"]
    assert [r[2] for r in rows("export_station_staffing")[1:]] == ["Skolen"]
    names = [r[4] for r in rows("export_messages")[1:]]
    assert len(names) == 1 and names[0].startswith("Andersen, ")


def test_viewers_get_the_board_but_no_people_and_outsiders_nothing(client, world):
    election = world["election"].pk
    people = [
        reverse("exchange:export_volunteers"),
        reverse("exchange:export_assignments", args=[election]),
        reverse("exchange:export_messages", args=[election]),
        reverse("exchange:export_payroll", args=[election]),
        reverse("exchange:export_station_staffing", args=[election]),
    ]
    board = reverse("exchange:export_board", args=[election])
    client.force_login(f.user(role="viewer"))
    assert client.get(board, {"format": "csv"}).status_code == 200
    for url in people:
        assert client.get(url, {"format": "csv"}).status_code == 404, url
    client.force_login(f.user())
    for url in [board, *people]:
        assert client.get(url, {"format": "csv"}).status_code == 404, url
    assert (
        not AuditEntry.objects.filter(action__startswith="read.export.", detail__rows__gt=0)
        .exclude(action="read.export.board")
        .exists()
    )


def test_messages_export_has_the_log_columns(client, world):
    client.force_login(f.user(coordinator=True))
    url = reverse("exchange:export_messages", args=[world["election"].pk])
    rows = rows_of(client.get(url, {"format": "csv", "channel": "sms"}))
    assert rows[0] == [
        "Time", "Message type", "Channel", "Recipient", "Volunteer", "Role",
        "Polling station", "Status", "Attempts", "Last error",
    ]  # fmt: skip
    assert [r[4] for r in rows[1:]] == ["Ørum, Åse"]
    assert rows[1][3] == "'" + world["member"].phone  # "+45…" is neutralised too


def _grow(world, n: int) -> None:
    shift = f.shift(world["election"], station_=world["station"], capacity=n)
    people = [f.volunteer() for _ in range(n)]
    for v in people:
        v.teams.add(world["team"])
    services.invite(shift, people, by=None)


EXPORTS = [  # every column of each (a column reading a field not loaded would add queries)
    ("export_volunteers", False, lists.VOLUNTEER_COLUMNS),
    ("export_assignments", True, lists.ASSIGNMENT_COLUMNS),
    ("export_messages", True, lists.MESSAGE_COLUMNS),
    ("export_board", True, lists.BOARD_COLUMNS),
    ("export_payroll", True, payroll.PAYROLL_COLUMNS),
    ("export_station_staffing", True, []),
]


def test_queries_do_not_grow_with_the_rows(client, world):
    client.force_login(f.user(coordinator=True))
    urls = {
        reverse(f"exchange:{name}", args=[world["election"].pk] if per_election else []): [
            c.key for c in columns
        ]
        for name, per_election, columns in EXPORTS
    }
    counts: dict[str, list[int]] = {url: [] for url in urls}
    for extra in (2, 18):
        _grow(world, extra)
        for url in urls:
            for fmt in ("csv", "xlsx"):
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(url, {"format": fmt, "columns": urls[url]})
                    b"".join(response.streaming_content)
                counts[url].append(len(captured))
    for url, (csv_small, xlsx_small, csv_large, xlsx_large) in counts.items():
        assert (csv_small, xlsx_small) == (csv_large, xlsx_large), url
    assert Assignment.objects.count() > 20 and Message.objects.count() > 20
