"""WCAG 2.1 AA checks with axe-core on the pages volunteers and staff use.

Danish public-sector sites must meet WCAG 2.1 AA (webtilgængelighedsloven). axe-core
(vendored in tests/e2e/vendor/axe-core, test-only) is injected into each page in its
interesting states and must report no violations of the WCAG 2.0/2.1 A and AA rules.
axe finds about half of what a manual audit finds; it is a floor, not a certificate.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from staffing import services
from staffing.links import issue_link
from staffing.views import board as staffing_board
from tests import factories as f
from tests.e2e.axe import DESKTOP, PHONE, Audit
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FOUND_FOUR = {"en": "Search results: 4 volunteers.", "da": "Søgeresultat: 4 frivillige."}


LANGUAGES = [pytest.param("en", "en-GB", id="en"), pytest.param("da", "da-DK", id="da")]


# --- the volunteer's pages ------------------------------------------------------------------


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_volunteer_pages_on_a_phone(open_page, screenshot, settings, language, locale):
    settings.ELECTION_OFFICE_CONTACT = "Valgsekretariatet, tlf. 89 40 20 00"
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(
        f.area("Midt"), name="Rådhushallen", address="Rådhuspladsen 1", city="Aarhus C"
    )
    role = f.role("Tilforordnet", description="Hjælper vælgerne.\nTæller stemmer op.")
    day_shift = f.shift(e, station_=station, capacity=4, role_=role)
    count_shift = f.shift(e, station_=station, start=20, end=23, role_=f.role("Fintæller"))
    mette = f.volunteer(channel="sms", first_name="Mette", last_name="Frandsen", language=language)
    services.invite(day_shift, [mette], by=None)
    [declined] = services.invite(count_shift, [mette], by=None).invited
    services.decline(declined, reason="")
    token = issue_link(mette, e)
    page = open_page(PHONE, locale)
    audit = Audit(screenshot, f"volunteer-{language}")

    page.goto(f"/v/{token}/")
    expect(page.locator("h1")).to_contain_text("Mette")
    expect(page.locator("html")).to_have_attribute("lang", language)
    audit.check(page, "invited")

    page.locator("summary").first.tap()  # "Decline": the reason field opens
    expect(page.locator("textarea").first).to_be_visible()
    audit.check(page, "decline-open")

    page.locator("button.button-primary").first.tap()  # "Accept"
    expect(page.locator(".alert-success")).to_be_visible()
    audit.check(page, "accepted")
    # Reflow (WCAG 1.4.10): at 320 CSS pixels nothing scrolls sideways.
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320

    page.goto("/v/this-is-not-a-valid-link/")
    expect(page.locator("h1")).to_be_visible()
    assert "<" not in page.title()
    expect(page.locator("body")).to_have_attribute("class", "pc-volunteer")
    audit.check(page, "not-found")
    audit.done()


# --- the staff pages ------------------------------------------------------------------------


@pytest.fixture
def staffed_election(monkeypatch):
    """An election with several stations in two areas, shifts in all states, and
    volunteers to find (one too young to be invited)."""
    monkeypatch.setattr(staffing_board, "STATIONS_PER_PAGE", 4)  # the board paginates
    f.election(name="Kommunalvalg 2029", status="draft", days_ahead=400)
    e = f.election(name="Folketingsvalg 2027")
    nord, syd = f.area("Nord"), f.area("Syd")
    chair, clerk, counter = f.role("Valgstyrer"), f.role("Tilforordnet"), f.role("Fintæller")
    nordskolen = f.station(nord, name="Nordskolen", address="Skolegade 3", city="Aarhus N")
    for name, area_ in [
        ("Rådhushallen", syd),
        ("Søndervangskolen", syd),
        ("Åbyhallen", nord),
        ("Ellehøjskolen", syd),
    ]:
        f.shift(e, station_=f.station(area_, name=name), role_=clerk, capacity=6)
    party = f.team("Socialdemokratiet", short_name="A")
    chairs = f.shift(e, station_=nordskolen, role_=chair, capacity=2, team=party)
    clerks = f.shift(e, station_=nordskolen, role_=clerk, capacity=8)
    f.shift(e, station_=nordskolen, role_=counter, capacity=4, start=20, end=23)
    people = [
        f.volunteer(first_name=first, last_name=last)
        for first, last in [
            ("Karen", "Østergaard"),
            ("Søren", "Jensen"),
            ("Åse", "Jensen"),
            ("Mads", "Nielsen"),
        ]
    ]
    f.volunteer(channel="sms", first_name="Ida", last_name="Jensen", born=date(2014, 1, 1))
    f.volunteer(first_name="Bo", last_name="Jensen")
    invited = {a.volunteer.first_name: a for a in services.invite(clerks, people, by=None).invited}
    services.accept(invited["Karen"])
    services.decline(invited["Søren"], reason="Bortrejst")
    member = f.volunteer(first_name="Lone", last_name="Damgaard")
    member.teams.add(party)
    services.invite(chairs, [member], by=None)
    return e, clerks


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_staff_pages(open_page, screenshot, sign_in, staffed_election, language, locale):
    e, clerks = staffed_election
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    page = open_page(DESKTOP, locale)
    audit = Audit(screenshot, f"staff-{language}")

    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    audit.check(page, "login")

    sign_in(page, password="forkert-kodeord", path=None, wait=False)
    expect(page.locator("main .alert-error")).to_be_visible()
    audit.check(page, "login-failed")

    sign_in(page, path=None)
    expect(page.get_by_role("link", name="Folketingsvalg 2027")).to_be_visible()
    audit.check(page, "election-list")
    # axe does not judge focus indicators: the header's must show on its blue.
    for control in (page.locator(".pc-nav a").first, page.locator(".pc-nav button")):
        control.focus()
        assert control.evaluate("e => getComputedStyle(e).outlineColor") == "rgb(255, 255, 255)"

    page.get_by_role("link", name="Folketingsvalg 2027").click()
    expect(page.locator(".pc-pages")).to_be_visible()
    audit.check(page, "board")

    page.locator("#id_area").select_option(label="Nord")
    page.locator("#id_understaffed").check()
    page.locator("form.pc-filters button[type=submit]").click()
    expect(page.get_by_role("link", name="Nordskolen")).to_be_visible()
    audit.check(page, "board-filtered")

    page.get_by_role("link", name="Nordskolen").click()
    expect(page.get_by_text("Karen Østergaard")).to_be_visible()
    audit.check(page, "station")

    page.goto(f"/elections/{e.pk}/shifts/{clerks.pk}/invite/")
    audit.check(page, "invite")

    page.locator("#id_q").fill("jensen")  # "Find volunteers": htmx search as you type
    expect(page.get_by_text("Bo Jensen")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]q=jensen"))
    # The result count is announced (a status message, WCAG 4.1.3).
    expect(page.get_by_role("status")).to_have_text(FOUND_FOUR[language])
    audit.check(page, "invite-results")

    page.locator("#candidates button[type=submit]").click()  # nobody chosen
    expect(page.locator("main .alert-error")).to_be_visible()
    audit.check(page, "invite-error")
    audit.done()
