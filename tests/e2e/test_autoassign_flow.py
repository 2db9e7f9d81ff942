"""A coordinator auto-assigns the demo election: runs auto-assign from the
election's page, reads the figures, reviews one station's diff against today,
locks a proposed seat, looks at who else could take it and who was left out,
accepts with a small first wave and sees the invitations go out (the page's
counts and the outbox), the locked seat among them. The pages pass axe's checks.
The real solver and the waves run in a real Celery worker (in a thread, as in
tests/test_worker.py): the page follows the run and the wave with htmx."""

from __future__ import annotations

import os
from collections.abc import Iterator
from io import StringIO

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import expect

from autoassign.models import Proposal, ProposalRow
from bench.management.commands.seed_demo import COORDINATOR_EMAIL, DEMO_PASSWORD, demo_election
from notifications.models import Message
from staffing.models import Assignment
from tests.e2e.axe import Audit
from tests.fakes.celery_broker import celery_broker

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
WAVE = 5


def _close_db_connections(**_kwargs) -> None:
    """The worker thread's database connections must not outlive the test."""
    connections.close_all()


@pytest.fixture
def worker() -> Iterator[None]:
    """A real worker consuming from the broker; tasks are published, not run inline."""
    url = os.environ.get("CELERY_BROKER_URL") or "memory://"
    with celery_broker(
        url,
        task_always_eager=False,
        broker_transport_options={"polling_interval": 0.05, "visibility_timeout": 3600},
        broker_connection_retry_on_startup=False,
    ) as app:
        app.control.purge()
        task_postrun.connect(_close_db_connections, weak=False)
        try:
            with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
                yield
        finally:
            task_postrun.disconnect(_close_db_connections)


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=StringIO())
    return demo_election()


def test_coordinator_auto_assigns_reviews_locks_and_sends_a_wave(
    desktop, demo, worker, screenshot, sign_in
):
    election = demo
    audit = Audit(screenshot, "autoassign")
    invitations_before = Message.objects.filter(kind="invitation").count()
    seats_before = Assignment.objects.filter(shift__election=election).holding_seat().count()

    sign_in(desktop, COORDINATOR_EMAIL, password=DEMO_PASSWORD, path=f"/elections/{election.pk}/")
    desktop.get_by_role("link", name="Auto-assign", exact=True).click()
    expect(desktop.get_by_role("heading", name="Auto-assign", exact=True)).to_be_visible()
    audit.check(desktop, "empty")

    desktop.get_by_label("Time limit (seconds)").fill("20")
    desktop.get_by_role("button", name="Run auto-assign").click()
    expect(
        desktop.get_by_role("heading", name="The latest proposal: Ready to review")
    ).to_be_visible(timeout=60_000)
    proposal = Proposal.objects.get(election=election)
    assert proposal.status == Proposal.Status.READY and proposal.filled > WAVE
    figures = desktop.get_by_role("group", name="The figures of the run")
    expect(figures).to_contain_text(f"{proposal.filled}filled by the proposal")
    audit.check(desktop, "proposal")

    # One station with new seats: its diff against today.
    row = (
        ProposalRow.objects.filter(proposal=proposal)
        .select_related("shift__station", "volunteer")
        .order_by("shift__station__name", "pk")
        .first()
    )
    station = row.shift.station
    desktop.get_by_role("link", name=station.name, exact=True).click()
    expect(desktop.get_by_role("heading", name=station.name, exact=True)).to_be_visible()
    expect(desktop.get_by_role("cell", name=row.volunteer.full_name).first).to_be_visible()
    audit.check(desktop, "station")

    # Lock the proposed seat (htmx swaps the row in place).
    line = desktop.locator(f"#row-{row.pk}")
    line.get_by_role("button", name="Lock").click()
    expect(line.get_by_role("button", name="Unlock")).to_be_visible()
    expect(line).to_contain_text("Locked")
    row.refresh_from_db()
    assert row.locked

    # Who else could take the seat (the people without a seat, each with why not).
    line.get_by_role("link", name="Swap").click()
    expect(
        desktop.get_by_role("heading", name=f"Someone else instead of {row.volunteer.full_name}")
    ).to_be_visible()
    expect(desktop.get_by_role("button", name="Choose").first).to_be_visible()
    audit.check(desktop, "swap")
    desktop.get_by_role("link", name="Back to the station").click()

    # The people left out, and why.
    desktop.get_by_role("link", name="Back to the proposal").click()
    desktop.get_by_role("link", name="who could help were left out").click()
    expect(desktop.get_by_role("heading", name="People left out")).to_be_visible()
    audit.check(desktop, "left-out")

    # Accept with a first wave of a few invitations.
    desktop.get_by_role("link", name="Back to the proposal").click()
    desktop.get_by_label("Invitations in this wave").fill(str(WAVE))
    desktop.get_by_role("button", name="Accept and send the first wave").click()
    expect(desktop.get_by_role("heading", name="The latest proposal: Accepted")).to_be_visible()
    sent = desktop.get_by_role("group", name="Invitations sent")
    expect(sent).to_contain_text(f"{WAVE}invited", timeout=30_000)  # htmx follows the wave
    expect(sent).to_contain_text(f"{proposal.filled - WAVE}not yet sent")
    expect(desktop.get_by_role("button", name="Send the next wave")).to_be_visible()
    audit.check(desktop, "accepted")

    # The invitations went out through the outbox; the locked seat first.
    assert Message.objects.filter(kind="invitation").count() == invitations_before + WAVE
    held = Assignment.objects.filter(shift__election=election).holding_seat().count()
    assert held == seats_before + WAVE
    row.refresh_from_db()
    assert row.state == ProposalRow.State.INVITED and row.wave == 1
    assert row.assignment.volunteer_id == row.volunteer_id
    audit.done()
