"""Who may export what (exchange, /exchange/export/).

The board's export is the board's: every role, in its scope. The people exports
(the volunteer register, an election's seats, its messages, the station
staffing) need names and are never the viewer's. The payroll needs the manage
capability (the office: admins, coordinators). The full data export is the
admin's alone; its POST queues the ZIP as a job (a redirect to the job's page);
the job's page and its download are the admin's who asked (an unknown job is a
404 for everyone). Every export page is a GET form: a POST to it is 405 for
anyone signed in."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from tests.permission_cases import (
    ADMIN_ONLY,
    ADMIN_POST,
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


NOBODY = {**everyone(404), "anonymous": LOGIN}
TOKEN = "x" * 32  # no such job


def _job(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[TOKEN])


TABLE: dict[str, list[Case]] = {
    "exchange:export_board": _cases("exchange:export_board", staff_only(), E),
    "exchange:export_volunteers": _cases("exchange:export_volunteers", CONTACT),
    "exchange:export_assignments": _cases("exchange:export_assignments", CONTACT, E),
    "exchange:export_messages": _cases("exchange:export_messages", CONTACT, E),
    "exchange:export_station_staffing": _cases("exchange:export_station_staffing", CONTACT, E),
    "exchange:export_payroll": _cases("exchange:export_payroll", MANAGE, E),
    "exchange:export_all": [
        Case(url("exchange:export_all"), ADMIN_ONLY, "the page with the button"),
        Case(url("exchange:export_all"), ADMIN_POST, "queues the ZIP", post=lambda w: {}),
    ],
    "exchange:export_all_job": [
        Case(_job("exchange:export_all_job"), NOBODY, "someone else's or no job"),
        Case(_job("exchange:export_all_job"), GET_ONLY, "a page", post=lambda w: {}),
    ],
    "exchange:export_all_download": [
        Case(_job("exchange:export_all_download"), NOBODY, "someone else's or no job"),
    ],
}
