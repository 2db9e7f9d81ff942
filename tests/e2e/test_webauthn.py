"""Security keys and passkeys in Chromium, with its virtual authenticator (the
DevTools protocol's WebAuthn domain: a CTAP2 platform authenticator that keeps
passkeys and verifies the user). The site is opened as http://localhost:<port>:
WebAuthn refuses an IP address as the relying party, and localhost is a secure
context over http.

A coordinator who must enrol adds a key instead of an app, sees the recovery
codes, manages and renames the key, confirms access with it; signs in with the
password and then the key; makes a passkey and signs in with it alone. A key
already added, and a page opened at 127.0.0.1, get a message in place. Every page
passes axe's WCAG 2.1 AA checks, in English and Danish, and none breaks the
Content-Security-Policy (the autouse fixture)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Browser, CDPSession, Page, expect

from accounts.models import AuditEntry
from tests import factories as f
from tests.e2e.axe import DESKTOP, PHONE, Audit
from tests.e2e.conftest import PASSWORD, watch

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = [pytest.param("en", "en-GB", id="en"), pytest.param("da", "da-DK", id="da")]
ENROL = re.compile(r"/accounts/2fa/totp/activate/$")
ADD = "/accounts/2fa/webauthn/add/"
KEYS = re.compile(r"/accounts/2fa/webauthn/$")
RECOVERY_CODES = re.compile(r"/accounts/2fa/recovery-codes/$")
SECOND_STEP = re.compile(r"/accounts/2fa/authenticate/$")
ELECTIONS = re.compile(r"/elections/$")


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED = True


@pytest.fixture
def at_localhost(browser: Browser, live_server, csp_violations) -> Iterator[Callable[..., Page]]:
    """``at_localhost(DESKTOP, "da-DK")``: a fresh browser context on the live
    server, reached by the name localhost (the relying party) instead of its IP."""
    base_url = live_server.url.replace("127.0.0.1", "localhost")
    contexts = []

    def open_(device: dict, locale: str, *, base: str = base_url) -> Page:
        context = browser.new_context(**device, locale=locale, base_url=base)
        contexts.append(context)
        return watch(context.new_page(), csp_violations)

    yield open_
    for context in contexts:
        context.close()


class VirtualAuthenticator:
    """Chromium's virtual authenticator for one page: a platform authenticator
    (a phone's or a laptop's) that keeps passkeys and verifies its user."""

    def __init__(self, page: Page) -> None:
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        added = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        self.id = added["authenticatorId"]

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]


def log_out(page: Page) -> None:
    page.locator(".pc-nav button[type=submit]").click()
    expect(page.locator("#id_login")).to_be_visible()


def add_key(page: Page, name: str, *, passkey: bool = False) -> None:
    page.locator("#id_name").fill(name)
    if passkey:
        page.locator("#id_passwordless").check()
    page.locator("#mfa_webauthn_add").click()


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_enrol_with_a_key_manage_it_and_confirm_with_it(
    at_localhost, screenshot, required, language, locale, sign_in
):
    user = f.user("koordinator@kommune.dk", password=PASSWORD, coordinator=True)
    f.election(name="Folketingsvalg 2027")
    page = at_localhost(DESKTOP, locale)
    key = VirtualAuthenticator(page)
    audit = Audit(screenshot, f"webauthn-{language}")

    # Sent to enrol right after signing in; a key instead of an app.
    sign_in(page, user.email)
    expect(page).to_have_url(ENROL)
    page.locator(f"main a[href='{ADD}']").click()
    expect(page).to_have_url(re.compile(re.escape(ADD) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".alert-warning")).to_be_visible()  # the role requires it
    expect(page.locator("#webauthn-problem")).to_be_hidden()
    audit.check(page, "add")
    add_key(page, "Blå YubiKey")

    # The key is kept by the authenticator, and recovery codes come with it.
    expect(page).to_have_url(RECOVERY_CODES)
    [credential] = key.credentials()
    assert credential["rpId"] == "localhost"
    assert len(page.locator("#recovery-codes code").all_inner_texts()) == 10
    page.locator("main a.button-primary").click()
    expect(page).to_have_url(ELECTIONS)
    expect(page.get_by_role("link", name="Folketingsvalg 2027")).to_be_visible()
    assert Authenticator.objects.get(user=user, type="webauthn").wrap().name == "Blå YubiKey"
    added = AuditEntry.objects.filter(action="auth.mfa_added", object_id=user.pk)
    assert sorted(added.values_list("detail__type", flat=True)) == ["recovery_codes", "webauthn"]

    # Another key: first confirm who it is, with the key (an alternative to the
    # password); then the same key again, which the authenticator says it has.
    page.goto(ADD)
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/\?next="))
    page.locator("main a[href^='/accounts/2fa/webauthn/reauthenticate/']").click()
    audit.check(page, "confirm")
    page.locator("#mfa_webauthn_reauthenticate").click()
    expect(page).to_have_url(re.compile(re.escape(ADD) + "$"))
    add_key(page, "Igen")
    expect(page.locator("#webauthn-problem.alert-error")).to_be_visible()
    expect(page.locator("[data-problem=InvalidStateError]")).to_be_visible()
    expect(page.locator("[data-problem=other]")).to_be_hidden()
    audit.check(page, "add-again")
    assert Authenticator.objects.filter(user=user, type="webauthn").count() == 1

    # The list, renaming, removing.
    page.goto("/accounts/2fa/webauthn/")
    expect(page.locator("main table")).to_contain_text("Blå YubiKey")
    audit.check(page, "keys")
    page.locator("main table a[href$='/edit/']").click()
    audit.check(page, "rename")
    page.locator("#id_name").fill("Nøgle på nøgleringen")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(KEYS)
    expect(page.locator("main table")).to_contain_text("Nøgle på nøgleringen")
    page.locator("main table a[href$='/remove/']").click()
    # The only second factor of a coordinator: it stays.
    expect(page.locator(".alert-error")).to_be_visible()
    expect(page.locator("main button[type=submit]")).to_have_count(0)
    audit.check(page, "remove")
    page.goto("/accounts/2fa/")
    expect(page.locator("main a[href='/accounts/2fa/webauthn/']")).to_be_visible()
    audit.check(page, "manage")
    log_out(page)
    audit.done()


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_sign_in_with_the_password_then_the_key(
    at_localhost, screenshot, required, language, locale, sign_in
):
    user = f.user("koordinator@kommune.dk", password=PASSWORD, coordinator=True)
    page = at_localhost(PHONE, locale)
    VirtualAuthenticator(page)
    audit = Audit(screenshot, f"webauthn-second-step-{language}")
    sign_in(page, user.email)
    page.goto(ADD)
    add_key(page, "Telefon")
    expect(page).to_have_url(RECOVERY_CODES)
    log_out(page)

    sign_in(page, user.email)
    expect(page).to_have_url(SECOND_STEP)
    expect(page.locator("#mfa_webauthn_authenticate")).to_be_visible()
    expect(page.locator("#id_code")).to_be_visible()  # or a recovery code
    audit.check(page, "second-step")
    page.locator("#mfa_webauthn_authenticate").click()
    expect(page).to_have_url(ELECTIONS)
    assert AuditEntry.objects.filter(action="auth.login", actor=user).count() == 2
    assert Authenticator.objects.get(user=user, type="webauthn").last_used_at is not None
    audit.done()


def test_a_passkey_signs_in_alone(at_localhost, screenshot, required, sign_in):
    user = f.user("koordinator@kommune.dk", password=PASSWORD, coordinator=True)
    page = at_localhost(DESKTOP, "en-GB")
    key = VirtualAuthenticator(page)
    audit = Audit(screenshot, "webauthn-passkey")
    sign_in(page, user.email)
    page.goto(ADD)
    add_key(page, "Laptop", passkey=True)
    expect(page).to_have_url(RECOVERY_CODES)
    [credential] = key.credentials()
    assert credential["isResidentCredential"] is True
    assert Authenticator.objects.get(user=user, type="webauthn").wrap().is_passwordless
    page.goto("/accounts/2fa/webauthn/")
    expect(page.locator("main table")).to_contain_text("Passkey")
    log_out(page)

    # No password: the passkey alone (it verified its user), no second step.
    expect(page.locator("#passkey_login")).to_be_visible()
    audit.check(page, "login")
    page.locator("#passkey_login").click()
    expect(page).to_have_url(ELECTIONS)
    assert AuditEntry.objects.filter(action="auth.login", actor=user).count() == 2
    audit.done()


def test_an_ip_address_gets_a_message_not_a_silent_button(
    at_localhost, live_server, screenshot, sign_in
):
    """The demo runs on 127.0.0.1: there the browser refuses to use a key, and the
    page says what to do instead of doing nothing."""
    user = f.user("koordinator@kommune.dk", password=PASSWORD, coordinator=True)
    page = at_localhost(PHONE, "da-DK", base=live_server.url)
    VirtualAuthenticator(page)
    audit = Audit(screenshot, "webauthn-ip")
    sign_in(page, user.email)
    page.goto(ADD)
    add_key(page, "Nøgle")
    expect(page.locator("[data-problem=SecurityError]")).to_be_visible()
    audit.check(page, "add-refused")
    assert not Authenticator.objects.filter(user=user).exists()
    audit.done()
