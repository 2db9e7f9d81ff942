"""A coordinator builds an election from nothing, in the browser only: creates it
from the election list, adds an area, a polling station in it and a role on the
setup pages, gives the election its area, types the seats into the seat grid,
activates it, invites a volunteer from the station's page, sees the board change
once the volunteer accepts through their personal link, and copies the election
to a new date (the copy's seat grid has the same seats, re-dated).

Nothing is made behind the browser's back except the staff user and the
volunteers. Every page on the way is screenshotted (var/screenshots/build-*.png)
and passes axe's WCAG 2.1 AA checks; a second test looks at the busiest pages at
city scale (50 stations, 5 roles, a few hundred volunteers)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from bench import datagen
from elections.models import Election, Shift
from notifications.models import Message
from staffing.fill import fills_by
from staffing.models import Assignment
from tests import factories as f
from tests.e2e.axe import DESKTOP, PHONE, axe_violations, report
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Journey:
    """Numbered checkpoints: each one a screenshot (build-NN-name.png) and an axe
    run; ``done()`` fails with every page's violations at once."""

    def __init__(self, screenshot: Callable[[Page, str], Path], prefix: str) -> None:
        self.screenshot = screenshot
        self.prefix = prefix
        self.n = 0
        self.found: dict[str, list[dict]] = {}

    def check(self, page: Page, name: str) -> None:
        self.n += 1
        label = f"{self.prefix}-{self.n:02d}-{name}"
        self.screenshot(page, label)
        violations = axe_violations(page)
        if violations:
            self.found[f"{label} ({page.url})"] = violations

    def done(self) -> None:
        if self.found:
            pytest.fail(
                "axe-core found WCAG 2.1 AA violations:\n"
                + "\n".join(f"{name}:\n{report(v)}" for name, v in self.found.items())
            )


def personal_link(mailoutbox, address: str) -> str:
    """The path of the personal link in the invitation email the volunteer got (the
    outbox row keeps the body with its token redacted once sent)."""
    (mail,) = [m for m in mailoutbox if address in m.to]
    match = re.search(r"/v/[A-Za-z0-9_\-]+/", mail.body)
    assert match, mail.body
    return match.group(0)


