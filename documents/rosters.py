"""Station rosters: per station and day, every shift's seats with names, phone
numbers, times and a signature column; vacant seats as empty numbered rows.

A shift belongs to the day it starts in the configured time zone, so an
overnight count (20:00 to 01:00) is on the roster of the evening it begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from documents.rendering import render_pdf
from elections.models import Election, Shift
from pollcrew.collation import danish_key
from pollcrew.phones import display_phone
from polling_stations.models import PollingStation
from staffing.models import Assignment
from volunteers.models import Volunteer


@dataclass(frozen=True)
class RosterRow:
    number: int
    name: str = ""
    contact: str = ""

    @property
    def vacant(self) -> bool:
        return not self.name


@dataclass(frozen=True)
class RosterSection:
    shift: Shift
    starts_at: datetime  # local time
    ends_at: datetime  # local time
    rows: list[RosterRow]
    filled: int

    @property
    def ends_next_day(self) -> bool:
        return self.ends_at.date() > self.starts_at.date()

    @property
    def vacant(self) -> int:
        return len(self.rows) - self.filled


def _station_shifts(
    election: Election, station: PollingStation, shifts: QuerySet[Shift] | None
) -> QuerySet[Shift]:
    """The station's shifts in the election, of ``shifts`` (the reader's scope) if given."""
    base = shifts if shifts is not None else Shift.objects.all()
    return base.filter(election=election, station=station)


def station_days(
    election: Election, station: PollingStation, shifts: QuerySet[Shift] | None = None
) -> list[date]:
    """The days that have a roster: those on which one of the station's shifts starts."""
    return _station_shifts(election, station, shifts).local_days()


def contact_line(volunteer: Volunteer) -> str:
    """What the station manager calls: the phone number, else the email address."""
    return display_phone(volunteer.phone) if volunteer.phone else volunteer.email


def _name_key(assignment: Assignment) -> tuple[str, str, int]:
    v = assignment.volunteer
    return (danish_key(v.last_name), danish_key(v.first_name), v.pk)


def roster_context(
    election: Election, station: PollingStation, on: date, shifts: QuerySet[Shift] | None = None
) -> dict:
    """Everything the roster template needs, in two queries whatever the size:
    1. the station's shifts starting on ``on`` with their roles and teams;
    2. the seat-filling (accepted, checked-in) assignments with their volunteers.
    """
    shifts = list(
        _station_shifts(election, station, shifts)
        .on_day(on)
        .select_related("role", "team")
        .order_by("role__sort_order", "role__name", "starts_at", "pk")
    )
    booked: dict[int, list[Assignment]] = {s.pk: [] for s in shifts}
    if shifts:
        filled = (
            Assignment.objects.filled()
            .filter(shift__in=shifts)
            .select_related("volunteer")
            # Only what the roster prints: the least personal data we can load.
            .only(
                "shift_id",
                "volunteer__id",
                "volunteer__first_name",
                "volunteer__last_name",
                "volunteer__phone",
                "volunteer__email",
            )
        )
        for assignment in filled:
            booked[assignment.shift_id].append(assignment)

    sections = []
    for shift in shifts:
        people = sorted(booked[shift.pk], key=_name_key)
        rows = [
            RosterRow(i, a.volunteer.full_name, contact_line(a.volunteer))
            for i, a in enumerate(people, start=1)
        ]
        # Over capacity cannot happen through the services, but if it ever
        # does, everybody is still printed: the list is the truth on the day.
        rows += [RosterRow(i) for i in range(len(rows) + 1, shift.capacity + 1)]
        sections.append(
            RosterSection(
                shift=shift,
                starts_at=timezone.localtime(shift.starts_at),
                ends_at=timezone.localtime(shift.ends_at),
                rows=rows,
                filled=len(people),
            )
        )
    seats = sum(len(s.rows) for s in sections)
    filled_total = sum(s.filled for s in sections)
    return {
        "municipality_name": settings.MUNICIPALITY_NAME,
        "election": election,
        "station": station,
        "area": station.area,
        "day": on,
        "sections": sections,
        "seats": seats,
        "filled": filled_total,
        "vacant": seats - filled_total,
        "printed_at": timezone.localtime(),
    }


def render_station_roster_html(
    election: Election, station: PollingStation, on: date, shifts: QuerySet[Shift] | None = None
) -> str:
    return render_to_string("documents/roster.html", roster_context(election, station, on, shifts))


def render_station_roster(
    election: Election, station: PollingStation, on: date, shifts: QuerySet[Shift] | None = None
) -> bytes:
    return render_pdf(render_station_roster_html(election, station, on, shifts))
