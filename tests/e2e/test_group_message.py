"""A coordinator sends a group message in a real browser: from the election's
header to the compose page, a filter and a text with placeholders, the preview
for the first recipient by name with the counts and the SMS cost, then the send
button and the progress page, which a real Celery worker (in a thread) moves
along chunk by chunk while htmx reloads it, until it is done with the result.
The pages pass axe's checks."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from notifications.models import Message
from staffing.models import Assignment, GroupMessage
from staffing.services import group_messages as services
from tests import factories as f
from tests.e2e.axe import Audit
from tests.e2e.conftest import PASSWORD
from tests.test_worker import worker  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PEOPLE = 24


@pytest.fixture
def election(monkeypatch):
    # Small chunks, so that the worker moves the progress in steps.
    monkeypatch.setattr(services, "CHUNK", 4)
    e = f.election(name="Folketingsvalg 2027")
    nord = f.station(f.area("Nord"), name="Nordskolen")
    syd = f.station(f.area("Syd"), name="Sydhallen")
    role = f.role("Tilforordnet")
    now = timezone.now()
    for station, count in ((nord, PEOPLE), (syd, 3)):
        shift = f.shift(e, station_=station, role_=role, capacity=count)
        for i in range(count):
            Assignment.objects.create(
                shift=shift,
                volunteer=f.volunteer(
                    "sms" if i % 2 else "email",
                    first_name=f"Søren{i:02d}" if station == nord else f"Syd{i}",
                    last_name="Ødegård",
                ),
                status=Assignment.Status.ACCEPTED,
                responded_at=now,
            )
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    return e


def figure(page: Page, label: str) -> Locator:
    """The number under ``label`` in a list of counts."""
    return page.locator(".pc-gm-counts dt", has_text=label).locator("xpath=following-sibling::dd")


def test_send_a_group_message_and_watch_its_progress(
    worker,  # noqa: F811
    desktop,
    election,
    screenshot,
    sign_in,
):
    audit = Audit(screenshot, "group-message")
    page = desktop
    sign_in(page, path=f"/elections/{election.pk}/")
    page.get_by_role("link", name="Group message", exact=True).click()
    expect(page.get_by_role("heading", name="Group message", level=1)).to_be_visible()
    audit.check(page, "compose")

    page.get_by_label("Area").select_option(label="Nord")
    page.get_by_label("Subject").fill("Husk mødet, {first_name}")
    page.get_by_label("Text").fill("Hej {first_name}! Mødet er {when} på {station}. Svar: {link}")
    screenshot(page, "group-message-compose")
    page.get_by_role("button", name="Preview").click()

    # The preview: for the first by name, with the counts and the SMS cost.
    expect(page.get_by_role("heading", name="Check and send")).to_be_visible()
    expect(
        page.get_by_text("Area: Nord · Seats that are invited, accepted, checked in")
    ).to_be_visible()
    expect(figure(page, "People")).to_have_text(str(PEOPLE))
    expect(figure(page, "SMS")).to_have_text(str(PEOPLE // 2))
    expect(figure(page, "Emails")).to_have_text(str(PEOPLE // 2))
    expect(page.get_by_text("Subject: Husk mødet, Søren00")).to_be_visible()
    expect(page.get_by_text("GSM-7")).to_be_visible()
    expect(page.get_by_text("segments for all SMS")).to_be_visible()
    audit.check(page, "preview")
    screenshot(page, "group-message-preview")

    page.get_by_role("button", name=f"Send {PEOPLE} messages").click()
    # The progress page, reloaded by htmx while the worker queues the chunks.
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    screenshot(page, "group-message-running")
    expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("status")).to_contain_text(f"{PEOPLE} of {PEOPLE} messages queued.")
    expect(figure(page, "Sent")).to_have_text(str(PEOPLE), timeout=30_000)
    expect(figure(page, "Failed")).to_have_text("0")
    expect(figure(page, "No address")).to_have_text("0")
    audit.check(page, "progress")
    screenshot(page, "group-message-done")

    group = GroupMessage.objects.get()
    assert group.status == GroupMessage.Status.DONE
    assert Message.objects.filter(kind="group_message").count() == PEOPLE
