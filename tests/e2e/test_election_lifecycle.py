"""A coordinator builds an election in the browser: creates it from the election
list (a field error first), activates it through the confirmation page, copies
it to a new date, activates the copy and invites the previous volunteers again.
City scale (8 areas, 50 stations); every page is screenshotted and passes axe's
WCAG 2.1 AA checks, in English and in Danish."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from elections.models import Election
from staffing import services
from staffing.models import Assignment
from tests import factories as f
from tests.e2e.axe import DESKTOP, Audit
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AREAS = [
    "Indre By",
    "Østerbro",
    "Nørrebro",
    "Vesterbro",
    "Amager",
    "Valby",
    "Brønshøj",
    "Bispebjerg",
]


@pytest.fixture
def city():
    areas = [f.area(name) for name in AREAS]
    stations = [
        f.station(
            areas[i % len(areas)], name=f"{['Skolen', 'Hallen', 'Biblioteket'][i % 3]} {i + 1}"
        )
        for i in range(50)
    ]
    roles = [f.role("Valgstyrer", short_name="VS"), f.role("Tilforordnet", short_name="TF")]
    f.election(name="Europa-Parlamentsvalg 2024", days_ahead=-900, status=Election.Status.ARCHIVED)
    return stations, roles


def seats(election: Election, stations, roles) -> None:
    """The seat grid (built on its own page, not under test here)."""
    for station in stations[:12]:
        f.shift(election, station_=station, role_=roles[0], capacity=1, start=7, end=21)
        f.shift(election, station_=station, role_=roles[1], capacity=6, start=8, end=23)


def test_create_activate_copy_and_reinvite(open_page, screenshot, city, sign_in):
    stations, roles = city
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    page = open_page(DESKTOP, "en-GB")
    audit = Audit(screenshot, "elections")
    sign_in(page)
    day = timezone.localdate() + timedelta(days=45)

    # From the list: New election. A missing name is a field error, nothing is made.
    page.goto("/elections/")
    audit.check(page, "list")
    page.get_by_role("link", name="New election").click()
    expect(page.locator("h1")).to_have_text("New election")
    page.get_by_label("Kind").select_option(label="Parliamentary election")
    page.get_by_label("Election day").fill(day.isoformat())
    page.get_by_label("Days to answer").fill("0")
    page.get_by_role("button", name="Create election").click()
    expect(page.locator("#id_name_error")).to_contain_text("required")
    expect(page.locator("#id_response_days_error")).to_be_visible()
    audit.check(page, "form-errors")
    page.get_by_label("Name", exact=True).fill("Folketingsvalg 2027")
    page.get_by_label("Days to answer").fill("7")
    page.get_by_label("Valby").uncheck()
    audit.check(page, "form")
    page.get_by_role("button", name="Create election").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "“Folketingsvalg 2027” was created as a draft."
    )
    expect(page.locator("h1")).to_have_text("Folketingsvalg 2027")
    election = Election.objects.get(name="Folketingsvalg 2027")
    assert election.status == "draft"
    assert sorted(election.areas.values_list("name", flat=True)) == sorted(set(AREAS) - {"Valby"})
    seats(election, stations, roles)

    # The draft's header: status, Activate, Edit, Copy, Delete.
    page.reload()
    expect(page.locator(".pc-lead .badge")).to_have_text("Draft")
    audit.check(page, "board-draft")
    page.get_by_role("group", name="What you can do with this election").get_by_role(
        "link", name="Activate"
    ).click()
    expect(page.locator("h1")).to_have_text("Activate “Folketingsvalg 2027”?")
    expect(page.locator("main")).to_contain_text("volunteers can be invited")
    audit.check(page, "status-confirm")
    page.locator("main").get_by_role("button", name="Activate").click()
    expect(page.locator(".alert-success")).to_contain_text("“Folketingsvalg 2027” is active")
    expect(page.locator(".pc-lead .badge")).to_have_text("Active")
    election.refresh_from_db()
    assert election.status == "active"

    # Someone accepts a seat (by their link; not under test here).
    shift = election.shifts.filter(role=roles[1]).order_by("pk").first()
    karen = f.volunteer(first_name="Karen", last_name="Sørensen")
    services.accept(services.invite(shift, [karen], by=None).invited[0])

    # Closing says what it cancels.
    page.get_by_role("link", name="Close").click()
    expect(page.locator("main")).to_contain_text("No more messages go out")
    audit.check(page, "close-confirm")
    page.get_by_role("link", name="Cancel").click()

    # Copy to a year later.
    page.get_by_role("link", name="Copy").click()
    expect(page.locator("main")).to_contain_text("24 shifts with 84 seats")
    audit.check(page, "copy")
    new_day = day + timedelta(days=364)
    page.get_by_label("Name of the new election").fill("Folketingsvalg 2028")
    page.get_by_label("Election day").fill(new_day.isoformat())
    page.get_by_role("button", name="Copy the election").click()
    expect(page.locator(".alert-success")).to_contain_text("with 24 shifts (84 seats)")
    expect(page.locator("h1")).to_have_text("Folketingsvalg 2028")
    copy = Election.objects.get(name="Folketingsvalg 2028")
    assert copy.copied_from == election and copy.shifts.count() == 24
    assert not Assignment.objects.filter(shift__election=copy).exists()
    audit.check(page, "board-copy")

    # Invite the previous volunteers: in a draft the page says to activate first.
    page.get_by_role("link", name="Invite previous volunteers").click()
    expect(page.locator(".alert-warning")).to_contain_text("this one is a draft")
    audit.check(page, "reinvite-draft")
    page.locator(".alert-warning").get_by_role("link", name="Activate it").click()
    page.locator("main").get_by_role("button", name="Activate").click()
    page.get_by_role("link", name="Invite previous volunteers").click()
    page.get_by_role("button", name="Invite them").click()
    # A background job (eager here): its page shows the run done, and the result.
    expect(page.locator("#progress-heading")).to_have_text("Done")
    expect(page.locator("main")).to_contain_text("1 invitation sent")
    audit.check(page, "reinvite-result")
    (invited,) = Assignment.objects.filter(shift__election=copy)
    assert invited.volunteer == karen and invited.shift.station == shift.station
    audit.done()


def test_the_danish_pages_pass_too(open_page, screenshot, city, sign_in):
    stations, roles = city
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    draft = f.election(name="Kommunalvalg 2029", status=Election.Status.DRAFT)
    seats(draft, stations, roles)
    page = open_page(DESKTOP, "da-DK")
    audit = Audit(screenshot, "elections-da")
    sign_in(page)
    for path, name in [
        ("/elections/new/", "form"),
        (f"/elections/{draft.pk}/", "board-draft"),
        (f"/elections/{draft.pk}/edit/", "edit"),
        (f"/elections/{draft.pk}/status/active/", "status-confirm"),
        (f"/elections/{draft.pk}/copy/", "copy"),
        (f"/elections/{draft.pk}/delete/", "delete"),
    ]:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "da")
        audit.check(page, name)
    audit.done()
