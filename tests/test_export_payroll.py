"""The payroll export (hours over midnight and over the night the clocks change,
split shifts, which seats are paid, totals per role) and the station staffing
export for the national election system."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from elections.models import Shift
from exchange.exports.payroll import hours_between
from staffing.models import Assignment
from tests import factories as f

pytestmark = pytest.mark.django_db
S = Assignment.Status


def _shift(election, station, role, start, end, capacity=4) -> Shift:
    return Shift.objects.create(
        election=election, station=station, role=role, starts_at=start, ends_at=end,
        capacity=capacity,
    )  # fmt: skip


def _seat(shift, volunteer, status) -> Assignment:
    now = timezone.now()
    return Assignment.objects.create(
        shift=shift,
        volunteer=volunteer,
        status=status,
        responded_at=None if status == S.INVITED else now,
        checked_in_at=now if status == S.CHECKED_IN else None,
    )


@pytest.fixture
def payroll_world(db):
    # Denmark's clocks go back at 03:00 on Sunday 25 October 2026.
    election = f.election(election_date=date(2026, 10, 24))
    station = f.station(name="Rådhuset")
    chair = f.role("Valgstyrer", pay=Decimal("850.00"), sort_order=1)
    clerk = f.role("Tilforordnet", pay=Decimal("600.00"), sort_order=2)
    night = _shift(
        election, station, chair, f.at(date(2026, 10, 24), 22), f.at(date(2026, 10, 25), 6)
    )
    overnight = _shift(
        election, station, clerk, f.at(date(2026, 10, 23), 20), f.at(date(2026, 10, 24), 2)
    )
    morning = _shift(
        election, station, clerk, f.at(date(2026, 10, 24), 8), f.at(date(2026, 10, 24), 12)
    )
    evening = _shift(
        election, station, clerk, f.at(date(2026, 10, 24), 16), f.at(date(2026, 10, 24), 20)
    )
    anna = f.volunteer(first_name="Anna", last_name="Andersen")
    bo = f.volunteer(first_name="Bo", last_name="Berg")
    carl = f.volunteer(first_name="Carl", last_name="Clausen")
    seats = [
        (night, anna, S.ACCEPTED),
        (morning, bo, S.ACCEPTED),
        (evening, bo, S.CHECKED_IN),
        (overnight, carl, S.ACCEPTED),
        (evening, f.volunteer(last_name="Udeblevet"), S.NO_SHOW),
        (morning, f.volunteer(last_name="Trukket"), S.WITHDRAWN),
        (morning, f.volunteer(last_name="Inviteret"), S.INVITED),
    ]
    for shift, person, status in seats:
        _seat(shift, person, status)
    return election


def test_hours_are_real_hours_over_midnight_and_the_change_of_the_clocks():
    assert hours_between(f.at(date(2026, 10, 24), 22), f.at(date(2026, 10, 25), 6)) == Decimal(
        "9.00"
    )
    assert hours_between(f.at(date(2026, 3, 28), 22), f.at(date(2026, 3, 29), 6)) == Decimal("7.00")
    assert hours_between(f.at(date(2026, 5, 1), 20), f.at(date(2026, 5, 2), 2, 30)) == Decimal(
        "6.50"
    )


def test_payroll_rows_and_totals_per_role(client, payroll_world):
    client.force_login(f.user(coordinator=True))
    url = reverse("exchange:export_payroll", args=[payroll_world.pk])
    body = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    lines = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    header = lines[0]
    assert header[:3] == ["Volunteer id", "Last name", "First name"]
    cols = {
        name: header.index(name)
        for name in (
            "Last name",
            "Role",
            "Starts",
            "Ends",
            "Hours",
            "Rate per shift (kr.)",
            "Amount (kr.)",
        )
    }
    rows = [[r[cols[c]] for c in cols] for r in lines[1:5]]
    day, night = "2026-10-24", "2026-10-25"
    assert rows == [
        ["Andersen", "Valgstyrer", f"{day} 22:00", f"{night} 06:00", "9.00", "850.00", "850.00"],
        ["Berg", "Tilforordnet", f"{day} 08:00", f"{day} 12:00", "4.00", "600.00", "600.00"],
        ["Berg", "Tilforordnet", f"{day} 16:00", f"{day} 20:00", "4.00", "600.00", "600.00"],
        ["Clausen", "Tilforordnet", "2026-10-23 20:00", f"{day} 02:00", "6.00", "600.00", "600.00"],
    ]
    # No-show, withdrawn and invited seats are not paid; then the totals.
    assert lines[5] == [] or lines[5] == [""] or not any(lines[5])
    assert lines[6] == ["Totals per role"]
    assert lines[7:] == [
        ["Role", "Shifts", "People", "Hours", "Amount (kr.)"],
        ["Valgstyrer", "1", "1", "9.00", "850.00"],
        ["Tilforordnet", "3", "2", "14.00", "1800.00"],
        ["All roles", "4", "3", "23.00", "2650.00"],
    ]

    response = client.get(url, {"format": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["Payroll", "Totals per role"]
    totals = [[c.value for c in row] for row in book["Totals per role"].iter_rows()]
    assert totals[-1] == ["All roles", 4, 3, 23, 2650]


def test_station_staffing_one_row_per_station_and_role_in_the_documented_format(client):
    election = f.election()
    station = f.station(f.area("Midt"), name="Rådhuset")
    chair = f.role("Valgstyrer", short_name="VS", sort_order=1)
    clerk = f.role("Tilforordnet", short_name="TF", sort_order=2)
    chairs = f.shift(election, station_=station, role_=chair, capacity=2)
    clerks = f.shift(election, station_=station, role_=clerk, capacity=5)
    more_clerks = f.shift(election, station_=station, role_=clerk, capacity=1, start=20, end=23)
    for shift, first, last, status in [
        (chairs, "Åse", "Østergaard", S.ACCEPTED),
        (chairs, "Bent", "Bach", S.CHECKED_IN),
        (clerks, "Carl", "Dam", S.ACCEPTED),
        (more_clerks, "Dorte", "Andersen", S.ACCEPTED),
        (clerks, "Erik", "Ejby", S.INVITED),
        (clerks, "Frida", "Fisk", S.DECLINED),
    ]:
        volunteer = f.volunteer(first_name=first, last_name=last)
        _seat(shift, volunteer, status)
    client.force_login(f.user(coordinator=True))
    url = reverse("exchange:export_station_staffing", args=[election.pk])
    assert b'name="columns"' not in client.get(url).content  # a fixed format
    body = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode("utf-8")
    assert not body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body))) == [
        ["station_id", "station_code", "station_name", "area", "role", "role_short_name",
         "needed", "accepted", "names"],
        [str(station.pk), str(station.pk), "Rådhuset", "Midt", "Valgstyrer", "VS", "2", "2",
         "Bach, Bent; Østergaard, Åse"],
        [str(station.pk), str(station.pk), "Rådhuset", "Midt", "Tilforordnet", "TF", "6", "2",
         "Andersen, Dorte; Dam, Carl"],
    ]  # fmt: skip
