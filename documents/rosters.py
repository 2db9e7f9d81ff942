"""Station rosters: per station and day, every shift's seats with names, phone
numbers and a signature column; vacant seats as empty numbered rows. The
election roster puts many of them in one document (with PDF bookmarks: area,
station, day) after a summary of the fill per station.

A shift belongs to the day it starts in the configured time zone, so an
overnight count (20:00 to 01:00) is on the roster of the evening it begins.

Speed (bench/roster.py): WeasyPrint's cost is per box, so a roster row is one
line of preformatted text (number, tab, name, contact) instead of a table row
of five cells; the signature column is
a line the section draws behind its rows, and the shift's heading repeats at
the top of a page through a named string (``string-set``) instead of a table
header. About four times faster than the table for 120 people.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from accounts import organisation as organisations
from documents.kinds import parse_station_day, station_day_key
from documents.rendered import Rendered
from documents.rendering import render_pdf_styled
from elections.models import Election, Shift, day_bounds
from pollcrew.collation import danish_key
from pollcrew.phones import display_phone
from polling_stations.models import PollingStation
from staffing.fill import EMPTY, Fill, fills_by
from staffing.models import Assignment
from volunteers.models import Volunteer

FIGURE_SPACE = "\N{FIGURE SPACE}"  # as wide as a digit: numbers line up right-aligned
CONTACT_SEPARATOR = "  \N{MIDDLE DOT}  "


def one_line(text: str) -> str:
    """User text on one line: the roster's rows are preformatted text, where a
    tab or a line break typed into a name would move the columns."""
    return " ".join(text.split())


@dataclass(frozen=True)
class RosterRow:
    number: int
    name: str = ""
    contact: str = ""

    @property
    def vacant(self) -> bool:
        return not self.name

    @property
    def text(self) -> str:
        """The row as the template prints it (white-space: pre-wrap): the
        number right-aligned, a tab to the name column, the name, the contact."""
        number = f"{self.number:>3}".replace(" ", FIGURE_SPACE)
        if self.vacant:
            return number
        line = f"{number}\t{self.name}"
        return f"{line}{CONTACT_SEPARATOR}{self.contact}" if self.contact else line


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


@dataclass
class StationRoster:
    """One station's roster for one day."""

    station: PollingStation
    day: date
    sections: list[RosterSection]
    # Bookmarks in the election roster (the single roster has none).
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
    def seats(self) -> int:
        return sum(len(s.rows) for s in self.sections)

    @property
    def filled(self) -> int:
        return sum(s.filled for s in self.sections)

    @property
    def vacant(self) -> int:
        return self.seats - self.filled


def _scoped(shifts: QuerySet[Shift] | None) -> QuerySet[Shift]:
    return shifts if shifts is not None else Shift.objects.all()


def _station_shifts(
    election: Election, station: PollingStation, shifts: QuerySet[Shift] | None
) -> QuerySet[Shift]:
    """The station's shifts in the election, of ``shifts`` (the reader's scope) if given."""
    return _scoped(shifts).filter(election=election, station=station)


def station_days(
    election: Election, station: PollingStation, shifts: QuerySet[Shift] | None = None
) -> list[date]:
    """The days that have a roster: those on which one of the station's shifts starts."""
    return _station_shifts(election, station, shifts).local_days()


_DANISH_NUMBER = re.compile(r"\+45(\d{8})")


def contact_line(volunteer: Volunteer) -> str:
    """What the station manager calls: the phone number, else the email address.
    A Danish number is grouped here (+45 20 12 34 56, as display_phone does) without
    parsing it with phonenumbers, which cost a roster of 120 people 15 ms."""
    phone = volunteer.phone
    if not phone:
        return volunteer.email
    if danish := _DANISH_NUMBER.fullmatch(phone):
        d = danish.group(1)
        return f"+45 {d[0:2]} {d[2:4]} {d[4:6]} {d[6:8]}"
    return display_phone(phone)


def _name_key(assignment: Assignment) -> tuple[str, str, int]:
    v = assignment.volunteer
    return (danish_key(v.last_name), danish_key(v.first_name), v.pk)


