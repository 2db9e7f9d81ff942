"""The seat grid of a national election in a real browser: 1,400 stations in 92
areas by 5 roles on one page. Typing a number updates its row, its column and
the grand total; the arrow keys cross from one area to the next; a column pasted
from a spreadsheet fills down; an area is one click away; saving posts only the
cells changed. (The same markup at city scale passes axe: test_seat_grid.py.)"""

from __future__ import annotations

from datetime import time

import pytest
from playwright.sync_api import Page, expect

from elections.models import Election, Shift
from polling_stations.models import Area, PollingStation
from staffing import grid
from tests import factories as f
from tests.e2e.conftest import SCREENSHOTS, paste_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROLES = [
    ("Valgstyrer", time(7, 30), time(20)),
    ("Valgsekretær", time(7), time(20)),
    ("Tilforordnet", time(7, 30), time(20)),
    ("Fintæller", time(20), time(1)),
    ("Brevstemmemodtager", time(10), time(16)),
]
AREAS, STATIONS = 92, 1400


def national() -> tuple[Election, list, list[PollingStation]]:
    """1,400 stations in 92 areas, every cell but a few with seats; a split day
    (two shifts) at every seventh station's poll clerks."""
    e = f.election(name="Folketingsvalg 2027")
    roles = [
        f.role(name, default_start=start, default_end=end, sort_order=i)
        for i, (name, start, end) in enumerate(ROLES)
    ]
    areas = Area.objects.bulk_create(
        [Area(name=f"Kreds {a + 1:02d}", sort_order=a) for a in range(AREAS)]
    )
    e.areas.add(*areas)
    stations = PollingStation.objects.bulk_create(
        [
            PollingStation(
                area=areas[i * AREAS // STATIONS],
                name=f"Skole {i + 1:04d}",
                sort_order=i,
                address="Skolevej 1",
            )
            for i in range(STATIONS)
        ]
    )
    shifts = []
    for i, station in enumerate(stations):
        for r, role in enumerate(roles):
            if (i + r) % 11 == 0:
                continue  # no seats yet
            starts_at, ends_at = grid.role_times(role, e.election_date)
            if r == 2 and i % 7 == 0:
                middle = starts_at.replace(hour=14, minute=0)
                shifts += [
                    Shift(
                        election=e,
                        station=station,
                        role=role,
                        starts_at=starts_at,
                        ends_at=middle,
                        capacity=2,
                    ),
                    Shift(
                        election=e,
                        station=station,
                        role=role,
                        starts_at=middle,
                        ends_at=ends_at,
                        capacity=2,
                    ),
                ]
                continue
            shifts.append(
                Shift(
                    election=e,
                    station=station,
                    role=role,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    capacity=1 + (i + r) % 4,
                )
            )
    Shift.objects.bulk_create(shifts, batch_size=2000)
    return e, roles, stations


def log_in(page: Page) -> None:
    f.user("koordinator@kommune.dk", coordinator=True, password="et-langt-kodeord")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("koordinator@kommune.dk")
    page.get_by_label("Password").fill("et-langt-kodeord")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Elections")).to_be_visible()


def cell(page: Page, station: PollingStation, role) -> object:
    return page.locator(f'input[data-c^="{station.pk}.{role.pk}."]')


def number(page: Page, selector: str) -> int:
    return int(page.locator(selector).inner_text())


def test_the_national_grid_on_one_page(desktop: Page) -> None:
    e, roles, stations = national()
    chair, clerk, counter = roles[0], roles[2], roles[3]
    log_in(desktop)
    desktop.goto(f"/elections/{e.pk}/grid/")
    expect(desktop.get_by_role("heading", name="Seat grid · Folketingsvalg 2027")).to_be_visible()
    expect(desktop.locator("tbody th[scope=row]")).to_have_count(STATIONS)
    expect(desktop.locator("tbody tr.pc-grid__area")).to_have_count(AREAS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # What is on the screen (the whole page is 1,400 rows tall).
    desktop.screenshot(path=str(SCREENSHOTS / "seat-grid-national.png"))
    # A split day (two shifts) is a link to the cell's details, not a number to type.
    split = desktop.locator(f"#s{stations[7].pk} ~ td.pc-grid__multi a")
    expect(split).to_have_text("4")
    assert f"/grid/{stations[7].pk}/{clerk.pk}/" in split.get_attribute("href")

    totals = "tfoot [data-col-total]"
    grand = number(desktop, "tfoot [data-grand-total]")
    chairs = number(desktop, f"{totals} >> nth=0")
    assert grand == sum(Shift.objects.filter(election=e).values_list("capacity", flat=True))

    # An area near the end, one click away.
    last_area = Area.objects.get(name=f"Kreds {AREAS:02d}")
    desktop.get_by_text("Go to an area").click()
    desktop.get_by_role("navigation", name="Areas on this grid").get_by_role(
        "link", name=last_area.name
    ).click()
    expect(desktop.locator(f"#a{last_area.pk}")).to_be_in_viewport()

    # Type into a chair's cell far down the grid: its row, column and the
    # grand total follow at once.
    far = stations[1390]
    box = cell(desktop, far, chair)
    was = int(box.input_value() or 0)
    row_total = desktop.locator(f"#s{far.pk} ~ td[data-row-total]")
    row_before = int(row_total.inner_text())
    box.click()
    desktop.keyboard.type("9")  # the content is selected on focus: replaced
    expect(row_total).to_have_text(str(row_before - was + 9))
    expect(desktop.locator(totals).nth(0)).to_have_text(str(chairs - was + 9))
    expect(desktop.locator("tfoot [data-grand-total]")).to_have_text(str(grand - was + 9))
    expect(desktop.locator("[data-grid-status]")).to_have_text("Cells changed, not saved yet: 1")
    desktop.keyboard.press("Backspace")  # blank: no seats
    expect(desktop.locator(totals).nth(0)).to_have_text(str(chairs - was))
    desktop.keyboard.type(str(was or 9))
    changed_far = was or 9

    # The arrow keys cross from the last station of an area to the next area.
    boundary = next(i for i in range(1, STATIONS) if stations[i].area_id != stations[i - 1].area_id)
    above, below = stations[boundary - 1], stations[boundary]
    cell(desktop, above, counter).click()
    desktop.keyboard.press("ArrowDown")
    expect(cell(desktop, below, counter)).to_be_focused()

    # A column copied from a spreadsheet, pasted into the counters from there.
    counters_before = number(desktop, f"{totals} >> nth=3")
    olds = [int(cell(desktop, s, counter).input_value() or 0) for s in stations[boundary:][:3]]
    paste_text(desktop, f'input[data-c^="{below.pk}.{counter.pk}."]', "4\n5\n6\n")
    expect(desktop.locator(totals).nth(3)).to_have_text(str(counters_before - sum(olds) + 15))
    desktop.screenshot(path=str(SCREENSHOTS / "seat-grid-national-typed.png"))

    desktop.get_by_role("button", name="Save seats").click()
    expect(desktop.get_by_text("Saved:")).to_be_visible()
    seats = lambda s, r: sum(  # noqa: E731
        Shift.objects.filter(election=e, station=s, role=r).values_list("capacity", flat=True)
    )
    assert [seats(s, counter) for s in stations[boundary:][:3]] == [4, 5, 6]
    assert seats(far, chair) == changed_far
    expect(desktop.locator("tbody th[scope=row]")).to_have_count(STATIONS)
