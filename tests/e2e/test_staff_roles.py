"""An admin makes someone station manager in the product; that person signs in
and sees only their station, with its roster. The admin's pages (staff users, a
user's roles, the audit log) pass axe's WCAG 2.1 AA checks in both languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEntry, User
from staffing import services
from tests import factories as f
from tests.e2e.axe import DESKTOP, Audit
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LABELS = {
    "en": {"grant": "Grant", "staff": "Staff users", "log_in": "Log in", "log_out": "Log out"},
    "da": {"grant": "Tildel", "staff": "Medarbejdere", "log_in": "Log ind", "log_out": "Log ud"},
}


@pytest.fixture
def election():
    e = f.election(name="Folketingsvalg 2027")
    nord = f.station(f.area("Nord"), name="Nordskolen", address="Skolegade 3")
    syd = f.station(f.area("Syd"), name="Sydhallen", address="Hallvej 9")
    clerk = f.role("Tilforordnet")
    for station in (nord, syd):
        shift = f.shift(e, station_=station, role_=clerk, capacity=3)
        person = f.volunteer(first_name="Karen", last_name=f"Fra {station.name}")
        services.accept(services.invite(shift, [person], by=None).invited[0])
    return e, nord, syd


@pytest.mark.parametrize(("language", "locale"), [("en", "en-GB"), ("da", "da-DK")])
def test_admin_makes_a_station_manager_who_sees_only_their_station(
    open_page, screenshot, election, language, locale, sign_in
):
    e, nord, syd = election
    User.objects.create_superuser("admin@kommune.dk", PASSWORD)
    manager = f.user("valgstyrer@kommune.dk", password=PASSWORD, first_name="Bente")
    text = LABELS[language]
    audit = Audit(screenshot, f"roles-{language}")

    page = open_page(DESKTOP, locale)
    sign_in(page, "admin@kommune.dk")
    page.get_by_role("link", name=text["staff"]).click()
    audit.check(page, "staff-list")
    page.get_by_role("link", name="valgstyrer@kommune.dk").click()
    audit.check(page, "staff-user")
    page.locator("#id_role").select_option("station_manager")
    page.locator("#id_stations").select_option(label="Nordskolen")
    page.get_by_role("button", name=text["grant"], exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("main table")).to_contain_text("Nordskolen")
    audit.check(page, "staff-user-granted")
    grant = AuditEntry.objects.get(action="accounts.grant_role", object_id=manager.pk)
    assert grant.actor.email == "admin@kommune.dk"
    assert grant.changes["stations"] == [[], [nord.pk]]

    page.goto("/administration/audit/?action=accounts.grant_role")
    expect(page.locator("main table")).to_contain_text("Bente")
    audit.check(page, "audit-log")
    page.locator(".pc-nav button").click()  # log out

    sign_in(page, "valgstyrer@kommune.dk")
    page.get_by_role("link", name="Folketingsvalg 2027").click()
    expect(page.get_by_role("link", name="Nordskolen")).to_be_visible()
    expect(page.get_by_role("link", name="Sydhallen")).to_have_count(0)
    screenshot(page, f"roles-{language}-manager-board")
    page.get_by_role("link", name="Nordskolen").click()
    expect(page.get_by_text("Karen Fra Nordskolen")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Roster PDF|Vagtliste"))).to_be_visible()
    screenshot(page, f"roles-{language}-manager-station")

    roster = page.get_by_role("link", name=re.compile("Roster PDF|Vagtliste"))
    response = page.request.get(roster.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert page.request.get(f"/elections/{e.pk}/stations/{syd.pk}/").status == 404
    day = e.election_date.isoformat()
    sydhallen_roster = f"/documents/elections/{e.pk}/stations/{syd.pk}/roster-{day}.pdf"
    assert page.request.get(sydhallen_roster).status == 404
    assert page.request.get("/administration/staff/").status == 404
    audit.done()
