"""A volunteer on a phone withdraws from an accepted shift before the lock (the
seat is released), and after the lock cannot: the page says whom to call."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from staffing import services
from staffing.links import issue_link
from staffing.models import Assignment
from tests import factories as f

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def booked(days_ahead: int):
    e = f.election(name="Folketingsvalg 2027", days_ahead=days_ahead, lock_days=3)
    shift = f.shift(e, capacity=2, role_=f.role("Tilforordnet"))
    volunteer = f.volunteer(channel="sms", first_name="Mette")
    seat = services.assign(shift, volunteer, by=None)
    return seat, issue_link(volunteer, e)


def test_withdraw_before_the_lock(phone, screenshot):
    seat, token = booked(days_ahead=30)
    phone.goto(f"/v/{token}/")
    phone.get_by_text("Cancel my shift", exact=True).tap()
    phone.get_by_label("Reason (optional)").fill("Syg")
    phone.get_by_role("button", name="Yes, cancel my shift").tap()
    expect(phone.get_by_text("Your shift is cancelled and the seat released.")).to_be_visible()
    screenshot(phone, "volunteer-withdrawn-phone")
    seat.refresh_from_db()
    assert seat.status == Assignment.Status.WITHDRAWN


def test_after_the_lock_the_page_says_whom_to_call(phone, settings, screenshot):
    settings.ELECTION_OFFICE_CONTACT = "Valgsekretariatet, tlf. 89 40 20 00"
    seat, token = booked(days_ahead=2)
    phone.goto(f"/v/{token}/")
    expect(phone.get_by_text("Answers can no longer be changed online")).to_be_visible()
    expect(phone.get_by_text("tlf. 89 40 20 00").first).to_be_visible()
    expect(phone.get_by_text("Cancel my shift", exact=True)).to_have_count(0)
    screenshot(phone, "volunteer-locked-phone")
    seat.refresh_from_db()
    assert seat.status == Assignment.Status.ACCEPTED
