"""Two-step verification in Chromium: a coordinator is sent to enrol right after
signing in, sets up an authenticator app from the key on the page (the test
computes the codes, as the app would), signs in with a code, then with a recovery
code, which works once; an admin reaches the Django admin only through the same
login and second step. Every page passes axe's WCAG 2.1 AA checks in English and
Danish, and none breaks the Content-Security-Policy (the autouse fixture)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import AuditEntry, User
from tests import factories as f
from tests.e2e.axe import DESKTOP, PHONE, Audit
from tests.e2e.conftest import PASSWORD
from tests.test_mfa import totp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = [pytest.param("en", "en-GB", id="en"), pytest.param("da", "da-DK", id="da")]
ENROL = re.compile(r"/accounts/2fa/totp/activate/$")
SECOND_STEP = re.compile(r"/accounts/2fa/authenticate/$")
ELECTIONS = re.compile(r"/elections/$")


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED = True


def enter_code(page: Page, code: str) -> None:
    page.locator("#id_code").fill(code)
    page.locator("main form button[type=submit]").first.click()


def log_out(page: Page) -> None:
    page.locator(".pc-nav button[type=submit]").click()
    expect(page.locator("#id_login")).to_be_visible()


@pytest.mark.parametrize(("language", "locale"), LANGUAGES)
def test_enrol_then_sign_in_with_a_code_and_with_a_recovery_code(
    open_page, screenshot, required, language, locale, sign_in
):
    user = f.user("koordinator@kommune.dk", password=PASSWORD, coordinator=True)
    f.election(name="Folketingsvalg 2027")
    page = open_page(DESKTOP, locale)
    audit = Audit(screenshot, f"mfa-{language}")

    # Right after signing in: the enrolment page, whatever was asked for.
    sign_in(page, user.email)
    expect(page).to_have_url(ENROL)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".alert-warning")).to_be_visible()
    expect(page.locator("img[src^='data:image/svg+xml']")).to_be_visible()
    audit.check(page, "enrol")
    page.goto("/elections/")
    expect(page).to_have_url(ENROL)

    # The app is set up from the key shown on the page; a wrong code first.
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    enter_code(page, f"{(int(totp(secret)) + 1) % 1_000_000:06d}")
    expect(page.locator(".form-error-message")).to_be_visible()
    audit.check(page, "enrol-wrong-code")
    enter_code(page, totp(secret))
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"\d{8}", c) for c in codes)
    audit.check(page, "recovery-codes")
    page.locator("main a.button-primary").click()  # saved them: continue
    expect(page).to_have_url(ELECTIONS)
    expect(page.get_by_role("link", name="Folketingsvalg 2027")).to_be_visible()

    page.goto("/accounts/2fa/")
    expect(page.locator(".badge-success")).to_be_visible()
    audit.check(page, "manage")
    # Changing a second factor that exists asks who it is first, even now.
    page.goto("/accounts/2fa/totp/deactivate/")
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    audit.check(page, "confirm")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/deactivate/$"))
    expect(page.locator(".alert-error")).to_be_visible()  # the role requires it
    audit.check(page, "deactivate-refused")
    log_out(page)

    # Signing in: the password, then a code from the app.
    sign_in(page, user.email)
    expect(page).to_have_url(SECOND_STEP)
    audit.check(page, "second-step")
    enter_code(page, totp(secret))
    expect(page).to_have_url(ELECTIONS)
    log_out(page)

    # No phone: a recovery code instead, once.
    sign_in(page, user.email)
    enter_code(page, codes[0])
    expect(page).to_have_url(ELECTIONS)
    log_out(page)
    sign_in(page, user.email)
    enter_code(page, codes[0])
    expect(page).to_have_url(SECOND_STEP)
    expect(page.locator(".form-error-message")).to_be_visible()
    audit.check(page, "second-step-used-code")
    assert AuditEntry.objects.filter(action="auth.mfa_recovery_code_used").count() == 1
    assert AuditEntry.objects.filter(action="auth.mfa_failed").count() == 1
    audit.done()


def test_the_django_admin_is_behind_the_same_login_and_second_step(
    open_page, screenshot, required, sign_in
):
    User.objects.create_superuser("admin@kommune.dk", PASSWORD)
    page = open_page(PHONE, "en-GB")
    audit = Audit(screenshot, "mfa-admin")

    # The admin's own login page is allauth's, which comes back to the admin.
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fadmin%2F$"))
    sign_in(page, "admin@kommune.dk", path=None)
    # An admin without a second factor enrols first, the admin's pages included.
    expect(page).to_have_url(ENROL)
    audit.check(page, "enrol-phone")
    page.goto("/admin/accounts/user/")
    expect(page).to_have_url(ENROL)
    secret = page.locator("#totp-secret").inner_text().strip()
    enter_code(page, totp(secret))
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    audit.check(page, "recovery-codes-phone")
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    page.locator("#logout-form button").click()

    page.goto("/admin/accounts/user/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(page, "admin@kommune.dk", path=None)
    expect(page).to_have_url(SECOND_STEP)
    audit.check(page, "second-step-phone")
    enter_code(page, totp(secret))
    expect(page).to_have_url(re.compile(r"/admin/accounts/user/$"))
    audit.done()
