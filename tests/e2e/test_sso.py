"""SSO through the fake OpenID provider, in Chromium: a staff user clicks "Sign in
with …", goes to the IdP (tests/fakes/oidc_server.py, on loopback) and back, and is
signed in on the elections page. The strict CSP holds on the way: the login form
posts to Pollcrew, which redirects to the IdP, and Chromium checks form-action on
that redirect, so the IdP's origin is in form-action (pollcrew/settings_sso.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from accounts.models import AuditEntry, RoleGrant
from tests import factories as f
from tests.e2e.axe import Audit
from tests.fakes.oidc_server import FakeOidcProvider, running_fake_idp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BUTTON = "Sign in with Testrup Kommune login"


@pytest.fixture
def idp(settings) -> Iterator[FakeOidcProvider]:
    with running_fake_idp(settings, OIDC_PROVIDER_NAME="Testrup Kommune login") as provider:
        yield provider


def test_a_coordinator_signs_in_through_the_idp(desktop: Page, idp, screenshot):
    election = f.election(name="Folketingsvalg 2027")
    user = f.user("bente.hansen@kommune.dk", coordinator=True, first_name="Bente")
    idp.sign_in_as("Bente.Hansen@Kommune.dk", sub="entra-oid-bente")
    audit = Audit(screenshot, "sso")

    desktop.goto("/accounts/login/")
    expect(desktop.locator("#id_password")).to_be_visible()  # the password form stays
    screenshot(desktop, "sso-login-page")
    audit.check(desktop, "login")
    desktop.get_by_role("button", name=BUTTON).click()

    expect(desktop).to_have_url(re.compile(r"/elections/$"))
    expect(desktop.get_by_role("heading", name="Elections")).to_be_visible()
    expect(desktop.get_by_role("link", name=election.name)).to_be_visible()
    expect(desktop.locator(".pc-nav__user")).to_have_text("bente.hansen@kommune.dk")
    screenshot(desktop, "sso-signed-in-elections")

    [authorization] = idp.state.authorizations
    assert authorization.answered == "code"
    assert AuditEntry.objects.get(action="auth.sso_login").actor == user
    assert list(RoleGrant.objects.filter(user=user).values_list("role", flat=True)) == [
        "coordinator"
    ]

    desktop.goto("/accounts/3rdparty/")  # the user's own SSO page
    expect(desktop.get_by_role("heading", name="Single sign-on accounts")).to_be_visible()
    screenshot(desktop, "sso-connections")
    audit.check(desktop, "connections")
    audit.done()


def test_an_unknown_person_is_sent_back_with_a_message(desktop: Page, idp, screenshot):
    idp.sign_in_as("fremmed@kommune.dk")

    desktop.goto("/accounts/login/")
    desktop.get_by_role("button", name=BUTTON).click()

    alert = desktop.locator(".alert-error")
    expect(alert).to_contain_text("fremmed@kommune.dk is not a staff user here")
    expect(desktop.get_by_role("heading", name="Staff login")).to_be_visible()
    screenshot(desktop, "sso-refused")
    assert AuditEntry.objects.get(action="auth.sso_refused").detail["reason"] == "unknown_email"


def test_cancelled_failed_and_confirmed_sign_ins(desktop: Page, idp, screenshot):
    f.user("bente@kommune.dk", coordinator=True)
    idp.sign_in_as("bente@kommune.dk")
    audit = Audit(screenshot, "sso")

    idp.deny_next()
    desktop.goto("/accounts/login/")
    desktop.get_by_role("button", name=BUTTON).click()
    expect(desktop.get_by_role("heading", name="Sign-in cancelled")).to_be_visible()
    audit.check(desktop, "cancelled")

    idp.id_token_overrides = {"aud": "another-application"}  # allauth refuses the token
    desktop.goto("/accounts/login/")
    desktop.get_by_role("button", name=BUTTON).click()
    expect(desktop.get_by_role("heading", name="Single sign-on failed")).to_be_visible()
    audit.check(desktop, "failed")
    idp.id_token_overrides = {}

    # A link to the provider's URL (not the login page's button) asks first.
    desktop.goto("/accounts/oidc/sso/login/")
    expect(desktop.get_by_role("heading", name=BUTTON)).to_be_visible()
    audit.check(desktop, "confirm")
    desktop.get_by_role("button", name="Continue").click()
    expect(desktop.get_by_role("heading", name="Elections")).to_be_visible()
    assert [a.answered for a in idp.state.authorizations] == ["access_denied", "code", "code"]
    audit.done()


def test_without_the_idp_in_form_action_chromium_blocks_the_redirect(
    desktop: Page, idp, settings, csp_violations
):
    """The control: what the form-action source in settings_sso is for."""
    f.user("bente@kommune.dk", coordinator=True)
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "form-action": ["'self'"]}}

    desktop.goto("/accounts/login/")
    with desktop.expect_console_message(lambda m: "form-action" in m.text):
        desktop.get_by_role("button", name=BUTTON).click()

    assert not idp.state.authorizations
    assert any("form-action" in violation for violation in csp_violations)
    csp_violations.clear()  # expected here: the autouse check is for the other tests
