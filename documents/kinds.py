"""What each kind of printed document is made of, for the batch engine.

A kind knows three things: which items a request covers (``select``, in print
order), how to render a list of them into one HTML document (``render``), and
what to call an item in a report (``labels``). Items are strings: an assignment
id, a volunteer id, ``"<station id>:<YYYY-MM-DD>"`` or ``"summary"``.

The reader's scope arrives as a queryset of shifts (``access.election_shifts``):
every selection and every renderer sees only those shifts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.models import DocumentKind
from documents.rendered import Rendered
from elections.models import Election, Shift
from polling_stations.models import PollingStation
from staffing.models import Assignment
from volunteers.models import Volunteer

SUMMARY = "summary"


@dataclass(frozen=True)
class Filters:
    """A request's filters, as the form and the command line give them."""

    area: int | None = None
    stations: tuple[int, ...] = ()
    role: int | None = None
    team: int | None = None
    day: date | None = None
    only_unprinted: bool = False

    def as_json(self) -> dict:
        return {
            "area": self.area,
            "stations": sorted(self.stations),
            "role": self.role,
            "team": self.team,
            "day": self.day.isoformat() if self.day else None,
            "only_unprinted": self.only_unprinted,
        }

    @classmethod
    def from_json(cls, data: dict) -> Filters:
        day = data.get("day")
        return cls(
            area=data.get("area"),
            stations=tuple(data.get("stations") or ()),
            role=data.get("role"),
            team=data.get("team"),
            day=date.fromisoformat(day) if day else None,
            only_unprinted=bool(data.get("only_unprinted")),
        )

    def shifts(self, shifts: QuerySet[Shift]) -> QuerySet[Shift]:
        if self.area:
            shifts = shifts.filter(station__area_id=self.area)
        if self.stations:
            shifts = shifts.filter(station_id__in=self.stations)
        if self.role:
            shifts = shifts.filter(role_id=self.role)
        if self.team:
            shifts = shifts.filter(team_id=self.team)
        if self.day:
            shifts = shifts.on_day(self.day)
        return shifts


def station_day_key(station_id: int, day: date) -> str:
    return f"{station_id}:{day.isoformat()}"


def parse_station_day(key: str) -> tuple[int, date]:
    station, day = key.split(":", 1)
    return int(station), date.fromisoformat(day)


# --- selections -------------------------------------------------------------------

_PRINT_ORDER = (
    "shift__station__area__sort_order",
    "shift__station__area__name",
    "shift__station__sort_order",
    "shift__station__name",
    "shift__starts_at",
    "shift__role__sort_order",
    "volunteer__sort_name",
    "pk",
)


def _filled(shifts: QuerySet[Shift]) -> QuerySet[Assignment]:
    return Assignment.objects.filled().filter(shift__in=shifts)


def select_letters(election: Election, shifts: QuerySet[Shift], filters: Filters) -> list[str]:
    assignments = _filled(filters.shifts(shifts))
    if filters.only_unprinted:
        assignments = assignments.filter(appointment_printed_at__isnull=True)
    return [str(pk) for pk in assignments.order_by(*_PRINT_ORDER).values_list("pk", flat=True)]


def select_badges(election: Election, shifts: QuerySet[Shift], filters: Filters) -> list[str]:
    assignments = _filled(filters.shifts(shifts))
    return [str(pk) for pk in assignments.order_by(*_PRINT_ORDER).values_list("pk", flat=True)]


def unreachable() -> Q:
    """Volunteers that SMS and email do not reach: marked so, or without either."""
    return Q(unreachable=True) | (Q(phone="") & Q(email=""))


def select_invitations(election: Election, shifts: QuerySet[Shift], filters: Filters) -> list[str]:
    invited = Assignment.objects.filter(
        shift__in=filters.shifts(shifts), status=Assignment.Status.INVITED
    )
    if filters.only_unprinted:
        invited = invited.filter(invitation_printed_at__isnull=True)
    people = (
        Volunteer.objects.filter(unreachable())
        .filter(pk__in=invited.values("volunteer_id"))
        .order_by("postal_code", "sort_name", "pk")  # postal order: cheaper to post
    )
    return [str(pk) for pk in people.values_list("pk", flat=True)]


def _station_days(shifts: QuerySet[Shift]) -> list[str]:
    starts = (
        shifts.order_by()
        .values_list(
            "station_id",
            "station__area__sort_order",
            "station__area__name",
            "station__sort_order",
            "station__name",
            "starts_at",
        )
        .distinct()
    )
    found: dict[tuple, str] = {}
    for station_id, area_order, area_name, order, name, starts_at in starts:
        day = timezone.localtime(starts_at).date()
        found[(area_order, area_name, order, name, station_id, day)] = station_day_key(
            station_id, day
        )
    return [found[k] for k in sorted(found)]


def select_rosters(election: Election, shifts: QuerySet[Shift], filters: Filters) -> list[str]:
    keys = _station_days(filters.shifts(shifts))
    return [SUMMARY, *keys] if keys else []


def select_signin(election: Election, shifts: QuerySet[Shift], filters: Filters) -> list[str]:
    return _station_days(filters.shifts(shifts))


# --- rendering ----------------------------------------------------------------------


