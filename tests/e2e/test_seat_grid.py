"""The seat grid in a real browser, at city scale (50 stations in 10 areas, 5
roles): typing numbers with the keyboard, arrow keys, pasting a column copied
from a spreadsheet, totals updating as you type, saving; a cell's details; the
confirmation when people would lose their seats. axe checks each page."""

from __future__ import annotations

from datetime import time

import pytest
from playwright.sync_api import Page, expect

from elections.models import Shift
from staffing import grid, services
from tests import factories as f
from tests.e2e.axe import axe_violations, report
from tests.e2e.conftest import PASSWORD, paste_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROLES = [
    ("Valgstyrer", time(7, 30), time(20)),
    ("Valgsekretær", time(7), time(20)),
    ("Tilforordnet", time(7, 30), time(20)),
    ("Fintæller", time(20), time(1)),
    ("Brevstemmemodtager", time(10), time(16)),
]
AREAS = ["Amager", "Bispebjerg", "Brønshøj", "Indre By", "Nørrebro"]
AREAS += ["Østerbro", "Valby", "Vanløse", "Vesterbro", "Ørestad"]


def city():
    """An election with 50 stations in 10 areas and five roles; most cells have
    seats, a few are reserved for a party or have other times."""
    e = f.election(name="Kommunalvalg 2027")
    roles = [
        f.role(name, default_start=start, default_end=end, sort_order=i)
        for i, (name, start, end) in enumerate(ROLES)
    ]
    party = f.team("Venstre")
    shifts = []
    first = None
    for a, area_name in enumerate(AREAS):
        area = f.area(area_name)
        e.areas.add(area)
        for s in range(5):
            station = f.station(area, name=f"{area_name} Skole {s + 1}")
            first = first or station
            for r, role in enumerate(roles):
                if (a + s + r) % 7 == 0:
                    continue  # no seats yet
                starts_at, ends_at = grid.role_times(role, e.election_date)
                shifts.append(
                    Shift(
                        election=e,
                        station=station,
                        role=role,
                        team=party if (a + s) % 9 == 0 and r == 0 else None,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        capacity=1 + (a + s + r) % 4,
                    )
                )
    Shift.objects.bulk_create(shifts)
    return e, roles, first


def cell(page: Page, station, role):
    return page.locator(f'input[name^="c{station.pk}.{role.pk}."]')


def test_type_move_paste_and_save_the_grid(desktop, screenshot, sign_in):
    e, roles, _first = city()
    chair, clerk = roles[0], roles[2]
    stations = list(e.areas.get(name="Amager").stations.order_by("name"))  # Amager Skole 1..5
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    sign_in(desktop)
    desktop.goto(f"/elections/{e.pk}/grid/")
    expect(desktop.get_by_role("heading", name="Seat grid · Kommunalvalg 2027")).to_be_visible()
    expect(desktop.get_by_text("20:00\u201301:00 (+1 day)")).to_be_visible()
    screenshot(desktop, "seat-grid-city")
    violations = axe_violations(desktop)
    assert not violations, report(violations)

    totals = desktop.locator("tfoot [data-col-total]")
    grand = desktop.locator("tfoot [data-grand-total]")
    before_chairs = int(totals.nth(0).inner_text())
    before_all = int(grand.inner_text())

    # Type into the first cell, then move right and down with the arrow keys.
    start = cell(desktop, stations[0], chair)
    start.click()
    old_first = int(start.input_value() or 0)
    desktop.keyboard.type("7")  # the content is selected on focus: replaced
    expect(totals.nth(0)).to_have_text(str(before_chairs - old_first + 7))
    row_total = desktop.locator(f"#s{stations[0].pk} ~ td[data-row-total]")
    desktop.keyboard.press("ArrowRight")
    expect(cell(desktop, stations[0], roles[1])).to_be_focused()
    desktop.keyboard.press("ArrowLeft")
    desktop.keyboard.press("ArrowDown")
    expect(cell(desktop, stations[1], chair)).to_be_focused()
    desktop.keyboard.press("ArrowUp")
    expect(start).to_be_focused()

    # Paste a column copied from a spreadsheet into the clerks, from station 2 down.
    target = cell(desktop, stations[1], clerk)
    target.focus()
    old = [int(cell(desktop, s, clerk).input_value() or 0) for s in stations[1:4]]
    clerk_before = int(totals.nth(2).inner_text())
    paste_text(desktop, f'input[name^="c{stations[1].pk}.{clerk.pk}."]', "4\n5\n6\n")
    expect(cell(desktop, stations[1], clerk)).to_have_value("4")
    expect(cell(desktop, stations[2], clerk)).to_have_value("5")
    expect(cell(desktop, stations[3], clerk)).to_have_value("6")
    expect(totals.nth(2)).to_have_text(str(clerk_before - sum(old) + 15))
    expect(grand).to_have_text(str(before_all - old_first + 7 - sum(old) + 15))
    expect(row_total).to_be_visible()
    expect(desktop.locator("[data-grid-status]")).to_contain_text("Cells changed, not saved yet")
    screenshot(desktop, "seat-grid-typed")

    desktop.get_by_role("button", name="Save seats").click()
    expect(desktop.get_by_text("Saved:")).to_be_visible()
    capacity = lambda s, r: sum(  # noqa: E731
        Shift.objects.filter(election=e, station=s, role=r).values_list("capacity", flat=True)
    )
    assert capacity(stations[0], chair) == 7
    assert [capacity(s, clerk) for s in stations[1:4]] == [4, 5, 6]
    expect(cell(desktop, stations[2], clerk)).to_have_value("5")


