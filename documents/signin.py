"""Sign-in sheets: per station and day, everyone expected in order of arrival
(shift start, then name in Danish order), their role, a box to tick, a column to
sign, and a small QR code that opens their check-in page on the day
(staffing.checkin). Vacant seats follow as empty rows, so someone who steps in
can sign too.

Queries do not grow with the number of sheets: the shifts of all station days,
the filled assignments, the stations with their areas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from documents.kinds import parse_station_day, station_day_key
from documents.qr import qr_svg
from documents.rendered import Rendered
from documents.rosters import (
    common_context,
    day_shifts,
    filled_by_shift,
    one_line,
    with_bookmarks,
)
from elections.models import Election, Shift
from pollcrew.collation import danish_key
from polling_stations.models import PollingStation
from staffing.checkin import checkin_url
from staffing.models import Assignment

QR_SIZE_MM = 15


@dataclass(frozen=True)
class SigninRow:
    shift: Shift
    arrives_at: datetime  # local time
    assignment: Assignment | None = None  # None: a vacant seat
    qr: SafeString | None = None

    @property
    def name(self) -> str:
        return one_line(self.assignment.volunteer.full_name) if self.assignment else ""


@dataclass
class SigninSheet:
    station: PollingStation
    day: date
    rows: list[SigninRow]
    area_bookmark: bool = False
    station_bookmark: bool = False
    day_bookmark: bool = False

    @property
    def key(self) -> str:
        return station_day_key(self.station.pk, self.day)

    @property
    def area(self):
        return self.station.area

    @property
    def people(self) -> int:
        return sum(1 for row in self.rows if row.assignment)

    @property
    def vacant(self) -> int:
        return len(self.rows) - self.people


def _arrival_key(assignment: Assignment) -> tuple:
    v = assignment.volunteer
    return (
        assignment.shift.starts_at,
        danish_key(v.last_name),
        danish_key(v.first_name),
        v.pk,
    )


def _rows(of_day: list[Shift], booked: dict[int, list[Assignment]]) -> list[SigninRow]:
    by_pk = {s.pk: s for s in of_day}
    people = []
    for shift in of_day:
        for assignment in booked[shift.pk]:
            assignment.shift = by_pk[assignment.shift_id]  # no query: the shift we have
            people.append(assignment)
    people.sort(key=_arrival_key)
    rows = []
    for a in people:
        label = gettext("Check-in code for %(name)s") % {"name": a.volunteer.full_name}
        rows.append(
            SigninRow(
                shift=a.shift,
                arrives_at=timezone.localtime(a.shift.starts_at),
                assignment=a,
                qr=qr_svg(checkin_url(a.pk), label=label, size_mm=QR_SIZE_MM),
            )
        )
    vacant = sorted(of_day, key=lambda s: (s.starts_at, s.role.sort_order, s.pk))
    for shift in vacant:
        for _ in range(shift.capacity - len(booked[shift.pk])):
            rows.append(SigninRow(shift=shift, arrives_at=timezone.localtime(shift.starts_at)))
    return rows


def signin_sheets(
    election: Election, keys: list[str], shifts: QuerySet[Shift] | None = None
) -> list[SigninSheet]:
    """The sheets of ``keys`` (``"<station id>:<YYYY-MM-DD>"``) in their order,
    without station days that have no shifts (in the reader's scope)."""
    wanted = [parse_station_day(k) for k in dict.fromkeys(keys)]
    by_day = day_shifts(election, wanted, shifts)
    booked = filled_by_shift(s.pk for day in by_day.values() for s in day)
    present = [(s, d) for s, d in wanted if (s, d) in by_day]
    return [
        SigninSheet(station=station, day=day, rows=_rows(by_day[(station.pk, day)], booked), **m)
        for station, day, m in with_bookmarks(present)
    ]


def signin_sheets_html(
    election: Election, keys: list[str], *, shifts: QuerySet[Shift] | None = None
) -> Rendered:
    """One sign-in sheet per station day, each from a new page, in one document."""
    sheets = signin_sheets(election, keys, shifts)
    html = render_to_string("pdf/signin.html", {**common_context(election), "sheets": sheets})
    return Rendered(html=html, keys=[sheet.key for sheet in sheets])
