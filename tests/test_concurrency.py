"""Capacity holds when many volunteers answer at the same moment.

Runs on whatever database is configured: SQLite locally (IMMEDIATE transactions
queue the writers) and PostgreSQL in CI (row locks on the shift).
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.views import answer_token
from staffing import services
from staffing.links import issue_link
from staffing.models import Assignment, PersonalLink, hash_token
from tests import factories as f

THREADS = 20
SEATS = 3


def test_ci_runs_on_postgresql():
    """CI must exercise the real locks: .ci/run points DATABASE_URL at PostgreSQL."""
    if os.environ.get("CI"):
        assert connection.vendor == "postgresql"


@pytest.mark.django_db(transaction=True)
def test_twenty_volunteers_race_for_three_seats():
    shift = f.shift(capacity=SEATS)
    # Each had an invitation that expired; all open their link and accept at once.
    people = [f.volunteer() for _ in range(THREADS)]
    for batch in range(0, THREADS, SEATS):
        invited = services.invite(shift, people[batch : batch + SEATS], by=None).invited
        Assignment.objects.filter(pk__in=[a.pk for a in invited]).update(
            status=Assignment.Status.EXPIRED, invited_at=timezone.now() - timedelta(days=8)
        )
    assert Assignment.objects.holding_seat().count() == 0
    links = {a.pk: issue_link(a.volunteer, shift.election) for a in Assignment.objects.all()}

    start = threading.Barrier(THREADS)
    results: dict[int, tuple[int, str]] = {}

    def answer(assignment_id: int, token: str) -> None:
        client = Client()
        try:
            start.wait()
            url = reverse("portal:accept", args=[token, assignment_id])
            link = PersonalLink.objects.get(token_hash=hash_token(token))
            response = client.post(
                url, {"answer_token": answer_token(link, assignment_id)}, follow=True
            )
            results[assignment_id] = (response.status_code, response.content.decode())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=item) for item in links.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(results) == THREADS
    assert {status for status, _ in results.values()} == {200}
    booked = [body for _, body in results.values() if "You are booked as" in body]
    full = [body for _, body in results.values() if "All seats on this shift are taken." in body]
    assert (len(booked), len(full)) == (SEATS, THREADS - SEATS)
    assert Assignment.objects.filter(status=Assignment.Status.ACCEPTED).count() == SEATS
