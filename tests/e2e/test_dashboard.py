"""The board with its dashboard at city scale (Copenhagen: 50 stations, 3,000 seats,
answers over three weeks, some messages failed), and the board of an election
without seats (its next steps), in a real browser: screenshots to look at, axe's
WCAG 2.1 AA checks, the chart readable without JavaScript."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bench import datagen
from elections.models import Election
from notifications.models import Message
from staffing.models import Assignment
from tests import factories as f
from tests.e2e.axe import DESKTOP, PHONE, Audit
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city() -> tuple[Election, Election]:
    """The city scale's election (bench.datagen), failed messages about a few of
    its invitations, and a draft over the same areas without seats."""
    result = datagen.generate("city", election_date=timezone.localdate() + timedelta(days=25))
    e = result.election
    for i, pk in enumerate(
        Assignment.objects.filter(shift__election=e, status="invited").values_list("pk", flat=True)[
            :7
        ]
    ):
        Message.objects.create(
            channel="sms",
            to=f"+452012{i:04d}",
            subject_type="staffing.assignment",
            subject_id=pk,
            kind="invitation",
            language="da",
            body="…",
            status=Message.Status.FAILED,
            idempotency_key=f"e2e-dashboard-{pk}",
            last_error="21211 invalid number",
        )
    draft = f.election(name="Kommunalvalg 2029", status=Election.Status.DRAFT, days_ahead=400)
    draft.areas.set(e.areas.all())
    return e, draft


@pytest.mark.parametrize("locale", ["en-GB", "da-DK"])
def test_board_with_dashboard_at_city_scale(open_page, screenshot, city, locale, sign_in):
    e, draft = city
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    language = locale[:2]
    page = open_page(DESKTOP, locale)
    audit = Audit(screenshot, f"dashboard-{language}")
    sign_in(page)

    page.goto(f"/elections/{e.pk}/")
    dash = page.locator("section.pc-dash")
    expect(dash).to_be_visible()
    # The figures are on the page as text; the chart is an SVG with a text alternative.
    expect(dash.locator(".pc-dash__figure").first).to_contain_text("%")
    chart = dash.locator("svg.pc-chart__svg")
    expect(chart).to_be_visible()
    assert chart.get_attribute("role") == "img"
    assert "3.000" in chart.locator("desc").text_content() or "3,000" in (
        chart.locator("desc").text_content()
    )
    assert chart.bounding_box()["width"] > 300
    # The figures as a table, behind a disclosure that works without script.
    table = dash.locator("details.pc-dash__more").first
    table.locator("summary").click()
    expect(table.locator("table")).to_be_visible()
    assert table.locator("tbody tr").count() >= 20  # three weeks of answers
    audit.check(page, "board")

    # The board under it still filters and pages.
    page.locator("#id_understaffed").check()
    page.locator("form.pc-filters button[type=submit]").click()
    expect(page.locator("section.pc-dash")).to_be_visible()
    audit.check(page, "board-filtered")

    # On a phone the dashboard reflows (WCAG 1.4.10) and the chart shrinks.
    phone = open_page(PHONE, locale)
    sign_in(phone)
    phone.goto(f"/elections/{e.pk}/")
    assert phone.locator("svg.pc-chart__svg").bounding_box()["width"] <= 390
    # The dashboard fits the phone (the stations' table below is a data table:
    # a two-dimensional layout may scroll, WCAG 1.4.10's exception).
    dash_box = phone.locator("section.pc-dash").bounding_box()
    assert dash_box["x"] + dash_box["width"] <= 390
    assert phone.locator("section.pc-dash").evaluate("e => e.scrollWidth <= e.clientWidth")
    audit.check(phone, "board-phone")

    # An election without seats says what to do next, and lists its stations.
    page.goto(f"/elections/{draft.pk}/")
    next_steps = page.locator("section.pc-next")
    expect(next_steps).to_be_visible()
    expect(next_steps.locator("ol > li")).to_have_count(3)
    expect(page.locator("section.pc-dash")).to_have_count(0)
    expect(page.locator("td.pc-noseats").first).to_be_visible()
    audit.check(page, "no-seats")
    audit.done()


def test_the_chart_needs_no_javascript(browser, live_server, screenshot, city, sign_in):
    e, _draft = city
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)
    context = browser.new_context(
        **DESKTOP, locale="en-GB", base_url=live_server.url, java_script_enabled=False
    )
    try:
        page = context.new_page()
        sign_in(page)
        page.goto(f"/elections/{e.pk}/")
        chart = page.locator("svg.pc-chart__svg")
        expect(chart).to_be_visible()
        assert chart.locator("polyline.pc-chart__line").count() == 1
        page.locator("details.pc-dash__more summary").first.click()
        expect(page.locator("details.pc-dash__more table").first).to_be_visible()
        screenshot(page, "dashboard-no-javascript")
    finally:
        context.close()
