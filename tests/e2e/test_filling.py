"""A coordinator fills seats from a station page in a real browser: invites two
people to two shifts (a review, then the result per person), seats someone who
said yes by phone, removes someone with a notice, and replaces someone in one
step. Every page is screenshotted and checked with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from staffing.messaging import messages_for_volunteer
from staffing.models import Assignment
from tests import factories as f
from tests.e2e.axe import Audit
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_fill_seats_from_a_station(desktop, screenshot, sign_in):
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(f.area("Nord"), name="Nordskolen")
    chair = f.shift(e, station_=station, capacity=2, start=8, end=14, role_=f.role("Valgstyrer"))
    clerk = f.shift(e, station_=station, capacity=3, start=14, end=21, role_=f.role("Tilforordnet"))
    anna = f.volunteer(first_name="Anna", last_name="Ager")
    bo = f.volunteer(first_name="Bo", last_name="Bak")
    cecilie = f.volunteer(first_name="Cecilie", last_name="Cold", channel="sms")
    dan = f.volunteer(first_name="Dan", last_name="Dal")
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    audit = Audit(screenshot, "filling")
    page = desktop

    sign_in(page)
    expect(page.get_by_role("heading", name="Elections")).to_be_visible()
    page.goto(f"/elections/{e.pk}/stations/{station.pk}/")
    audit.check(page, "station-empty")

    # Invite two people to two shifts.
    page.get_by_role("link", name="Invite to several shifts").click()
    expect(page.get_by_role("heading", name="Invite to shifts at Nordskolen")).to_be_visible()
    page.get_by_label(re.compile("^Valgstyrer")).check()
    page.get_by_label(re.compile("^Tilforordnet")).check()
    page.get_by_label("Find volunteers").fill("ager")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Anna Ager").check()
    page.get_by_label("Find volunteers").fill("bak")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_label("Anna Ager")).to_be_checked()  # kept across searches
    page.get_by_label("Bo Bak").check()
    audit.check(page, "invite-many")
    page.get_by_role("button", name="Review the invitations").click()
    expect(page.get_by_text("4 invitations will be sent.")).to_be_visible()
    audit.check(page, "invite-review")
    page.get_by_role("button", name="Send 4 invitations").click()
    expect(page.get_by_text("4 volunteers invited.")).to_be_visible()
    audit.check(page, "invite-result")
    assert Assignment.objects.filter(status="invited").count() == 4

    # The chair shift is full now; seat Cecilie (she said yes by phone) on the other.
    page.get_by_role("link", name="Back to the station").click()
    expect(page.get_by_text("Full: every seat is taken or awaiting an answer.")).to_be_visible()
    audit.check(page, "station-invited")
    page.get_by_role("link", name="Seat someone directly").click()
    page.get_by_label("Find volunteers").fill("cold")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Cecilie Cold").check()
    audit.check(page, "assign")
    page.get_by_role("button", name="Seat them").click()
    expect(
        page.get_by_text(re.compile("Cecilie Cold now holds a seat on Tilforordnet"))
    ).to_be_visible()
    assert Assignment.objects.get(volunteer=cecilie).status == "accepted"

    # Remove Bo from the chair shift, with a notice.
    page.get_by_role("link", name="Remove (Bo Bak)").first.click()
    expect(page.get_by_text("A notice goes to them by email.")).to_be_visible()
    page.get_by_label("Reason").fill("Flyttet til Aarhus")
    audit.check(page, "remove")
    page.get_by_role("button", name="Remove from the shift").click()
    expect(page.get_by_text(re.compile("Bo Bak was removed from Valgstyrer"))).to_be_visible()
    assert Assignment.objects.get(volunteer=bo, shift=chair).status == "removed"
    assert messages_for_volunteer(bo).get(kind="removed").status == "sent"

    # Replace Anna on the chair shift: the next person with no seat is chosen already.
    page.get_by_role("link", name="Replace (Anna Ager)").first.click()
    expect(page.get_by_label("Dan Dal")).to_be_checked()
    audit.check(page, "replace")
    page.get_by_role("button", name="Replace").click()
    expect(page.get_by_text(re.compile("Anna Ager was taken off Valgstyrer"))).to_be_visible()
    expect(page.get_by_text(re.compile("Dan Dal invited in their place"))).to_be_visible()
    audit.check(page, "station-after")
    assert Assignment.objects.get(volunteer=anna, shift=chair).status == "removed"
    assert Assignment.objects.get(volunteer=anna, shift=clerk).status == "invited"
    assert Assignment.objects.get(volunteer=dan, shift=chair).status == "invited"
    assert messages_for_volunteer(dan).get(kind="invitation").status == "sent"
    audit.done()


def test_a_draft_shows_why_nobody_can_be_invited(open_page, screenshot, sign_in):
    e = f.election(name="Kommunalvalg 2029", status="draft")
    station = f.station(f.area("Syd"), name="Sydhallen")
    shift = f.shift(e, station_=station, capacity=2, role_=f.role("Valgstyrer"))
    user = f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    user.language = "da"
    user.save()
    page = open_page({"viewport": {"width": 1280, "height": 900}}, "da-DK")
    audit = Audit(screenshot, "filling-draft")
    sign_in(page)
    page.goto(f"/elections/{e.pk}/stations/{station.pk}/")
    expect(page.locator("#not-inviting")).to_contain_text("Kommunalvalg 2029")
    # Both ways to invite (this shift, several shifts) are shown, disabled, with the reason.
    disabled = page.locator("button[disabled][aria-describedby=not-inviting]")
    expect(disabled).to_have_count(2)
    expect(disabled.first).to_be_visible()
    audit.check(page, "station")
    page.goto(f"/elections/{e.pk}/shifts/{shift.pk}/invite/")
    expect(page.locator("#not-inviting")).to_be_visible()
    expect(page.locator("input[name=q]")).to_have_count(0)
    audit.check(page, "invite")
    page.locator("#not-inviting a").click()  # the way to activate it
    assert page.url.endswith(f"/elections/{e.pk}/status/active/")
    audit.done()
