"""The list pages' exports: the board, the volunteer register, an election's
assignments and its message log. Each reads what its page reads (the same read
model, the same filter form, the same scope), every row rather than a page.

Queries do not grow with the rows: the board is a few grouped queries; the
people lists are read ``CHUNK`` rows at a time, with one query per chunk for
their teams, seats or assignments."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import Sum
from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.scopes import Capability, scope_of
from elections.models import Election, Role
from polling_stations.models import PollingStation
from staffing import access, board, message_log
from staffing.fill import EMPTY, Fill
from staffing.forms import BoardFilterForm
from staffing.forms_messages import MessageFilterForm
from staffing.forms_volunteers import VolunteerFilterForm
from staffing.models import Assignment, SeatFill
from staffing.volunteer_list import LIST_FIELDS, Seats, filtered, seats_in, teams_of, visible_teams
from volunteers.models import Skill, Team, Volunteer

from .base import CHUNK, Column, Export, Table, available, chunked, local, picked

C = Capability


def person(v: Volunteer | None) -> str:
    """A name as lists show it: "Last, First"."""
    if v is None:
        return ""
    return f"{v.last_name}, {v.first_name}".strip(", ")


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Cleaned filter values as the audit entry stores them (objects by id)."""
    return {k: getattr(v, "pk", v) for k, v in data.items() if v not in (None, "", False)}


# --- the board ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    station: PollingStation
    role: Role | None
    fill: Fill


BOARD_COLUMNS = [
    Column("station_id", _("Station id"), lambda r: r.station.pk, default=False),
    Column("station", _("Polling station"), lambda r: r.station.name),
    Column("area", _("Area"), lambda r: r.station.area.name),
    Column("address", _("Address"), lambda r: r.station.address, default=False),
    Column("role", _("Role"), lambda r: r.role.name if r.role else ""),
    Column("seats", _("Seats"), lambda r: r.fill.needed),
    Column("awaiting", _("Awaiting answer"), lambda r: r.fill.invited),
    Column("accepted", _("Accepted"), lambda r: r.fill.accepted),
    Column("vacant", _("Vacant"), lambda r: r.fill.vacant),
]


def board_columns(user: User) -> list[Column]:
    return list(BOARD_COLUMNS)


def board_export(user: User, election: Election, data: QueryDict, wanted: list[str]) -> Export:
    """The board's stations (its filters, its order, every page) with one row per
    station and role: five queries whatever the size."""
    scope = scope_of(user)
    whole = scope.allows(C.VIEW_COUNTS, election_id=election.pk)
    form = BoardFilterForm(data or None)
    filters = form.cleaned_data if form.is_valid() else {}
    area = filters.get("area")
    shifts = access.election_shifts(user, election, C.VIEW_COUNTS)
    result = board.station_board(
        shifts,
        stations=board.listed_stations(election, shifts, whole_election=whole),
        area_id=area.pk if area else None,
        understaffed_only=bool(filters.get("understaffed")),
        search=filters.get("q", ""),
        page_number=1,
        per_page=10**7,
    )
    per_role: dict[int, list[tuple[int, Fill]]] = {}
    grouped = (
        SeatFill.objects.filter(shift_id__in=shifts.order_by().values("pk"))
        .values_list("station_id", "role_id")
        .annotate(Sum("seats"), Sum("invited"), Sum("accepted"))
        .order_by()
    )
    for station_id, role_id, seats, invited, accepted in grouped:
        per_role.setdefault(station_id, []).append((role_id, Fill(seats, invited, accepted)))
    roles = Role.objects.in_bulk({r for fills in per_role.values() for r, _f in fills})
    order = {pk: (r.sort_order, r.name, pk) for pk, r in roles.items()}
    rows: list[BoardRow] = []
    for station_row in result.page.object_list:
        found = sorted(per_role.get(station_row.station.pk, []), key=lambda x: order[x[0]])
        if not found:
            rows.append(BoardRow(station_row.station, None, EMPTY))
        rows.extend(BoardRow(station_row.station, roles[r], fill) for r, fill in found)
    return Export(
        kind="board",
        name=f"{election.name} {_t('board')}",
        tables=[Table(_t("Board"), picked(board_columns(user), wanted), rows)],
        filters=_plain(filters),
        election_id=election.pk,
        obj=election,
    )


# --- volunteers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    v: Volunteer
    teams: list[Team]
    seats: Seats | None


def _channel(v: Volunteer) -> str:
    return str(dict(Volunteer.Channel.choices).get(v.preferred_channel, v.preferred_channel))


def _language(v: Volunteer) -> str:
    return str(dict(Volunteer.Language.choices).get(v.language, v.language))


def _yes(value: bool) -> str:
    return _t("yes") if value else ""


