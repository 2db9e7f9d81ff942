"""A coordinator logs in, finds a volunteer with the live search and invites them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from staffing.messaging import messages_for_volunteer
from staffing.models import Assignment
from tests import factories as f
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_coordinator_invites_from_the_board(desktop, screenshot, sign_in):
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(f.area("Nord"), name="Nordskolen")
    f.shift(e, station_=station, capacity=2, role_=f.role("Fintæller"))
    karen = f.volunteer(first_name="Karen", last_name="Østergaard")
    f.user("koordinator@kommune.dk", coordinator=True, password=PASSWORD)

    sign_in(desktop)
    expect(desktop.get_by_role("heading", name="Elections")).to_be_visible()

    desktop.get_by_role("link", name="Folketingsvalg 2027").click()
    expect(desktop.get_by_text("Nordskolen")).to_be_visible()
    screenshot(desktop, "coordinator-board")
    desktop.get_by_role("link", name="Nordskolen").click()
    desktop.get_by_role("link", name="Invite volunteers").click()

    desktop.get_by_label("Find volunteers").fill("øster")  # htmx search as you type
    expect(desktop.get_by_text("Karen Østergaard")).to_be_visible()
    desktop.get_by_label("Karen Østergaard").check()
    screenshot(desktop, "coordinator-invite")
    desktop.get_by_role("button", name="Invite the chosen volunteers").click()

    expect(desktop.get_by_text("1 volunteer invited.")).to_be_visible()
    assert Assignment.objects.get(volunteer=karen).status == "invited"
    assert messages_for_volunteer(karen).get(kind="invitation").status == "sent"