def test_build_an_election_from_nothing(open_page, screenshot, mailoutbox, sign_in):
    """The whole job in the browser: create, set up, size, activate, invite, answer, copy."""
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    karen = f.volunteer(
        first_name="Karen", last_name="Østergaard", email="karen@example.dk", language="da"
    )
    f.volunteer(first_name="Bo", last_name="Jensen")
    page = open_page(DESKTOP, "en-GB")
    journey = Journey(screenshot, "build")
    day = timezone.localdate() + timedelta(days=40)
    page.goto("/accounts/login/")
    journey.check(page, "login")
    sign_in(page, path=None)
    expect(page.get_by_role("heading", name="Elections")).to_be_visible()

    # 1. The election list, empty: "New election".
    expect(page.get_by_text("No elections yet.")).to_be_visible()
    journey.check(page, "election-list-empty")
    page.get_by_role("link", name="New election").click()
    expect(page.get_by_role("heading", name="New election")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Folketingsvalg 2027")
    page.get_by_label("Kind").select_option(label="Parliamentary election")
    page.get_by_label("Election day").fill(day.isoformat())
    page.get_by_label("Days to answer").fill("7")
    journey.check(page, "election-form")
    page.get_by_role("button", name="Create election").click()

    # 2. The draft's board says what to do next.
    expect(page.locator(".alert-success")).to_contain_text(
        "“Folketingsvalg 2027” was created as a draft."
    )
    expect(page.get_by_role("heading", name="Folketingsvalg 2027", level=1)).to_be_visible()
    next_steps = page.get_by_role("region", name="Next steps")
    expect(next_steps).to_be_visible()
    expect(next_steps.locator("ol > li")).to_have_count(3)
    election = Election.objects.get(name="Folketingsvalg 2027")
    assert election.status == Election.Status.DRAFT
    journey.check(page, "board-draft-next-steps")

    # 3. Stations and roles: an area, a polling station in it, a role.
    next_steps.get_by_role("link", name="Areas and polling stations").click()
    expect(page.get_by_role("heading", name="Polling stations", level=1)).to_be_visible()
    journey.check(page, "setup-stations-empty")
    page.locator(".pc-setupnav").get_by_role("link", name="Areas").click()
    page.get_by_role("link", name="Add an area").click()
    page.get_by_label("Name").fill("Amager Øst")
    journey.check(page, "setup-area-form")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("“Amager Øst” is saved.")
    journey.check(page, "setup-areas")

    page.locator(".pc-setupnav").get_by_role("link", name="Polling stations").click()
    page.get_by_role("link", name="Add a polling station").click()
    page.get_by_label("Area").select_option(label="Amager Øst")
    page.get_by_label("Name").fill("Sundbyøster Skole")
    page.get_by_label("Address").fill("Sundholmsvej 10")
    page.get_by_label("Postal code").fill("2300")
    page.get_by_label("Town or city").fill("København S")
    journey.check(page, "setup-station-form")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("“Sundbyøster Skole” is saved.")
    expect(page.get_by_role("link", name="Sundbyøster Skole", exact=True)).to_be_visible()
    journey.check(page, "setup-stations")

    page.locator(".pc-setupnav").get_by_role("link", name="Roles").click()
    page.get_by_role("link", name="Add a role").click()
    page.get_by_label("Name", exact=True).fill("Tilforordnet")
    page.get_by_label("Short name").fill("TF")
    page.get_by_label("Default start").fill("08:00")
    page.get_by_label("Default end").fill("20:00")
    journey.check(page, "setup-role-form")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("“Tilforordnet” is saved.")
    expect(page.locator("tr", has_text="Tilforordnet")).to_contain_text("08:00\u201320:00")
    journey.check(page, "setup-roles")

    # 4. The election's areas: the new area was made after the election, so tick it.
    page.locator(".pc-nav").get_by_role("link", name="Elections").click()
    page.get_by_role("link", name="Folketingsvalg 2027").click()
    page.get_by_role("group", name="What you can do with this election").get_by_role(
        "link", name="Edit"
    ).click()
    areas = page.get_by_label("Amager Øst")
    if not areas.is_checked():
        areas.check()
    journey.check(page, "election-edit")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Folketingsvalg 2027", level=1)).to_be_visible()
    assert list(election.areas.values_list("name", flat=True)) == ["Amager Øst"]
    # The station is on the board with no seats yet, and a way to the seat grid.
    row = page.locator("tr", has_text="Sundbyøster Skole")
    expect(row).to_contain_text("No seats yet")
    journey.check(page, "board-station-without-seats")

    # 5. The seat grid: type the seats with the keyboard, save.
    row.get_by_role("link", name="Add seats in the seat grid").click()
    expect(page.get_by_role("heading", name="Seat grid · Folketingsvalg 2027")).to_be_visible()
    expect(page.get_by_text("08:00\u201320:00")).to_be_visible()
    cell = page.get_by_role("textbox", name=re.compile(r"^Sundbyøster Skole Tilforordnet"))
    cell.click()
    page.keyboard.type("4")
    expect(page.locator("tfoot [data-grand-total]")).to_have_text("4")
    journey.check(page, "grid-typed")
    page.get_by_role("button", name="Save seats").click()
    expect(page.get_by_text("Saved:")).to_be_visible()
    expect(cell).to_have_value("4")
    journey.check(page, "grid-saved")
    (shift,) = Shift.objects.filter(election=election)
    assert shift.capacity == 4
    assert timezone.localtime(shift.starts_at).date() == day

    # 6. The board shows the station with its seats; the dashboard replaces the next steps.
    page.get_by_role("navigation", name="You are here").get_by_role(
        "link", name="Folketingsvalg 2027"
    ).click()
    row = page.locator("tr", has_text="Sundbyøster Skole")
    expect(row.get_by_role("link", name="Sundbyøster Skole")).to_be_visible()
    expect(row.locator("td.num").first).to_have_text("4")
    journey.check(page, "board-with-seats")

    # 7. Activate, through the confirmation page.
    page.get_by_role("group", name="What you can do with this election").get_by_role(
        "link", name="Activate"
    ).click()
    expect(page.get_by_role("heading", name="Activate “Folketingsvalg 2027”?")).to_be_visible()
    journey.check(page, "activate-confirm")
    page.locator("main").get_by_role("button", name="Activate").click()
    expect(page.locator(".alert-success")).to_contain_text("“Folketingsvalg 2027” is active")
    election.refresh_from_db()
    assert election.status == Election.Status.ACTIVE
    journey.check(page, "board-active")

    # 8. From the station's page, invite Karen.
    page.get_by_role("link", name="Sundbyøster Skole").click()
    expect(page.get_by_role("heading", name="Sundbyøster Skole", level=1)).to_be_visible()
    journey.check(page, "station")
    page.get_by_role("link", name="Invite volunteers").click()
    page.get_by_label("Find volunteers").fill("øster")  # htmx search as you type
    expect(page.get_by_text("Karen Østergaard")).to_be_visible()
    page.get_by_label("Karen Østergaard").check()
    journey.check(page, "invite")
    page.get_by_role("button", name="Invite the chosen volunteers").click()
    expect(page.get_by_text("1 volunteer invited.")).to_be_visible()
    journey.check(page, "invited")
    (seat,) = Assignment.objects.filter(shift=shift)
    assert (seat.volunteer, seat.status) == (karen, "invited")

    # 9. Karen accepts through the link in her invitation, on her phone.
    phone = open_page(PHONE, "da-DK")
    assert Message.objects.get(to=karen.email, kind="invitation").status == "sent"
    phone.goto(personal_link(mailoutbox, karen.email))
    expect(phone.locator("h1")).to_contain_text("Karen")
    journey.check(phone, "volunteer-invited")
    phone.get_by_role("button", name="Acceptér").tap()
    expect(phone.locator(".alert-success")).to_be_visible()
    journey.check(phone, "volunteer-accepted")
    seat.refresh_from_db()
    assert seat.status == "accepted"

    # 10. The board (and its overview) shows one accepted seat of four.
    page.get_by_role("navigation", name="You are here").get_by_role(
        "link", name="Folketingsvalg 2027"
    ).click()
    row = page.locator("tr", has_text="Sundbyøster Skole")
    expect(row.locator("td.num")).to_have_text(["4", "0", "1", "3"])
    dashboard = page.locator("section.pc-dash")
    if dashboard.count():
        expect(dashboard).to_contain_text("1 of 4 seats accepted")
    journey.check(page, "board-after-answer")

    # 11. Copy it to a new date; the copy's seat grid has the same seats, re-dated.
    new_day = day + timedelta(days=364)
    page.get_by_role("group", name="What you can do with this election").get_by_role(
        "link", name="Copy"
    ).click()
    expect(page.locator("main")).to_contain_text("1 shift with 4 seats")
    page.get_by_label("Name of the new election").fill("Folketingsvalg 2028")
    page.get_by_label("Election day").fill(new_day.isoformat())
    journey.check(page, "copy-form")
    page.get_by_role("button", name="Copy the election").click()
    expect(page.get_by_role("heading", name="Folketingsvalg 2028", level=1)).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text("(4 seats)")
    journey.check(page, "board-copy")
    copy = Election.objects.get(name="Folketingsvalg 2028")
    assert copy.copied_from == election and copy.status == Election.Status.DRAFT

    page.get_by_role("group", name="What you can do with this election").get_by_role(
        "link", name="Seat grid"
    ).click()
    expect(page.get_by_role("heading", name="Seat grid · Folketingsvalg 2028")).to_be_visible()
    with translation.override("en"):
        shown_day = date_format(new_day, "l j F Y")
    expect(page.locator(".pc-lead").first).to_contain_text(shown_day)
    expect(
        page.get_by_role("textbox", name=re.compile(r"^Sundbyøster Skole Tilforordnet"))
    ).to_have_value("4")
    journey.check(page, "grid-copy")
    (copied,) = Shift.objects.filter(election=copy)
    assert copied.capacity == 4 and copied.station == shift.station
    assert timezone.localtime(copied.starts_at).date() == new_day
    assert timezone.localtime(copied.starts_at).time() == timezone.localtime(shift.starts_at).time()
    assert not Assignment.objects.filter(shift__election=copy).exists()
    journey.done()


# --- the same pages at city scale --------------------------------------------------------


@pytest.fixture
def city() -> Election:
    """Copenhagen's 50 stations in 10 areas and the five roles (bench.datagen), with
    a few hundred volunteers rather than the full 6,000."""
    scale = dataclasses.replace(datagen.SCALES["city"], volunteers=600)
    return datagen.generate(
        scale, election_date=timezone.localdate() + timedelta(days=30), analyze=False
    ).election


@pytest.mark.parametrize("locale", ["en-GB", "da-DK"])
def test_the_pages_at_city_scale(open_page, screenshot, city, locale, sign_in):
    e = city
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    language = locale[:2]
    page = open_page(DESKTOP, locale)
    journey = Journey(screenshot, f"build-city-{language}")
    sign_in(page)

    page.goto(f"/elections/{e.pk}/")
    expect(page.locator("section.pc-dash")).to_be_visible()
    journey.check(page, "board")

    page.goto(f"/elections/{e.pk}/grid/")
    expect(page.locator("table.pc-grid")).to_be_visible()
    journey.check(page, "grid")

    page.goto("/setup/stations/")
    expect(page.get_by_role("status")).to_contain_text("50")
    journey.check(page, "setup-stations")

    page.goto("/volunteers/")
    expect(page.locator("table.pc-vol-table tbody tr")).to_have_count(50)
    journey.check(page, "volunteers")
    held = (
        Assignment.objects.filter(shift__election=e, status="accepted")
        .select_related("shift")
        .order_by("pk")
        .first()
    )
    page.goto(f"/volunteers/{held.volunteer_id}/")
    journey.check(page, "volunteer")

    # The station of that seat, and an invite to one of its shifts with room.
    station_id = held.shift.station_id
    page.goto(f"/elections/{e.pk}/stations/{station_id}/")
    journey.check(page, "station")
    shifts = Shift.objects.filter(election=e, station_id=station_id, team__isnull=True)
    fills = fills_by(shifts)
    shift = min(
        (s for s in shifts if fills[s.pk].vacant),
        key=lambda s: (s.starts_at, s.pk),
        default=shifts.first(),
    )
    page.goto(f"/elections/{e.pk}/shifts/{shift.pk}/invite/?q=jensen")
    journey.check(page, "invite")
    page.goto(f"/elections/{e.pk}/invite/?station={station_id}")
    journey.check(page, "invite-many")
    journey.done()