def render_letters(election: Election, keys: list[str], shifts: QuerySet[Shift]) -> Rendered:
    from documents.letters import appointment_letters_html

    return appointment_letters_html([int(k) for k in keys], shifts=shifts)


def render_invitations(election: Election, keys: list[str], shifts: QuerySet[Shift]) -> Rendered:
    from documents.letters import invitation_letters_html

    return invitation_letters_html(election, [int(k) for k in keys], shifts=shifts)


def render_badges(election: Election, keys: list[str], shifts: QuerySet[Shift]) -> Rendered:
    from documents.badges import badges_html

    return badges_html([int(k) for k in keys], shifts=shifts)


def render_signin(election: Election, keys: list[str], shifts: QuerySet[Shift]) -> Rendered:
    from documents.signin import signin_sheets_html

    return signin_sheets_html(election, keys, shifts=shifts)


def render_rosters(election: Election, keys: list[str], shifts: QuerySet[Shift]) -> Rendered:
    """The summary is a document of its own (its station list is the whole
    selection); station days render together."""
    from documents.rosters import roster_summary_html, station_rosters_html

    if keys == [SUMMARY]:
        return roster_summary_html(election, _summary_stations(shifts), shifts=shifts)
    return station_rosters_html(election, keys, shifts=shifts)


def _summary_stations(shifts: QuerySet[Shift]) -> list[int]:
    return list(
        PollingStation.objects.filter(pk__in=shifts.values("station_id"))
        .order_by("area__sort_order", "area__name", "sort_order", "name", "pk")
        .values_list("pk", flat=True)
    )


# --- labels (failure reports) ---------------------------------------------------------


def assignment_labels(keys: list[str]) -> dict[str, str]:
    rows = Assignment.objects.filter(pk__in=[int(k) for k in keys]).values_list(
        "pk", "volunteer__first_name", "volunteer__last_name", "shift__station__name"
    )
    return {str(pk): f"{first} {last} ({station})" for pk, first, last, station in rows}


def volunteer_labels(keys: list[str]) -> dict[str, str]:
    rows = Volunteer.objects.filter(pk__in=[int(k) for k in keys]).values_list(
        "pk", "first_name", "last_name"
    )
    return {str(pk): f"{first} {last}" for pk, first, last in rows}


def station_day_labels(keys: list[str]) -> dict[str, str]:
    parsed = {k: parse_station_day(k) for k in keys if k != SUMMARY}
    names = dict(
        PollingStation.objects.filter(pk__in=[s for s, _ in parsed.values()]).values_list(
            "pk", "name"
        )
    )
    labels = {k: f"{names.get(s, s)}, {day.isoformat()}" for k, (s, day) in parsed.items()}
    if SUMMARY in keys:
        labels[SUMMARY] = _("Summary page")
    return labels


def assignment_languages(keys: list[str]) -> dict[str, str]:
    rows = Assignment.objects.filter(pk__in=[int(k) for k in keys]).values_list(
        "pk", "volunteer__language"
    )
    return {str(pk): language for pk, language in rows}


def volunteer_languages(keys: list[str]) -> dict[str, str]:
    rows = Volunteer.objects.filter(pk__in=[int(k) for k in keys]).values_list("pk", "language")
    return {str(pk): language for pk, language in rows}


@dataclass(frozen=True)
class Kind:
    name: str
    select: Callable[[Election, QuerySet[Shift], Filters], list[str]]
    render: Callable[[Election, list[str], QuerySet[Shift]], Rendered]
    labels: Callable[[list[str]], dict[str, str]]
    # Items per chunk: enough that WeasyPrint's per-document cost is spread out,
    # few enough that two workers share the work and a failure stays small.
    chunk_size: int
    # Which Assignment field records that this kind was printed.
    printed_field: str | None = None
    # Items that must stay alone in their chunk (the roster's summary page).
    alone: frozenset[str] = field(default_factory=frozenset)
    # Each item a document of its own, merged within the chunk: its footer's
    # "page x of y" counts its own pages (WeasyPrint counts per document).
    per_item: bool = False
    # The language each item is printed in: a chunk holds one language, so that
    # its tagged PDF declares the right one (WeasyPrint tags the <html lang> only).
    languages: Callable[[list[str]], dict[str, str]] | None = None


KINDS: dict[str, Kind] = {
    DocumentKind.LETTERS: Kind(
        "letters",
        select_letters,
        render_letters,
        assignment_labels,
        chunk_size=100,
        printed_field="appointment_printed_at",
        languages=assignment_languages,
    ),
    DocumentKind.INVITATIONS: Kind(
        "invitations",
        select_invitations,
        render_invitations,
        volunteer_labels,
        chunk_size=100,
        printed_field="invitation_printed_at",
        languages=volunteer_languages,
    ),
    DocumentKind.BADGES: Kind(
        "badges", select_badges, render_badges, assignment_labels, chunk_size=240
    ),
    DocumentKind.SIGNIN: Kind(
        "signin", select_signin, render_signin, station_day_labels, chunk_size=25, per_item=True
    ),
    DocumentKind.ROSTERS: Kind(
        "rosters",
        select_rosters,
        render_rosters,
        station_day_labels,
        chunk_size=25,
        alone=frozenset({SUMMARY}),
        per_item=True,
    ),
}
