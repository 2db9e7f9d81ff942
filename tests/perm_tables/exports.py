"""Who may export what (exchange, /exchange/export/).

The board's export is the board's: every role, in its scope. The people exports
(the volunteer register, an election's seats, its messages, the station
staffing) need names and are never the viewer's. The payroll needs the manage
capability (the office: admins, coordinators). The full data export is the
admin's alone; its POST builds the ZIP. Every export page is a GET form: a POST
to it is 405 for anyone signed in."""

from __future__ import annotations

from collections.abc import Callable

from tests.permission_cases import (
    ADMIN_ONLY,
    CONTACT,
    LOGIN,
    MANAGE,
    Case,
    E,
    World,
    everyone,
    staff_only,
    url,
)

GET_ONLY = {**everyone(405), "anonymous": LOGIN}  # a POST to a GET form


def _csv(name: str, *args: Callable[[World], object]) -> Callable[[World], str]:
    base = url(name, *args)
    return lambda w: base(w) + "?format=csv"


def _cases(name: str, expected: dict[str, int], *args: Callable[[World], object]) -> list[Case]:
    return [
        Case(url(name, *args), expected, "the column picker"),
        Case(_csv(name, *args), expected, "the file"),
        Case(url(name, *args), GET_ONLY, "a GET form", post=lambda w: {}),
    ]


TABLE: dict[str, list[Case]] = {
    "exchange:export_board": _cases("exchange:export_board", staff_only(), E),
    "exchange:export_volunteers": _cases("exchange:export_volunteers", CONTACT),
    "exchange:export_assignments": _cases("exchange:export_assignments", CONTACT, E),
    "exchange:export_messages": _cases("exchange:export_messages", CONTACT, E),
    "exchange:export_station_staffing": _cases("exchange:export_station_staffing", CONTACT, E),
    "exchange:export_payroll": _cases("exchange:export_payroll", MANAGE, E),
    "exchange:export_all": [
        Case(url("exchange:export_all"), ADMIN_ONLY, "the page with the button"),
        Case(url("exchange:export_all"), ADMIN_ONLY, "the ZIP", post=lambda w: {}),
    ],
}