def day_shifts(
    election: Election,
    wanted: Iterable[tuple[int, date]],
    shifts: QuerySet[Shift] | None,
) -> dict[tuple[int, date], list[Shift]]:
    """The shifts (with roles and teams) of many (station id, day) pairs in one
    query; a pair without shifts is missing from the result."""
    wanted = set(wanted)
    if not wanted:
        return {}
    first, last = min(d for _, d in wanted), max(d for _, d in wanted)
    found = (
        _scoped(shifts)
        .filter(
            election=election,
            station_id__in={s for s, _ in wanted},
            starts_at__gte=day_bounds(first)[0],
            starts_at__lt=day_bounds(last)[1],
        )
        .select_related("role", "team")
        .order_by("role__sort_order", "role__name", "starts_at", "pk")
    )
    by_day: dict[tuple[int, date], list[Shift]] = defaultdict(list)
    for shift in found:
        key = (shift.station_id, timezone.localtime(shift.starts_at).date())
        if key in wanted:  # a multi-day range also fetches the days between
            by_day[key].append(shift)
    return dict(by_day)


def filled_by_shift(shift_ids: Iterable[int]) -> dict[int, list[Assignment]]:
    """The seat-filling (accepted, checked-in) assignments of these shifts with
    their volunteers' names and contacts, in one query."""
    booked: dict[int, list[Assignment]] = {pk: [] for pk in shift_ids}
    if booked:
        filled = (
            Assignment.objects.filled()
            .filter(shift_id__in=list(booked))
            .select_related("volunteer")
            # Only what the documents print: the least personal data we can load.
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
    return booked


def _sections(
    election: Election,
    wanted: Iterable[tuple[int, date]],
    shifts: QuerySet[Shift] | None,
) -> dict[tuple[int, date], list[RosterSection]]:
    """The roster sections of many station days in two queries whatever their number:
    1. the stations' shifts starting on those days, with their roles and teams;
    2. the seat-filling (accepted, checked-in) assignments with their volunteers.
    A station day without shifts is missing from the result."""
    by_day = day_shifts(election, wanted, shifts)
    booked = filled_by_shift(s.pk for day in by_day.values() for s in day)
    result = {}
    for key, of_day in by_day.items():
        sections = []
        for shift in of_day:
            people = sorted(booked[shift.pk], key=_name_key)
            rows = [
                RosterRow(i, one_line(a.volunteer.full_name), one_line(contact_line(a.volunteer)))
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
        result[key] = sections
    return result


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (for a translated ``content:`` value)."""
    escaped = "".join(
        ch if ch.isprintable() and ch not in '"\\<>' else f"\\{ord(ch):x} " for ch in text
    )
    return f'"{escaped}"'


def page_of_css() -> str:
    """``content:`` for "Page 1 of 6" in the reader's language (CSS counters)."""
    # Translators: the page number at the foot of a printed page; keep {page} and {pages}.
    template = gettext("Page {page} of {pages}")
    parts: list[str] = []
    rest = template
    for name, counter in (("{page}", "counter(page)"), ("{pages}", "counter(pages)")):
        before, found, rest = rest.partition(name)
        if before:
            parts.append(_css_string(before))
        if found:
            parts.append(counter)
    if rest:
        parts.append(_css_string(rest))
    return " ".join(parts)


def common_context(election: Election) -> dict:
    return {
        "municipality_name": organisations.current().name,
        "election": election,
        "printed_at": timezone.localtime(),
        "page_of": page_of_css(),
    }


def roster_context(
    election: Election, station: PollingStation, on: date, shifts: QuerySet[Shift] | None = None
) -> dict:
    """Everything the roster template needs, in two queries whatever the size
    (the shifts with roles and teams; the filled assignments with volunteers)."""
    sections = _sections(election, [(station.pk, on)], shifts).get((station.pk, on), [])
    roster = StationRoster(station=station, day=on, sections=sections)
    return {
        **common_context(election),
        "roster": roster,
        "station": station,
        "area": station.area,
        "day": on,
        "sections": sections,
        "seats": roster.seats,
        "filled": roster.filled,
        "vacant": roster.vacant,
    }


def render_station_roster_html(
    election: Election, station: PollingStation, on: date, shifts: QuerySet[Shift] | None = None
) -> str:
    return render_to_string("pdf/roster.html", roster_context(election, station, on, shifts))


ROSTER_STYLESHEET = "pdf/roster.css"


def render_station_roster(
    election: Election, station: PollingStation, on: date, shifts: QuerySet[Shift] | None = None
) -> bytes:
    """The roster as a PDF, its stylesheet parsed once per process and reused
    (the HTML the batch engine renders links it instead)."""
    context = roster_context(election, station, on, shifts)
    html = render_to_string("pdf/roster.html", {**context, "stylesheet_given": True})
    return render_pdf_styled(html, [ROSTER_STYLESHEET])


# --- the election roster ----------------------------------------------------------


def with_bookmarks(
    present: list[tuple[int, date]],
) -> list[tuple[PollingStation, date, dict[str, bool]]]:
    """Each (station id, day) with its station (and area: one query) and where
    it puts bookmarks: the area when it changes, the station at its first day
    here, the day when the station has more than one here."""
    stations = PollingStation.objects.select_related("area").in_bulk({s for s, _ in present})
    days_per_station: dict[int, int] = defaultdict(int)
    for station_id, _ in present:
        days_per_station[station_id] += 1
    marked = []
    previous_area = previous_station = None
    for station_id, day in present:
        station = stations[station_id]
        marks = {
            "area_bookmark": station.area_id != previous_area,
            "station_bookmark": station_id != previous_station,
            "day_bookmark": days_per_station[station_id] > 1,
        }
        marked.append((station, day, marks))
        previous_area, previous_station = station.area_id, station_id
    return marked


def station_rosters(
    election: Election, keys: list[str], shifts: QuerySet[Shift] | None = None
) -> list[StationRoster]:
    """The rosters of ``keys`` in their order, without those that have no shifts
    (any more, or in the reader's scope), marked for bookmarks: the area when it
    changes, the station at its first day, the day when the station has more than
    one here. Three queries whatever the number."""
    wanted = [parse_station_day(k) for k in dict.fromkeys(keys)]
    sections = _sections(election, wanted, shifts)
    present = [(s, d) for s, d in wanted if (s, d) in sections]
    rosters = [
        StationRoster(station=station, day=day, sections=sections[(station.pk, day)], **marks)
        for station, day, marks in with_bookmarks(present)
    ]
    return rosters


def station_rosters_html(
    election: Election, keys: list[str], *, shifts: QuerySet[Shift] | None = None
) -> Rendered:
    """Many station-day rosters in one HTML document, each from a new page."""
    rosters = station_rosters(election, keys, shifts)
    html = render_to_string(
        "pdf/election_roster.html", {**common_context(election), "rosters": rosters}
    )
    return Rendered(html=html, keys=[r.key for r in rosters])


# --- the summary ------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    station: PollingStation
    fill: Fill


@dataclass(frozen=True)
class SummaryArea:
    area: object
    rows: list[SummaryRow]
    fill: Fill


def roster_summary(
    election: Election, station_ids: list[int], shifts: QuerySet[Shift] | None = None
) -> tuple[list[SummaryArea], Fill]:
    """Fill per station, grouped by area in the stations' order, with area
    subtotals and the total; only the shifts of ``shifts`` count. Two queries."""
    scoped = _scoped(shifts).filter(election=election, station_id__in=station_ids)
    fills = fills_by(scoped, "station_id")
    stations = PollingStation.objects.select_related("area").in_bulk(station_ids)
    areas: list[SummaryArea] = []
    for station_id in dict.fromkeys(station_ids):
        station = stations.get(station_id)
        if station is None:
            continue
        row = SummaryRow(station, fills.get(station_id, EMPTY))
        if areas and areas[-1].area.pk == station.area_id:
            last = areas[-1]
            areas[-1] = SummaryArea(last.area, [*last.rows, row], last.fill + row.fill)
        else:
            areas.append(SummaryArea(station.area, [row], row.fill))
    total = EMPTY
    for area in areas:
        total = total + area.fill
    return areas, total


def roster_summary_html(
    election: Election, station_ids: list[int], *, shifts: QuerySet[Shift] | None = None
) -> Rendered:
    """The first page(s) of the election roster: the fill of every station."""
    areas, total = roster_summary(election, station_ids, shifts)
    html = render_to_string(
        "pdf/roster_summary.html",
        {
            **common_context(election),
            "areas": areas,
            "total": total,
            "stations": sum(len(a.rows) for a in areas),
        },
    )
    return Rendered(html=html, keys=["summary"])