VOLUNTEER_COLUMNS = [
    Column("id", _("Volunteer id"), lambda r: r.v.pk, default=False),
    Column("name", _("Name"), lambda r: person(r.v)),
    Column("first_name", _("First name"), lambda r: r.v.first_name, default=False),
    Column("last_name", _("Last name"), lambda r: r.v.last_name, default=False),
    Column("phone", _("Mobile"), lambda r: r.v.phone, contact=True),
    Column("email", _("Email"), lambda r: r.v.email, contact=True),
    Column("teams", _("Teams"), lambda r: ", ".join(t.name for t in r.teams)),
    Column(
        "status",
        _("Status in the election"),
        lambda r: ", ".join(text for _css, text in r.seats.tags()) if r.seats else "",
    ),
    Column("birth_date", _("Date of birth"), lambda r: r.v.birth_date, default=False, contact=True),
    Column("address", _("Address"), lambda r: r.v.address, default=False, contact=True),
    Column("postal_code", _("Postal code"), lambda r: r.v.postal_code, default=False, contact=True),
    Column("city", _("City"), lambda r: r.v.city, default=False, contact=True),
    Column("language", _("Language"), lambda r: _language(r.v), default=False),
    Column("channel", _("Preferred channel"), lambda r: _channel(r.v), default=False),
    Column("do_not_contact", _("Do not contact"), lambda r: _yes(r.v.do_not_contact), False),
]


def volunteer_columns(user: User) -> list[Column]:
    return available(VOLUNTEER_COLUMNS, contact=scope_of(user).can(C.VIEW_CONTACT))


def volunteer_form(user: User, data: QueryDict) -> VolunteerFilterForm:
    """The register's filter form as the page builds it (the same default election)."""
    elections = list(
        access.visible_elections(user, C.VIEW_PEOPLE).order_by("-election_date", "-pk")
    )
    data = data.copy()
    if not data.get("election") and elections:
        current = [e for e in elections if e.status == Election.Status.ACTIVE]
        data["election"] = str((current or elections)[0].pk)
    form = VolunteerFilterForm(
        data, teams=visible_teams(user), skills=Skill.objects.order_by("name"), elections=elections
    )
    form.is_valid()
    return form


def volunteers_export(user: User, data: QueryDict, wanted: list[str]) -> Export:
    scope = access.require(user, C.VIEW_CONTACT)
    form = volunteer_form(user, data)
    cleaned: dict[str, Any] = getattr(form, "cleaned_data", {})
    election = cleaned.get("election")
    people = filtered(user, cleaned).only(*LIST_FIELDS, "address", "postal_code", "city")

    def items() -> Iterator[PersonRow]:
        for chunk in chunked(people.iterator(chunk_size=CHUNK)):
            ids = [v.pk for v in chunk]
            seats = seats_in(election, ids, scope) if election else {}
            teams = teams_of(ids)
            for v in chunk:
                yield PersonRow(v, teams[v.pk], seats.get(v.pk))

    columns = picked(volunteer_columns(user), wanted)
    if election is None:
        columns = [c for c in columns if c.key != "status"]
    return Export(
        kind="volunteers",
        name=_t("volunteers"),
        tables=[Table(_t("Volunteers"), columns, items(), size=people.order_by().count)],
        filters=_plain(cleaned),
        election_id=election.pk if election else None,
    )


# --- assignments ----------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _status_labels(language: str) -> dict[str, str]:
    # Once per language, not per row (a national export has tens of thousands).
    return {value: str(label) for value, label in Assignment.Status.choices}


def _status(a: Assignment) -> str:
    return _status_labels(get_language() or "").get(a.status, a.status)


ASSIGNMENT_COLUMNS = [
    Column("id", _("Assignment id"), lambda a: a.pk, default=False),
    Column("name", _("Name"), lambda a: person(a.volunteer)),
    Column("phone", _("Mobile"), lambda a: a.volunteer.phone, contact=True),
    Column("email", _("Email"), lambda a: a.volunteer.email, contact=True, default=False),
    Column("station", _("Polling station"), lambda a: a.shift.station.name),
    Column("area", _("Area"), lambda a: a.shift.station.area.name, default=False),
    Column("role", _("Role"), lambda a: a.shift.role.name),
    Column("team", _("Team"), lambda a: a.shift.team.name if a.shift.team else "", default=False),
    Column("starts", _("Starts"), lambda a: local(a.shift.starts_at)),
    Column("ends", _("Ends"), lambda a: local(a.shift.ends_at)),
    Column("status", _("Status"), _status),
    Column("invited_at", _("Invited"), lambda a: local(a.invited_at), default=False),
    Column("responded_at", _("Answered"), lambda a: local(a.responded_at), default=False),
    Column("checked_in_at", _("Checked in"), lambda a: local(a.checked_in_at), default=False),
]


