"""A coordinator sets up a city's reference data in the browser: adds an area, a
polling station in it and an overnight role, moves the station, searches with
Danish folding, and is refused a delete of a station in use with where it is
used. Every list and form is screenshotted at city scale (50 stations) and
passes axe's WCAG 2.1 AA checks."""

from __future__ import annotations

from datetime import time

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEntry
from elections.models import Role
from polling_stations.models import PollingStation
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
STREETS = ["Skolegade", "Åboulevard", "Ærøgade", "Søndre Fasanvej", "Kirkevej", "Hallvej"]


@pytest.fixture
def city():
    """Copenhagen-sized: 8 areas, 50 stations, 4 roles, an election with seats."""
    areas = [f.area(name) for name in AREAS]
    stations = []
    for i in range(50):
        stations.append(
            f.station(
                areas[i % len(areas)],
                name=f"{['Skolen', 'Hallen', 'Kulturhuset', 'Biblioteket'][i % 4]} {i + 1}",
                address=f"{STREETS[i % len(STREETS)]} {i + 1}",
                postal_code=str(2100 + i % 8 * 100),
                city="København",
                accessibility="Trinfri adgang, handicaptoilet" if i % 3 else "",
                manager_contact=f"Valgstyrer {i + 1}, 20 12 34 {i:02d}" if i % 2 else "",
            )
        )
    roles = [
        f.role("Valgstyrer", short_name="VS", pay=1200),
        f.role("Tilforordnet", short_name="TF", pay=800),
        f.role("Fintæller", short_name="FT", default_start=time(9)),
        f.role("Brevstemmemodtager", short_name="BM", invite_only=True),
    ]
    e = f.election(name="Folketingsvalg 2027")
    f.shift(e, station_=stations[0], role_=roles[1], capacity=6)
    f.shift(e, station_=stations[0], role_=roles[0], capacity=2)
    return stations


def test_set_up_an_area_a_station_and_a_role(open_page, screenshot, city, sign_in):
    coordinator = f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    page = open_page(DESKTOP, "en-GB")
    audit = Audit(screenshot, "setup")
    sign_in(page)

    # From the menu to the station list: 50 stations by area, 50 a page.
    page.get_by_role("link", name="Stations and roles").click()
    expect(page.locator("h1")).to_have_text("Polling stations")
    expect(page.get_by_role("status")).to_contain_text("50 polling stations")
    audit.check(page, "stations")

    # An area.
    page.locator(".pc-setupnav").get_by_role("link", name="Areas").click()
    audit.check(page, "areas")
    page.get_by_role("link", name="Add an area").click()
    audit.check(page, "area-form")
    page.get_by_label("Name").fill("Amager Øst")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("“Amager Øst” is saved.")
    expect(page.get_by_role("link", name="Amager Øst", exact=True)).to_be_visible()

    # A station in it; a duplicate name first, refused on the field.
    page.locator(".pc-setupnav").get_by_role("link", name="Polling stations").click()
    page.get_by_role("link", name="Add a polling station").click()
    page.get_by_label("Area").select_option(label="Indre By")
    page.get_by_label("Name").fill("Skolen 1")
    page.get_by_label("Address").fill("Sundholmsvej 10")
    page.get_by_label("Postal code").fill("2300")
    page.get_by_label("Town or city").fill("København S")
    page.get_by_label("Accessibility").fill("Elevator til 1. sal")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_name_error")).to_contain_text("already")
    audit.check(page, "station-form-error")
    page.get_by_label("Area").select_option(label="Amager Øst")
    page.get_by_label("Name").fill("Sundbyøster Skole")
    page.get_by_label("Station manager contact").fill("Hanne Holm, 20 11 22 33")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("“Sundbyøster Skole” is saved.")
    expect(page.get_by_role("link", name="Sundbyøster Skole", exact=True)).to_be_visible()
    station = PollingStation.objects.get(name="Sundbyøster Skole")
    assert (station.area.name, station.city) == ("Amager Øst", "København S")

    # Search with Danish folding: "sundbyoster" finds Sundbyøster; "aaboulevard" finds Åboulevard.
    page.goto("/setup/stations/")
    page.get_by_label("Search stations").fill("sundbyoster")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#setup-list tbody tr:not(.pc-setup-group)")).to_have_count(1)
    page.get_by_label("Search stations").fill("aaboulevard")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_contain_text("9 of 51 polling stations match")
    audit.check(page, "stations-search")

    # Order: move a station up within its area; the focus stays on the button.
    page.goto("/setup/stations/")
    second = page.locator("#setup-list tbody").first.locator("tr[id^=row-]").nth(1)
    name = second.locator("td").first.inner_text()
    second.get_by_role("button", name=f"Move {name} up").click()
    first_row = page.locator("#setup-list tbody").first.locator("tr[id^=row-]").first
    expect(first_row.locator("td").first).to_have_text(name)
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert focused and focused.startswith("move-"), focused

    # A station in use cannot be deleted: the page says where, and offers no delete.
    page.goto(f"/setup/stations/{city[0].pk}/delete/")
    expect(page.locator("h1")).to_contain_text("cannot be deleted")
    expect(page.locator(".alert-error")).to_contain_text("2 shifts in Folketingsvalg 2027")
    expect(page.locator("main").get_by_role("button", name="Delete")).to_have_count(0)
    audit.check(page, "station-delete-refused")

    # A role that runs past midnight: the form says so as the times are typed.
    page.goto("/setup/roles/")
    audit.check(page, "roles")
    page.get_by_role("link", name="Add a role").click()
    page.get_by_label("Name", exact=True).fill("Nattæller")
    page.get_by_label("Short name").fill("NT")
    page.get_by_label("Default start").fill("20:00")
    page.get_by_label("Default end").fill("02:00")
    expect(page.get_by_text("Ends the next day.")).to_be_visible()
    page.get_by_label("Pay").fill("950")
    page.get_by_label("Invite only").check()
    page.get_by_label("Description (Danish)").fill("Tæller stemmerne op efter valget.")
    page.get_by_label("Description (English)").fill("Counts the votes after the polls close.")
    page.get_by_label("What to bring (Danish)").fill("Madpakke og kuglepen")
    page.get_by_label("What to bring (English)").fill("A packed lunch and a pen")
    audit.check(page, "role-form")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("“Nattæller” is saved.")
    row = page.locator("tr", has_text="Nattæller")
    expect(row).to_contain_text("20:00\u201302:00")
    expect(row).to_contain_text("(the next day)")
    role = Role.objects.get(name="Nattæller")
    assert role.invite_only and role.what_to_bring_en == "A packed lunch and a pen"

    # Every write was the coordinator's, in the audit log.
    actions = set(AuditEntry.objects.filter(actor=coordinator).values_list("action", flat=True))
    assert {
        "polling_stations.create_area",
        "polling_stations.create_station",
        "polling_stations.move_station",
        "elections.create_role",
    } <= actions
    audit.done()


def test_the_danish_pages_pass_too(open_page, screenshot, city, sign_in):
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    page = open_page(DESKTOP, "da-DK")
    audit = Audit(screenshot, "setup-da")
    sign_in(page)
    for path, name in [
        ("/setup/stations/", "stations"),
        (f"/setup/stations/{city[1].pk}/", "station-form"),
        ("/setup/areas/", "areas"),
        ("/setup/roles/", "roles"),
        (f"/setup/roles/{Role.objects.first().pk}/", "role-form"),
        (f"/setup/areas/{city[1].area_id}/delete/", "area-delete-refused"),
    ]:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "da")
        audit.check(page, name)
    audit.done()
