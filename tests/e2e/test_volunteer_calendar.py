"""A volunteer on a phone sees the job in their language, puts the booked shift
in their calendar (the downloaded file parsed back), finds the private calendar
address, and switches the page to Danish, which is remembered; changes their
number with a code and asks not to be asked again. axe finds no violations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from notifications import sms
from staffing import services
from staffing.links import issue_link
from tests import factories as f
from tests.e2e.axe import Audit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def booked():
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(
        f.area("Midt"), name="Rådhushallen", address="Rådhuspladsen 1", postal_code="8000"
    )
    role = f.role(
        "Tilforordnet",
        description="Hjælper vælgerne.",
        description_en="Helps the voters.",
        what_to_bring="Madpakke",
        what_to_bring_en="A packed lunch",
        pay="850",
    )
    shift = f.shift(e, station_=station, capacity=4, role_=role)
    volunteer = f.volunteer(channel="sms", first_name="Mette", language="en")
    [seat] = services.invite(shift, [volunteer], by=None).invited
    services.accept(seat)
    return seat, issue_link(volunteer, e)


def test_calendar_and_language_on_a_phone(phone, booked, screenshot, tmp_path: Path):
    seat, token = booked
    audit = Audit(screenshot, "volunteer-calendar")
    phone.goto(f"/v/{token}/")
    expect(phone.get_by_text("Helps the voters.")).to_be_visible()
    expect(phone.get_by_text("A packed lunch")).to_be_visible()
    expect(phone.get_by_role("link", name="Show on a map (OpenStreetMap)")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    audit.check(phone, "english")
    screenshot(phone, "volunteer-booked-phone")

    with phone.expect_download() as download:
        phone.get_by_role("link", name="Add to my calendar (.ics)").tap()
    path = tmp_path / "shift.ics"
    download.value.save_as(path)
    [event] = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart") == seat.shift.starts_at
    assert str(event["summary"]) == "Tilforordnet · Rådhushallen"

    address = phone.get_by_label("Calendar address").input_value()
    feed = phone.request.get(address.replace("http://testserver", ""))
    assert feed.ok and "Rådhushallen" in feed.text()

    phone.get_by_label("Language for this page and our messages").select_option("da")
    phone.get_by_role("button", name="Change language").tap()
    expect(phone.get_by_text("Hjælper vælgerne.")).to_be_visible()
    expect(phone.get_by_role("button", name="Skift sprog")).to_be_visible()
    audit.check(phone, "danish")
    screenshot(phone, "volunteer-booked-phone-da")
    seat.volunteer.refresh_from_db()
    assert seat.volunteer.language == "da"


def test_change_the_number_with_a_code_then_dont_ask_again(phone, booked, screenshot):
    """Issue 10's browser flows on the page: a new mobile number proved with the
    code the SMS brought, then "don't ask me again" after its confirmation."""
    seat, token = booked
    audit = Audit(screenshot, "volunteer-self-service")
    phone.goto(f"/v/{token}/")
    phone.get_by_text("Change my mobile number or email").tap()
    phone.get_by_label("New mobile number or email").fill("20 33 44 55")
    phone.get_by_role("button", name="Send me a code").tap()
    expect(phone.get_by_role("heading", name="Enter the code")).to_be_visible()
    audit.check(phone, "code")
    screenshot(phone, "volunteer-enter-code")
    [record] = [r for r in sms.outbox if r.to == "+4520334455"]
    code = re.search(r"\b(\d{6})\b", record.body).group(1)
    phone.get_by_label("Code").fill(code)
    phone.get_by_role("button", name="Confirm").tap()
    expect(phone.get_by_text("Your mobile number is changed.")).to_be_visible()
    expect(phone.get_by_text("+45 20 33 44 55")).to_be_visible()

    phone.get_by_text("Don't ask me again", exact=True).tap()
    phone.get_by_role("button", name="Yes, don't ask me again").tap()
    expect(phone.get_by_text("We will not contact you again.")).to_be_visible()
    screenshot(phone, "volunteer-dont-ask-again")
    seat.volunteer.refresh_from_db()
    assert seat.volunteer.phone == "+4520334455" and seat.volunteer.do_not_contact
