"""Many people claiming offered seats at once (issue 10, "capacity is never
exceeded under concurrent claims"): two seats free up on a shift, 30 people on
its standby list each get a claim link, and all of them press "Take the seat"
at the same moment against the live server (a thread per request, PostgreSQL)
⇒ exactly two seats are taken, everyone else is told someone was quicker and
that they stay on the list, nothing answers 5xx; the same link pressed twice at
once takes one seat."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core import mail
from django.db import connection

from portal.standby import claim_token
from staffing import services
from staffing.models import Assignment, SeatOffer, StandbyEntry, hash_token
from staffing.services import standby
from tests import factories as f
from tests.fakes.threaded_server import threaded_django

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL): SQLite serialises writers by locking the file",
    ),
]
PEOPLE, SEATS = 30, 2
CLAIM = re.compile(r"/v/offer/([A-Za-z0-9_-]+)/")
Status = Assignment.Status


@pytest.fixture
def server(settings) -> Iterator[str]:
    with threaded_django(settings) as base:
        yield base


def offered_shift(people: int, seats: int):
    """A shift whose ``seats`` holders declined, and the claim links the
    ``people`` waiting for it were sent (every one of them offered a seat)."""
    e = f.election(standby_enabled=True, offers_per_seat=people)
    shift = f.shift(e, capacity=seats)
    holders = [services.assign(shift, f.volunteer(), by=None) for _ in range(seats)]
    waiting = [f.volunteer(first_name=f"P{i:03d}") for i in range(people)]
    for person in waiting:
        standby.join_standby(person, election=e, shift=shift)
    mail.outbox.clear()
    for seat in holders:
        services.decline(seat)  # committed: the offers go out on commit (eager task)
    links = [CLAIM.search(m.body).group(1) for m in mail.outbox if CLAIM.search(m.body)]
    assert len(links) == people  # everyone waiting was offered a seat
    return shift, links


def form_of(token: str) -> tuple[str, str]:
    """The claim form's address and token, worked out before the threads (they
    only speak HTTP and open no database connection of their own)."""
    offer = SeatOffer.objects.get(token_hash=hash_token(token))
    return f"/v/offer/{token}/", claim_token(offer)


def press(base: str, form: tuple[str, str], start: threading.Barrier) -> tuple[int, str]:
    path, token = form
    session = requests.Session()
    start.wait()
    response = session.post(
        base + path, data={"claim_token": token}, allow_redirects=False, timeout=60
    )
    page = session.get(base + path, timeout=60) if response.status_code == 302 else None
    return response.status_code, page.text if page is not None else response.text


def test_two_free_seats_go_to_two_of_thirty_claimants(server):
    shift, links = offered_shift(PEOPLE, SEATS)
    forms = [form_of(token) for token in links]
    start = threading.Barrier(len(forms))
    with ThreadPoolExecutor(len(forms)) as pool:
        results = list(pool.map(lambda form: press(server, form, start), forms))

    assert [status for status, _page in results] == [302] * PEOPLE  # no 5xx, no error page
    assert shift.assignments.holding_seat().count() == SEATS
    assert shift.assignments.filter(status=Status.ACCEPTED).count() == SEATS
    won = sum("The seat is yours" in page for _status, page in results)
    lost = sum(
        "Someone was quicker" in page and "still on the standby list" in page
        for _status, page in results
    )
    assert (won, lost) == (SEATS, PEOPLE - SEATS)
    assert SeatOffer.objects.filter(shift=shift, status=SeatOffer.Status.CLAIMED).count() == SEATS
    assert not SeatOffer.objects.filter(shift=shift, status=SeatOffer.Status.OPEN).exists()
    waiting = StandbyEntry.objects.filter(shift=shift, status=StandbyEntry.Status.WAITING)
    assert waiting.count() == PEOPLE - SEATS  # the others stay on the list


def test_the_same_link_pressed_twice_at_once_takes_one_seat(server):
    shift, links = offered_shift(1, 1)
    form = form_of(links[0])
    start = threading.Barrier(2)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _n: press(server, form, start), range(2)))

    assert [status for status, _page in results] == [302, 302]
    assert all("The seat is yours" in page for _status, page in results)
    assert Assignment.objects.filter(shift=shift).count() == 2  # the decline, and one seat
    assert shift.assignments.holding_seat().count() == 1
