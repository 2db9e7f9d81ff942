"""Many people answering at once over HTTP (issue 10): 40 volunteers who had
declined a 5-seat shift press "Accept after all" at the same moment against the
live server (threads, PostgreSQL) ⇒ exactly 5 seats are taken, everyone else is
told the shift is full, nothing answers 5xx; a double submit takes one seat.
The full figures (500 people, 10 seats, gunicorn) are bench/portal_load.py's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection
from django.utils import timezone

from portal.views import answer_token
from staffing.links import issue_link
from staffing.models import Assignment, PersonalLink, hash_token
from tests import factories as f
from tests.fakes.threaded_server import threaded_django

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL): SQLite serialises writers by locking the file",
    ),
]
PEOPLE, SEATS = 40, 5
Status = Assignment.Status


@pytest.fixture
def server(settings) -> Iterator[str]:
    with threaded_django(settings) as base:
        yield base


def declined_people(shift, count: int) -> list[tuple[Assignment, str]]:
    now = timezone.now()
    out = []
    for i in range(count):
        person = f.volunteer("email", first_name=f"P{i:03d}")
        seat = Assignment.objects.create(
            shift=shift, volunteer=person, status=Status.DECLINED, invited_at=now, responded_at=now
        )
        out.append((seat, issue_link(person, shift.election)))
    return out


def form_of(seat: Assignment, token: str) -> tuple[str, dict[str, str]]:
    """The accept form's address and fields (worked out here, before the threads:
    they only speak HTTP, and open no database connection of their own)."""
    link = PersonalLink.objects.get(token_hash=hash_token(token))
    return token, {
        "url": f"/v/{token}/a/{seat.pk}/accept/",
        "answer_token": answer_token(link, seat.pk),
    }


def press_accept(base: str, form: tuple[str, dict[str, str]], start: threading.Barrier):
    token, fields = form
    session = requests.Session()
    start.wait()
    response = session.post(
        base + fields["url"],
        data={"answer_token": fields["answer_token"]},
        allow_redirects=False,
        timeout=60,
    )
    page = session.get(f"{base}/v/{token}/", timeout=60) if response.status_code == 302 else None
    return response.status_code, page.text if page is not None else ""


def test_only_the_free_seats_are_taken_and_everyone_else_is_told(server):
    shift = f.shift(capacity=SEATS)
    forms = [form_of(seat, token) for seat, token in declined_people(shift, PEOPLE)]
    start = threading.Barrier(PEOPLE)
    with ThreadPoolExecutor(PEOPLE) as pool:
        results = list(pool.map(lambda form: press_accept(server, form, start), forms))

    statuses = [status for status, _page in results]
    assert statuses == [302] * PEOPLE  # no 5xx, no error page: an answer for everyone
    assert Assignment.objects.filter(shift=shift, status=Status.ACCEPTED).count() == SEATS
    booked = sum("You are booked as" in page for _status, page in results)
    full = sum("All seats on this shift are taken." in page for _status, page in results)
    assert (booked, full) == (SEATS, PEOPLE - SEATS)


def test_a_double_submit_takes_one_seat(server):
    shift = f.shift(capacity=SEATS)
    [form] = [form_of(seat, token) for seat, token in declined_people(shift, 1)]
    start = threading.Barrier(2)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _n: press_accept(server, form, start), range(2)))
    assert [status for status, _page in results] == [302, 302]
    assert Assignment.objects.filter(shift=shift).count() == 1
    assert Assignment.objects.get(shift=shift).status == Status.ACCEPTED
