"""A standby claim race on phones (issue 10): a seat frees up, two people on the
standby list get a claim link each, both open it; the first to press "Take the
seat" gets it, the second is told someone was quicker and that they are still
on the list. Then the personal page's standby section, and the office's list."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from staffing import services
from staffing.links import issue_link
from staffing.models import StandbyEntry
from staffing.services import standby
from tests import factories as f
from tests.e2e.axe import DESKTOP, Audit
from tests.e2e.conftest import COORDINATOR, PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CLAIM = re.compile(r"/v/offer/([A-Za-z0-9_-]+)/")
# The narrowest phone the volunteer pages are made for.
PHONE_360 = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def offered():
    """A one-seat shift whose holder declines, with Anna and Bo waiting: both are
    offered the seat at once (offers_per_seat 2). Returns their claim paths."""
    e = f.election(name="Folketingsvalg 2027", standby_enabled=True, offers_per_seat=2)
    station = f.station(
        f.area("Midt"), name="Rådhushallen", address="Rådhuspladsen 1", city="Aarhus C"
    )
    shift = f.shift(
        e,
        station_=station,
        capacity=1,
        role_=f.role("Tilforordnet", description="Helps the voters and counts the votes."),
    )
    seat = services.assign(shift, f.volunteer(), by=None)
    anna = f.volunteer(first_name="Anna", last_name="Holm")
    bo = f.volunteer(first_name="Bo", last_name="Lund")
    for person in (anna, bo):
        standby.join_standby(person, election=e, shift=shift)
    mail.outbox.clear()
    services.decline(seat)  # committed: the offers go out (eager task)
    paths = {}
    for person in (anna, bo):
        [message] = [m for m in mail.outbox if m.to == [person.email] and CLAIM.search(m.body)]
        paths[person.first_name] = CLAIM.search(message.body).group(0)
    return shift, bo, paths


def test_two_claimants_one_seat_on_phones(open_page, screenshot, offered):
    shift, bo, paths = offered
    anna_phone, bo_phone = open_page(PHONE_360, "en-GB"), open_page(PHONE_360, "en-GB")
    audit = Audit(screenshot, "standby-claim")

    anna_phone.goto(paths["Anna"])
    bo_phone.goto(paths["Bo"])
    for phone, name in ((anna_phone, "Anna"), (bo_phone, "Bo")):
        expect(phone.get_by_role("heading", name=f"{name}, a seat is free")).to_be_visible()
        expect(phone.get_by_text("Rådhushallen")).to_be_visible()
        expect(phone.get_by_text("Claim by")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    take = anna_phone.get_by_role("button", name="Take the seat")
    box = take.bounding_box()
    assert box and box["height"] >= 40  # a comfortable tap target
    audit.check(anna_phone, "offer")

    take.tap()
    expect(anna_phone.get_by_role("heading", name="The seat is yours")).to_be_visible()
    expect(anna_phone.get_by_text("You are booked as Tilforordnet")).to_be_visible()
    audit.check(anna_phone, "claimed")

    bo_phone.get_by_role("button", name="Take the seat").tap()  # the page was open: too late
    expect(bo_phone.get_by_role("heading", name="Someone was quicker")).to_be_visible()
    expect(bo_phone.get_by_text("You are still on the standby list")).to_be_visible()
    expect(bo_phone.get_by_role("button", name="Take the seat")).to_have_count(0)
    assert bo_phone.evaluate("document.documentElement.scrollWidth") <= 360
    audit.check(bo_phone, "quicker")

    held = shift.assignments.holding_seat()
    assert [a.volunteer.first_name for a in held] == ["Anna"]

    # Bo's personal page: still waiting, and he can leave the list.
    bo_phone.goto(f"/v/{issue_link(bo, shift.election)}/")
    section = bo_phone.locator("section.pc-standby")
    expect(section.get_by_role("heading", name="Standby")).to_be_visible()
    expect(section.get_by_text("Rådhushallen")).to_be_visible()
    section.scroll_into_view_if_needed()
    assert bo_phone.evaluate("document.documentElement.scrollWidth") <= 360
    audit.check(bo_phone, "personal-page")
    section.get_by_role("button", name="Leave the list").tap()
    expect(bo_phone.get_by_text("You are off the standby list.")).to_be_visible()
    assert StandbyEntry.objects.get(volunteer=bo).status == StandbyEntry.Status.LEFT
    audit.done()


def test_the_office_sees_the_list_and_pauses_it(open_page, screenshot, sign_in, offered):
    shift, _bo, _paths = offered
    f.user(COORDINATOR, coordinator=True, password=PASSWORD)
    page = open_page(DESKTOP, "en-GB")
    sign_in(page)
    page.goto(f"/elections/{shift.election_id}/")
    page.get_by_role("link", name="Standby list").click()
    expect(page.get_by_role("heading", name="Standby list", exact=True)).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Anna Holm")
    expect(rows.nth(1)).to_contain_text("Bo Lund")
    expect(rows.nth(0)).to_contain_text("Offered")
    audit = Audit(screenshot, "standby-office")
    audit.check(page, "list")

    page.get_by_role("button", name="Pause offers").click()
    expect(page.get_by_role("heading", name="Offers are paused")).to_be_visible()
    audit.check(page, "paused")
    audit.done()


def test_the_claim_page_in_danish_on_a_phone(open_page, screenshot, offered):
    _shift, bo, paths = offered
    bo.language = "da"
    bo.save()
    page = open_page(PHONE_360, "da-DK")
    audit = Audit(screenshot, "standby-claim-da")
    page.goto(paths["Bo"])
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_text("Rådhushallen")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    audit.check(page, "offer")
    audit.done()


def test_joining_a_full_shifts_list_from_the_personal_page(open_page, screenshot):
    e = f.election(name="Folketingsvalg 2027", standby_enabled=True)
    station = f.station(f.area("Midt"), name="Rådhushallen", address="Rådhuspladsen 1")
    mine = f.shift(e, station_=station, capacity=3, start=8, end=12, role_=f.role("Valgstyrer"))
    counting = f.shift(e, station_=station, capacity=1, start=20, end=23, role_=f.role("Fintæller"))
    services.assign(counting, f.volunteer(), by=None)
    mette = f.volunteer(first_name="Mette")
    services.assign(mine, mette, by=None)
    page = open_page(PHONE_360, "en-GB")
    audit = Audit(screenshot, "standby-join")

    page.goto(f"/v/{issue_link(mette, e)}/")
    section = page.locator("section.pc-standby")
    expect(section.get_by_text("Fintæller · Rådhushallen")).to_be_visible()
    section.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    audit.check(page, "full-shifts")

    section.get_by_role("button", name="Put me on the standby list").tap()
    expect(page.get_by_text("You are on the standby list for Fintæller")).to_be_visible()
    expect(
        page.locator("section.pc-standby").get_by_role("button", name="Leave the list")
    ).to_be_visible()
    audit.check(page, "joined")
    assert StandbyEntry.objects.get(volunteer=mette).shift == counting
    audit.done()
