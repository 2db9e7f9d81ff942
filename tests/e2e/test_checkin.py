"""A station manager scans a sign-in sheet's QR code on the day: the check-in page
opens on their phone (after signing in), they tap "Check in", and the seat is
checked in. The page passes axe's WCAG 2.1 AA checks before and after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from elections.models import Shift
from staffing import services
from staffing.checkin import checkin_url
from staffing.models import Assignment
from tests import factories as f
from tests.e2e.axe import Audit
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seat():
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(f.area("Midt"), name="Rådhushallen")
    shift = f.shift(e, station_=station, capacity=4, role_=f.role("Tilforordnet"))
    volunteer = f.volunteer(channel="sms", first_name="Mette", last_name="Frandsen")
    [assignment] = services.invite(shift, [volunteer], by=None).invited
    services.accept(assignment)
    # The day has come: the shift started half an hour ago.
    starts = timezone.now() - timedelta(minutes=30)
    Shift.objects.filter(pk=shift.pk).update(starts_at=starts, ends_at=starts + timedelta(hours=8))
    f.user("valgstyrer@kommune.dk", password=PASSWORD, role="station_manager", stations=[station])
    return assignment


def test_station_manager_checks_someone_in_on_a_phone(phone, seat, screenshot, sign_in):
    audit = Audit(screenshot, "checkin")
    path = checkin_url(seat.pk).removeprefix(settings.SITE_URL)
    sign_in(phone, "valgstyrer@kommune.dk", path=path)
    expect(phone.get_by_role("heading", name="Mette Frandsen")).to_be_visible()
    card = phone.get_by_role("region", name="Mette Frandsen")
    expect(card.get_by_text("Rådhushallen")).to_be_visible()
    expect(card.get_by_text("Tilforordnet")).to_be_visible()
    expect(phone.locator("#checkin-status")).to_have_text("Accepted")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    button = phone.get_by_role("button", name="Check in")
    box = button.bounding_box()
    assert box and box["height"] >= 40 and box["width"] >= 300  # a big tap target
    audit.check(phone, "checkin-phone")

    button.tap()

    expect(phone.get_by_role("button", name="Undo check-in")).to_be_visible()
    seat.refresh_from_db()
    assert seat.status == Assignment.Status.CHECKED_IN
    time = timezone.localtime(seat.checked_in_at).strftime("%H:%M")
    expect(phone.get_by_text(f"Mette Frandsen is checked in (at {time}).")).to_be_visible()
    expect(phone.locator("#checkin-status")).to_have_text(f"Checked in at {time}")
    expect(phone.get_by_role("button", name="Undo check-in")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    audit.check(phone, "checkin-phone-done")
    audit.done()
