"""Open sign-up on a phone: a newcomer finds a seat near them by postal code,
signs up with the code the SMS brought, and lands on their own page booked;
a team leader's link registers someone into the team; and a coordinator makes
a link on the office's page. axe finds no WCAG 2.1 AA violations on any of the
pages, in Danish and in English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from notifications import sms
from staffing import signup as reading
from staffing.models import Assignment, SignupLink
from staffing.services import signup as services
from tests import factories as f
from tests.e2e.axe import PHONE, Audit
from volunteers.models import Volunteer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "filter": "Show seats",
        "sign_up": "Sign up",
        "first": "First name",
        "last": "Last name",
        "born": "Date of birth",
        "mobile": "Mobile number",
        "send": "Send me a code",
        "code": "Code",
        "confirm": "Confirm",
        "booked": "You are booked as Tilforordnet",
        "join": "Join Venstre",
        "registered": "You are registered",
    },
    "da": {
        "filter": "Vis pladser",
        "sign_up": "Tilmeld dig",
        "first": "Fornavn",
        "last": "Efternavn",
        "born": "Fødselsdato",
        "mobile": "Mobilnummer",
        "send": "Send mig en kode",
        "code": "Kode",
        "confirm": "Bekræft",
        "booked": "Du er booket som Tilforordnet",
        "join": "Bliv en del af Venstre",
        "registered": "Du er registreret",
    },
}
LOCALES = [pytest.param("en", "en-GB", id="en"), pytest.param("da", "da-DK", id="da")]


@pytest.fixture
def election():
    e = f.election(name="Folketingsvalg 2027")
    north = f.station(f.area("Nord"), name="Nordskolen", postal_code="8200", address="Skolevej 1")
    south = f.station(f.area("Syd"), name="Sydhallen", postal_code="8000", address="Havnegade 2")
    clerk = f.role("Tilforordnet", pay="850")
    f.shift(e, station_=north, role_=clerk, capacity=2)
    f.shift(e, station_=north, role_=clerk, capacity=3, start=20, end=23)
    f.shift(e, station_=south, role_=clerk, capacity=1)
    return e


def code_for(phone: str) -> str:
    [record] = [r for r in sms.outbox if r.to == phone][-1:]
    return re.search(r"\b(\d{6})\b", record.body).group(1)


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_a_newcomer_signs_up_on_a_phone(open_page, screenshot, election, language, locale):
    words = WORDS[language]
    link = services.create_signup_link(election, by=None, label="Plakat")
    page = open_page(PHONE, locale)
    audit = Audit(screenshot, f"signup-{language}")

    page.goto(f"/s/{reading.link_token(link)}/?lang={language}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_text("Sydhallen")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    audit.check(page, "seats")

    page.locator("#id_postal_code").fill("8200")
    page.get_by_role("button", name=words["filter"]).tap()
    expect(page.get_by_text("Sydhallen")).to_have_count(0)
    audit.check(page, "filtered")

    page.get_by_role("link", name=re.compile(words["sign_up"])).first.tap()
    page.get_by_label(words["first"]).fill("Sofie")
    page.get_by_label(words["last"]).fill("Holm")
    page.get_by_label(words["born"]).fill("1990-04-02")
    page.get_by_label(words["mobile"]).fill("20 33 33 33")
    audit.check(page, "details")
    page.get_by_role("button", name=words["send"]).tap()
    expect(page.get_by_label(words["code"])).to_be_visible()
    audit.check(page, "code")

    page.get_by_label(words["code"]).fill("000000" if code_for("+4520333333") != "000000" else "1")
    page.get_by_role("button", name=words["confirm"]).tap()
    expect(page.locator(".form-error-message")).to_be_visible()
    audit.check(page, "wrong-code")

    page.get_by_label(words["code"]).fill(code_for("+4520333333"))
    page.get_by_role("button", name=words["confirm"]).tap()
    expect(page.get_by_text(words["booked"])).to_be_visible()
    assert re.search(r"/v/[^/]+/$", page.url)
    audit.check(page, "booked")
    audit.done()

    sofie = Volunteer.objects.get(phone="+4520333333")
    assert sofie.language == language
    assert Assignment.objects.get(volunteer=sofie).status == Assignment.Status.ACCEPTED


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_a_team_join_link_on_a_phone(open_page, screenshot, election, language, locale):
    words = WORDS[language]
    team = f.team("Venstre")
    link = services.create_signup_link(
        election, by=None, label="Venstres liste", kind=SignupLink.Kind.TEAM, team=team
    )
    page = open_page(PHONE, locale)
    audit = Audit(screenshot, f"team-join-{language}")
    page.goto(f"/s/{reading.link_token(link)}/?lang={language}")
    expect(page.get_by_role("heading", name=words["join"])).to_be_visible()
    audit.check(page, "form")
    page.get_by_label(words["first"]).fill("Ole")
    page.get_by_label(words["last"]).fill("Dam")
    page.get_by_label(words["born"]).fill("1970-01-01")
    page.get_by_label(words["mobile"]).fill("20666666")
    page.get_by_role("button", name=words["send"]).tap()
    expect(page.get_by_label(words["code"])).to_be_visible()
    page.get_by_label(words["code"]).fill(code_for("+4520666666"))
    page.get_by_role("button", name=words["confirm"]).tap()
    expect(page.get_by_role("heading", name=words["registered"])).to_be_visible()
    audit.check(page, "registered")
    audit.done()
    assert list(Volunteer.objects.get(phone="+4520666666").teams.all()) == [team]


OFFICE = {
    "en": ("Label", "At most this many sign-ups", "Make the link", "The link is made."),
    "da": (
        "Betegnelse",
        "Højst så mange tilmeldinger",
        "Opret linket",
        "Linket er oprettet.",
    ),
}


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_coordinator_makes_a_link(desktop, sign_in, screenshot, election, language):
    label, cap, button, made = OFFICE[language]
    coordinator = f.user(
        "koordinator@kommune.dk", coordinator=True, password="pw-for-tests-1", language=language
    )
    held_link = services.create_signup_link(election, by=None, label="Biblioteket")
    Assignment.objects.create(  # a sign-up held for approval: the page's table of them
        shift=election.shifts.first(),
        volunteer=f.volunteer("sms", first_name="Sofie", last_name="Holm"),
        signup_link=held_link,
        awaiting_approval=True,
    )
    sign_in(desktop, email=coordinator.email, password="pw-for-tests-1")
    audit = Audit(screenshot, f"signup-links-{language}")
    desktop.goto(f"/elections/{election.pk}/signup-links/")
    expect(desktop.locator("html")).to_have_attribute("lang", language)
    audit.check(desktop, "empty")
    desktop.get_by_label(label).fill("Plakat på biblioteket")
    desktop.get_by_label(cap).fill("20")
    desktop.get_by_role("button", name=button).click()
    expect(desktop.get_by_text(made)).to_be_visible()
    address = desktop.locator("input[readonly]").first.input_value()
    assert "/s/" in address
    audit.check(desktop, "made")
    audit.done()


@pytest.mark.parametrize(("language", "locale"), LOCALES)
def test_a_full_station_and_shift_offer_their_standby_lists(
    open_page, screenshot, election, language, locale
):
    from staffing import services as staffing

    election.standby_enabled = True
    election.save()
    south = election.shifts.get(station__name="Sydhallen")
    staffing.assign(south, f.volunteer(), by=None)  # Sydhallen is full all day
    link = services.create_signup_link(election, by=None, label="Plakat")
    page = open_page(PHONE, locale)
    audit = Audit(screenshot, f"signup-full-{language}")
    page.goto(f"/s/{reading.link_token(link)}/?lang={language}")
    audit.check(page, "seats")
    page.locator("a[href*='/wait/']").tap()
    expect(page.locator("h1")).to_be_visible()
    assert "/wait/" in page.url
    audit.check(page, "wait-form")
    page.goto(f"/s/{reading.link_token(link)}/shift/{south.pk}/?lang={language}")
    expect(page.locator("a[href*='standby=1']")).to_be_visible()
    audit.check(page, "shift-full")
    audit.done()
