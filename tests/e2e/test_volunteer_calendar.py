"""A volunteer on a phone sees the job in their language, puts the booked shift
in their calendar (the downloaded file parsed back), finds the private calendar
address, and switches the page to Danish, which is remembered. axe finds no
violations on the page in either language."""

from __future__ import annotations

from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

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
