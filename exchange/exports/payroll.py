"""The payroll export of an election: one row per paid seat (person, role,
station, shift start and end, hours, rate, amount) and the totals per role.

Paid seats: accepted and checked in (``FILLED_STATUSES``). A no-show, a
withdrawal, a removal, a decline, an expired or an open invitation is not paid:
mark no-shows on the day (check-in) before running the payroll.

Rate: ``Role.pay`` is a fixed fee in kroner per shift (the role form says so), so
the amount of a row is the rate; hours are given for the payroll's records and
do not multiply it. A person with several shifts (a split day) has one row per
shift. Hours are the difference of the shift's two instants in UTC: a shift over
midnight, or over the night the clocks change, has its real length (22:00-06:00
on the last Sunday of October in Denmark is 9 hours)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.http import QueryDict
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.scopes import Capability, scope_of
from elections.models import Election
from staffing.models import FILLED_STATUSES, Assignment

from .base import CHUNK, Column, Export, Table, local, picked

PAID_STATUSES = FILLED_STATUSES
CENT = Decimal("0.01")


def hours_between(start: datetime, end: datetime) -> Decimal:
    """Hours from ``start`` to ``end`` (aware), to two decimals. Both are turned
    into UTC first: Python subtracts two datetimes of the same time zone object
    on the wall clock, which is an hour off across a change of the clocks."""
    seconds = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
    return (Decimal(int(seconds)) / 3600).quantize(CENT)


@dataclass(frozen=True)
class PayRow:
    a: Assignment

    @property
    def hours(self) -> Decimal:
        return hours_between(self.a.shift.starts_at, self.a.shift.ends_at)

    @property
    def rate(self) -> Decimal:
        return self.a.shift.role.pay

    @property
    def amount(self) -> Decimal:
        return self.rate  # per shift


PAYROLL_COLUMNS = [
    Column("volunteer_id", _("Volunteer id"), lambda r: r.a.volunteer_id),
    Column("last_name", _("Last name"), lambda r: r.a.volunteer.last_name),
    Column("first_name", _("First name"), lambda r: r.a.volunteer.first_name),
    Column("birth_date", _("Date of birth"), lambda r: r.a.volunteer.birth_date, contact=True),
    Column("address", _("Address"), lambda r: r.a.volunteer.address, default=False, contact=True),
    Column(
        "postal_code",
        _("Postal code"),
        lambda r: r.a.volunteer.postal_code,
        default=False,
        contact=True,
    ),
    Column("city", _("City"), lambda r: r.a.volunteer.city, default=False, contact=True),
    Column("role", _("Role"), lambda r: r.a.shift.role.name),
    Column("station", _("Polling station"), lambda r: r.a.shift.station.name),
    Column("starts", _("Starts"), lambda r: local(r.a.shift.starts_at)),
    Column("ends", _("Ends"), lambda r: local(r.a.shift.ends_at)),
    Column("hours", _("Hours"), lambda r: r.hours),
    Column("rate", _("Rate per shift (kr.)"), lambda r: r.rate),
    Column("amount", _("Amount (kr.)"), lambda r: r.amount),
    Column("status", _("Status"), lambda r: r.a.get_status_display(), default=False),
]


@dataclass
class RoleTotal:
    role: str
    shifts: int = 0
    people: int = 0
    hours: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)


TOTAL_COLUMNS = [
    Column("role", _("Role"), lambda t: t.role),
    Column("shifts", _("Shifts"), lambda t: t.shifts),
    Column("people", _("People"), lambda t: t.people),
    Column("hours", _("Hours"), lambda t: t.hours),
    Column("amount", _("Amount (kr.)"), lambda t: t.amount),
]


def payroll_columns(user: User) -> list[Column]:
    return list(PAYROLL_COLUMNS)  # the payroll is the office's: contact data included


def paid_seats(user: User, election: Election):
    return scope_of(user).filter(
        Assignment.objects.filter(shift__election=election, status__in=PAID_STATUSES),
        Capability.MANAGE,
    )


def role_totals(user: User, election: Election) -> list[RoleTotal]:
    """Shifts, people, hours and amount per role, and all roles together (one
    query of four columns per seat)."""
    rows = (
        paid_seats(user, election)
        .order_by("shift__role__sort_order", "shift__role__name", "shift__role_id")
        .values_list(
            "shift__role_id",
            "shift__role__name",
            "shift__role__pay",
            "volunteer_id",
            "shift__starts_at",
            "shift__ends_at",
        )
    )
    totals: dict[int, RoleTotal] = {}
    people: dict[int, set[int]] = {}
    everyone = RoleTotal(_t("All roles"))
    for role_id, name, pay, volunteer_id, starts, ends in rows.iterator(chunk_size=CHUNK):
        total = totals.setdefault(role_id, RoleTotal(name))
        hours = hours_between(starts, ends)
        for t in (total, everyone):
            t.shifts += 1
            t.hours += hours
            t.amount += pay
        people.setdefault(role_id, set()).add(volunteer_id)
        people.setdefault(0, set()).add(volunteer_id)
    for role_id, total in totals.items():
        total.people = len(people[role_id])
    everyone.people = len(people.get(0, ()))
    return [*totals.values(), everyone]


def payroll_export(user: User, election: Election, data: QueryDict, wanted: list[str]) -> Export:
    seats = (
        paid_seats(user, election)
        .select_related("volunteer", "shift__station", "shift__role")
        .order_by(
            "volunteer__last_name", "volunteer__first_name", "volunteer_id", "shift__starts_at"
        )
    )

    def items() -> Iterator[PayRow]:
        for a in seats.iterator(chunk_size=CHUNK):
            yield PayRow(a)

    totals = role_totals(user, election)
    return Export(
        kind="payroll",
        name=f"{election.name} {_t('payroll')}",
        tables=[
            Table(
                _t("Payroll"),
                picked(payroll_columns(user), wanted),
                items(),
                size=lambda: totals[-1].shifts,
            ),
            Table(_t("Totals per role"), list(TOTAL_COLUMNS), totals),
        ],
        election_id=election.pk,
        obj=election,
    )
