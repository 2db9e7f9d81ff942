"""Many newcomers confirming their one-time codes at the same moment for a few
seats (issue 10), over HTTP against Django on a thread per request, on
PostgreSQL: 30 people for 3 seats ⇒ exactly 3 seats are taken, everyone else
lands on their own page told the last seat was taken, nothing answers 5xx, and
nobody is made twice. The full figures (200 people, 5 seats, gunicorn) are
bench/signup_load.py's."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import requests
from django.core.cache import cache
from django.db import connection

from notifications import sms
from portal import limits
from portal.signup import form_token, state_for
from staffing import signup as reading
from staffing.models import Assignment
from staffing.services import signup as services
from tests import factories as f
from tests.fakes.threaded_server import threaded_django
from volunteers.models import Volunteer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL): SQLite serialises writers by locking the file",
    ),
]
PEOPLE, SEATS = 30, 3


@pytest.fixture
def server(settings, monkeypatch) -> Iterator[str]:
    # Everyone comes from 127.0.0.1 here: the per-sender limit on codes typed
    # back is for the real world (it is tested in tests/test_signup.py).
    monkeypatch.setattr(limits, "GUESSES", ("portal-guess", 10 * PEOPLE, 15 * 60))
    cache.clear()
    with threaded_django(settings) as base:
        yield base


def ready_to_confirm(link, shift, count: int) -> list[dict[str, str]]:
    """Each person's code sent and their confirm form filled (worked out before
    the threads: they only speak HTTP)."""
    forms = []
    for i in range(count):
        person = services.Details(
            first_name=f"P{i:03d}",
            last_name="Holm",
            birth_date=date(1990, 1, 1),
            phone=f"+45201{i:05d}",
            email="",
            language="en",
            proved="sms",
        )
        services.send_signup_code(link, person, shift_id=shift.pk)
        [record] = [r for r in sms.outbox if r.to == person.phone]
        forms.append(
            {
                "state": state_for(link, shift, person, standby=False),
                "form_token": form_token(link),
                "code": re.search(r"\b(\d{6})\b", record.body).group(1),
                "lang": "en",
            }
        )
    return forms


def confirm(base: str, token: str, fields: dict[str, str], start: threading.Barrier):
    session = requests.Session()
    start.wait()
    response = session.post(
        f"{base}/s/{token}/confirm/",
        data=fields,
        allow_redirects=False,
        timeout=60,
    )
    page = ""
    if response.status_code == 302:
        page = session.get(base + response.headers["Location"], timeout=60).text
    return response.status_code, page


def test_only_the_free_seats_are_taken_and_everyone_else_is_told(server):
    shift = f.shift(capacity=SEATS)
    link = services.create_signup_link(shift.election, by=None, label="Plakat")
    token = reading.link_token(link)
    forms = ready_to_confirm(link, shift, PEOPLE)
    start = threading.Barrier(PEOPLE)
    with ThreadPoolExecutor(PEOPLE) as pool:
        results = list(pool.map(lambda form: confirm(server, token, form, start), forms))

    assert [status for status, _page in results] == [302] * PEOPLE  # no 5xx
    assert shift.assignments.holding_seat().count() == SEATS
    booked = sum("You are booked as" in page for _status, page in results)
    full = sum("the last seat on this shift was just taken" in page for _s, page in results)
    assert (booked, full) == (SEATS, PEOPLE - SEATS)
    assert Volunteer.objects.filter(last_name="Holm").count() == PEOPLE  # each once
    link.refresh_from_db()
    assert link.used == SEATS


def test_a_double_submit_makes_one_person_and_one_seat(server):
    shift = f.shift(capacity=SEATS)
    link = services.create_signup_link(shift.election, by=None, label="Plakat")
    token = reading.link_token(link)
    [form] = ready_to_confirm(link, shift, 1)
    start = threading.Barrier(2)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _n: confirm(server, token, form, start), range(2)))
    assert [status for status, _page in results] == [302, 302]
    assert Volunteer.objects.filter(last_name="Holm").count() == 1
    assert Assignment.objects.filter(shift=shift).count() == 1
