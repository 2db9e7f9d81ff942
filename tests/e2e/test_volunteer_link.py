"""A volunteer opens the link from their SMS on a phone and accepts the shift."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from staffing import services
from staffing.links import issue_link
from staffing.models import Assignment
from tests import factories as f

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invitation():
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(
        f.area("Midt"),
        name="Rådhushallen",
        address="Rådhuspladsen 1",
        postal_code="8000",
        city="Aarhus C",
    )
    shift = f.shift(
        e,
        station_=station,
        capacity=4,
        role_=f.role("Tilforordnet", description="Hjælper vælgerne og tæller stemmer."),
    )
    volunteer = f.volunteer(channel="sms", first_name="Mette", last_name="Frandsen")
    [assignment] = services.invite(shift, [volunteer], by=None).invited
    return assignment, issue_link(volunteer, e)


def test_volunteer_accepts_on_a_phone(phone, invitation, screenshot):
    assignment, token = invitation
    phone.goto(f"/v/{token}/")
    expect(phone.get_by_role("heading", name="Hi Mette")).to_be_visible()
    expect(phone.get_by_text("Rådhushallen")).to_be_visible()
    expect(phone.get_by_text("Waiting for your answer")).to_be_visible()
    # Nothing is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    accept = phone.get_by_role("button", name="Accept")
    box = accept.bounding_box()
    assert box and box["height"] >= 40  # a comfortable tap target
    screenshot(phone, "volunteer-invited-phone")

    accept.tap()

    expect(phone.get_by_text("You are booked as Tilforordnet")).to_be_visible()
    expect(phone.get_by_text("Cancel my shift", exact=True)).to_be_visible()
    screenshot(phone, "volunteer-accepted-phone")
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED


def test_volunteer_declines_with_a_reason(phone, invitation):
    assignment, token = invitation
    phone.goto(f"/v/{token}/")
    phone.get_by_text("Decline", exact=True).tap()
    phone.get_by_label("Reason (optional)").fill("Jeg er bortrejst")
    phone.get_by_role("button", name="Yes, decline").tap()
    expect(phone.get_by_text("Thank you for answering")).to_be_visible()
    assignment.refresh_from_db()
    assert (assignment.status, assignment.reason) == ("declined", "Jeg er bortrejst")