# What the columns read (a national export instantiates every row: no more).
ASSIGNMENT_FIELDS = (
    "status", "invited_at", "responded_at", "checked_in_at",
    "volunteer__first_name", "volunteer__last_name", "volunteer__phone", "volunteer__email",
    "shift__starts_at", "shift__ends_at",
    "shift__station__name", "shift__station__area__name", "shift__role__name",
    "shift__team__name",
)  # fmt: skip


def assignment_columns(user: User) -> list[Column]:
    return available(ASSIGNMENT_COLUMNS, contact=scope_of(user).can(C.VIEW_CONTACT))


def assignments_export(
    user: User, election: Election, data: QueryDict, wanted: list[str]
) -> Export:
    """Who sits where in ``election`` (every state), as far as the user may see
    people; with contact columns, as far as they may see contact data."""
    from exchange.forms_export import AssignmentFilterForm

    form = AssignmentFilterForm(data or None, election=election)
    filters = form.cleaned_data if form.is_valid() else {}
    columns = picked(assignment_columns(user), wanted)
    capability = C.VIEW_CONTACT if any(c.contact for c in columns) else C.VIEW_PEOPLE
    seats = scope_of(user).filter(Assignment.objects.filter(shift__election=election), capability)
    if filters.get("area"):
        seats = seats.filter(shift__station__area=filters["area"])
    if filters.get("role"):
        seats = seats.filter(shift__role=filters["role"])
    if filters.get("team"):
        seats = seats.filter(shift__team=filters["team"])
    if filters.get("status"):
        seats = seats.filter(status=filters["status"])
    seats = (
        seats.select_related("volunteer", "shift__station__area", "shift__role", "shift__team")
        .only(*ASSIGNMENT_FIELDS)
        .order_by(
            "shift__station__area__sort_order",
            "shift__station__area__name",
            "shift__station__name",
            "shift__starts_at",
            "shift__role__sort_order",
            "volunteer__last_name",
            "volunteer__first_name",
            "pk",
        )
    )
    return Export(
        kind="assignments",
        name=f"{election.name} {_t('assignments')}",
        tables=[
            Table(
                _t("Assignments"),
                columns,
                seats.iterator(chunk_size=CHUNK),
                size=seats.order_by().count,
            )
        ],
        filters=_plain(filters),
        election_id=election.pk,
        obj=election,
    )


# --- the message log ------------------------------------------------------------------------


def _to(row: message_log.Row) -> str:
    return row.message.to


def _seat(row: message_log.Row, part: str) -> str:
    a = row.assignment
    if a is None:
        return ""
    return a.shift.role.name if part == "role" else a.shift.station.name


MESSAGE_COLUMNS = [
    Column("id", _("Message id"), lambda r: r.message.pk, default=False),
    Column("time", _("Time"), lambda r: local(r.message.created_at)),
    Column("kind", _("Message type"), lambda r: r.kind_label),
    Column("channel", _("Channel"), lambda r: r.message.get_channel_display()),
    Column("recipient", _("Recipient"), _to, contact=True),
    Column("volunteer", _("Volunteer"), lambda r: person(r.assignment and r.assignment.volunteer)),
    Column("role", _("Role"), lambda r: _seat(r, "role")),
    Column("station", _("Polling station"), lambda r: _seat(r, "station")),
    Column("status", _("Status"), lambda r: r.message.get_status_display()),
    Column("attempts", _("Attempts"), lambda r: r.message.attempts),
    Column("last_error", _("Last error"), lambda r: r.message.last_error),
    Column("sent_at", _("Sent"), lambda r: local(r.message.sent_at), default=False),
    Column("delivered_at", _("Delivered"), lambda r: local(r.message.delivered_at), default=False),
]


def message_columns(user: User) -> list[Column]:
    return available(MESSAGE_COLUMNS, contact=scope_of(user).can(C.VIEW_CONTACT))


def messages_export(user: User, election: Election, data: QueryDict, wanted: list[str]) -> Export:
    assignments = message_log.election_assignments(user, election)
    form = MessageFilterForm(data or None)
    filters = form.filters()
    messages = message_log.filtered(assignments, filters).only(*message_log.ROW_FIELDS)

    def items() -> Iterator[message_log.Row]:
        for chunk in chunked(messages.iterator(chunk_size=CHUNK)):
            yield from message_log.rows(chunk)

    return Export(
        kind="messages",
        name=f"{election.name} {_t('messages')}",
        tables=[
            Table(
                _t("Messages"),
                picked(message_columns(user), wanted),
                items(),
                size=messages.order_by().count,
            )
        ],
        filters={k: v for k, v in vars(filters).items() if v not in (None, "")},
        election_id=election.pk,
        obj=election,
    )
