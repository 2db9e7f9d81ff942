"""A coordinator works with the volunteer register in the browser at city scale
(6,000 volunteers): searches with Danish folding, opens a volunteer's page, adds
someone who is likely already there (warned, then "save anyway"), and looks at
the merge page. Every page is screenshotted and passes axe's WCAG 2.1 AA checks."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bench import datagen
from staffing import services
from staffing.models import Assignment
from tests import factories as f
from tests.e2e.axe import DESKTOP, Audit
from tests.e2e.conftest import PASSWORD
from volunteers.models import Volunteer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city():
    result = datagen.generate("city", election_date=timezone.localdate() + timedelta(days=30))
    soren = f.volunteer(
        first_name="Søren",
        last_name="Kjærgaard",
        phone="+4520123456",
        email="soren.kjaergaard@example.dk",
        channel="sms",
        born=date(1962, 3, 14),
        language="da",
    )
    shift = result.election.shifts.filter(team__isnull=True).order_by("starts_at", "pk").first()
    shift.capacity += 1
    shift.save(update_fields=["capacity"])
    [seat] = services.invite(shift, [soren], by=None).invited
    services.accept(seat)
    return result.election, soren


def test_search_open_and_add_with_a_duplicate_warning(open_page, screenshot, city, sign_in):
    election, soren = city
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    total = Volunteer.objects.count()
    page = open_page(DESKTOP, "en-GB")
    audit = Audit(screenshot, "volunteers")
    sign_in(page)

    page.locator(".pc-nav").get_by_role("link", name="Volunteers").click()
    expect(page.locator("h1")).to_have_text("Volunteers")
    count = page.locator("#volunteer-count")
    expect(count).to_contain_text(re.compile(rf"Showing 1.50 of {total:,}|{total}"))
    assert page.locator("table.pc-vol-table tbody tr").count() == 50
    audit.check(page, "list")

    # Danish folding: typed without æ, ø, in lower case.
    page.get_by_label("Search").fill("soren kjaergaard")
    page.get_by_role("button", name="Search").click()
    expect(count).to_contain_text("1 volunteer")
    row = page.locator("table.pc-vol-table tbody tr").first
    expect(row).to_contain_text("Kjærgaard, Søren")
    expect(row).to_contain_text("+45 20 12 34 56")
    expect(row).to_contain_text("Accepted")
    audit.check(page, "search")

    # Status in the election: accepted people only.
    page.get_by_label("Search").fill("")
    page.get_by_label("Status in the election").select_option("accepted")
    page.get_by_role("button", name="Search").click()
    accepted = (
        Volunteer.objects.filter(
            assignments__shift__election=election,
            assignments__status__in=[Assignment.Status.ACCEPTED, Assignment.Status.CHECKED_IN],
        )
        .distinct()
        .count()
    )
    expect(count).to_contain_text(re.compile(rf"of ({accepted:,}|{accepted}) volunteers"))
    audit.check(page, "list-accepted")

    page.goto(f"/volunteers/?q={soren.phone[3:]}")
    page.get_by_role("link", name="Kjærgaard, Søren").click()
    expect(page.locator("h1")).to_have_text("Søren Kjærgaard")
    expect(page.locator("main")).to_contain_text(election.name)
    expect(page.locator(".pc-timeline")).to_contain_text("Accepted")
    audit.check(page, "page")

    # A new record with Søren's mobile number: warned before anything is saved.
    page.goto("/volunteers/new/")
    audit.check(page, "create")
    page.get_by_label("First name").fill("Søren")
    page.get_by_label("Last name").fill("Kjærgaard Hansen")
    page.get_by_label("Date of birth").fill("1962-03-14")
    page.get_by_label("Mobile phone").fill("20 12 34 56")
    page.get_by_role("button", name="Save", exact=True).click()
    warning = page.locator(".pc-vol-duplicates")
    expect(warning).to_contain_text("same mobile number")
    expect(warning).to_contain_text("Søren Kjærgaard")
    assert Volunteer.objects.count() == total
    audit.check(page, "duplicate-warning")
    page.get_by_role("button", name="Save anyway").click()
    expect(page.locator("h1")).to_have_text("Søren Kjærgaard Hansen")
    assert Volunteer.objects.count() == total + 1

    # The merge page finds the likely duplicate.
    page.get_by_role("link", name="Merge with another record").click()
    expect(page.locator("main table")).to_contain_text("same mobile number")
    audit.check(page, "merge-choose")
    page.get_by_role("link", name=re.compile("Compare")).first.click()
    expect(page.get_by_role("button", name="Merge the two records")).to_be_visible()
    audit.check(page, "merge-compare")
    audit.done()
