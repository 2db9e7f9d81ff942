"""The Content-Security-Policy holds on every kind of page, the Django admin's and
allauth's included: each page is opened in Chromium, which reports any violation
(the autouse ``csp_violations`` fixture fails the test on one)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from staffing import services
from tests import factories as f
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_policy_holds_on_admin_and_sign_in_pages(desktop, live_server, sign_in):
    shift = f.shift(f.election(name="Folketingsvalg 2027"))
    volunteer = f.volunteer(first_name="Karen", last_name="Østergaard")
    services.invite(shift, [volunteer], by=None)
    User.objects.create_superuser("admin@kommune.dk", PASSWORD)

    response = desktop.goto("/accounts/login/")
    policy = response.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy

    desktop.goto("/accounts/password/reset/")
    expect(desktop.locator("main form")).to_be_visible()
    sign_in(desktop, "admin@kommune.dk")
    expect(desktop.get_by_role("heading", name="Elections")).to_be_visible()
    for path in (
        "/admin/",
        "/admin/volunteers/volunteer/",
        f"/admin/volunteers/volunteer/{volunteer.pk}/change/",  # filter_horizontal widgets
        "/admin/elections/shift/add/",  # autocomplete (select2) widgets
        f"/admin/elections/shift/{shift.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/staffing/assignment/",
        f"/elections/{shift.election_id}/",
        f"/elections/{shift.election_id}/shifts/{shift.pk}/invite/?q=karen",
        "/administration/audit/",
    ):
        response = desktop.goto(path)
        assert response.status == 200, path
        assert "content-security-policy" in response.headers, path
    desktop.goto("/admin/elections/shift/add/")
    desktop.locator(".select2-selection").first.click()  # opens the search box: more JS
    desktop.keyboard.press("Escape")