def test_bad_input_then_people_losing_seats_then_a_cells_details(desktop, screenshot, sign_in):
    e, roles, first = city()
    clerk = roles[2]
    shift = Shift.objects.filter(election=e, station=first, role=clerk).first()
    if shift is None:
        shift = f.shift(e, station_=first, role_=clerk, capacity=2)
    held = services.invite(
        shift, [f.volunteer(first_name="Søren", last_name="Kierkegaard")], by=None
    ).invited
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    sign_in(desktop)
    desktop.goto(f"/elections/{e.pk}/grid/")

    box = cell(desktop, first, clerk)
    box.fill("abc")
    desktop.get_by_role("button", name="Save seats").click()
    expect(desktop.get_by_text("Nothing was saved. These cells need attention:")).to_be_visible()
    expect(cell(desktop, first, clerk)).to_have_value("abc")  # nothing lost
    screenshot(desktop, "seat-grid-errors")
    violations = axe_violations(desktop)
    assert not violations, report(violations)

    cell(desktop, first, clerk).fill("0")
    desktop.get_by_role("button", name="Save seats").click()
    expect(desktop.get_by_role("heading", name="Confirm the seats")).to_be_visible()
    expect(desktop.get_by_text("Søren Kierkegaard", exact=True)).to_be_visible()
    screenshot(desktop, "seat-grid-confirm")
    violations = axe_violations(desktop)
    assert not violations, report(violations)
    desktop.get_by_role("button", name="Save and tell them").click()
    expect(desktop.get_by_text("Saved:")).to_be_visible()
    assert not Shift.objects.filter(pk=shift.pk).exists()
    assert held[0].volunteer.full_name == "Søren Kierkegaard"

    # A cell's details: two seats reserved for a party, overnight.
    desktop.goto(f"/elections/{e.pk}/grid/{first.pk}/{clerk.pk}/")
    expect(desktop.get_by_role("heading", name=f"{first.name} · Tilforordnet")).to_be_visible()
    new = desktop.locator("fieldset").first
    new.get_by_label("Seats").fill("2")
    new.get_by_label("Starts").fill("21:00")
    new.get_by_label("Ends").fill("02:00")
    new.get_by_label("Reserved for").select_option(label="Venstre")
    screenshot(desktop, "seat-grid-cell")
    violations = axe_violations(desktop)
    assert not violations, report(violations)
    desktop.get_by_role("button", name="Save").click()
    expect(desktop.get_by_text("Saved:")).to_be_visible()
    (made,) = Shift.objects.filter(election=e, station=first, role=clerk)
    assert made.team.name == "Venstre"
    assert made.capacity == 2
