"""Multi-factor sign-in (allauth.mfa, accounts.mfa): forced enrolment for admins
and coordinators when MFA_REQUIRED is on, a code as the second step of signing
in, recovery codes that work once, the Django admin behind the same login, and
every change of a second factor in the audit log.

Codes are computed here as an authenticator app would (RFC 6238: HMAC-SHA1 over
the 30-second step, 6 digits), not with allauth's own functions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import mfa
from accounts.models import ActorKind, AuditEntry, User
from notifications.models import Message
from staffing.links import issue_link
from tests import factories as f

pytestmark = pytest.mark.django_db

PASSWORD = "et-langt-kodeord"
ENROL = "/accounts/2fa/totp/activate/"


def totp(secret: str, at: float | None = None, *, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows for ``secret`` (base32) at time ``at``."""
    counter = int((time.time() if at is None else at) // step)
    key = base64.b32decode(re.sub(r"\s", "", secret).upper())
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def test_the_code_helper_follows_rfc_6238():
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, 59, digits=8) == "94287082"
    assert totp(secret, 1111111109, digits=8) == "07081804"
    assert totp(secret, 59) == "287082"


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED = True
    return settings


def person(kind: str) -> User:
    if kind == "admin":
        return User.objects.create_superuser("admin@kommune.dk", PASSWORD)
    station = f.station(f.area("Nord"), name="Nordskolen") if kind == "station_manager" else None
    return f.user(
        f"{kind}@kommune.dk",
        password=PASSWORD,
        role=kind,
        stations=[station] if station else [],
        teams=[f.team("Venstre")] if kind == "team_leader" else [],
    )


def log_in(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def with_app(user: User) -> str:
    """Gives ``user`` an authenticator app (and recovery codes); returns its key."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def confirm(client: Client, password: str = PASSWORD) -> None:
    """Confirms it is still the user (allauth's reauthentication, by password)."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()[:1000]


def codes_of(user: User) -> list[str]:
    """The user's unused recovery codes."""
    return RecoveryCodes(
        Authenticator.objects.get(user=user, type="recovery_codes")
    ).get_unused_codes()


def second_step(client: Client, code: str, **extra):
    return client.post(reverse("mfa_authenticate"), {"code": code}, **extra)


# --- who must enrol ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["admin", "coordinator"])
def test_admins_and_coordinators_are_sent_to_enrol_right_after_login(client, required, kind):
    user = person(kind)
    response = log_in(client, user.email)
    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert followed.status_code == 302
    assert followed["Location"] == ENROL
    page = client.get(ENROL)
    assert page.status_code == 200
    assert "Your role requires two-step verification" in page.content.decode()
    # Every staff page sends them back, the Django admin's included.
    for path in ("/elections/", "/administration/staff/", "/admin/", "/admin/accounts/user/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, ENROL), path


@pytest.mark.parametrize("kind", ["station_manager", "viewer", "team_leader"])
def test_other_roles_are_not_made_to_enrol(client, required, kind):
    user = person(kind)
    log_in(client, user.email)
    response = client.get(reverse("staffing:elections"))
    assert response.status_code == 200


@pytest.mark.parametrize("kind", ["admin", "coordinator"])
def test_nobody_is_made_to_enrol_when_mfa_is_not_required(client, settings, kind):
    settings.MFA_REQUIRED = False
    user = person(kind)
    log_in(client, user.email)
    assert client.get(reverse("staffing:elections")).status_code == 200
    assert not mfa.needs_enrolment(user)


def test_mfa_is_required_by_default_in_production_only():
    import environ

    from pollcrew import settings_mfa

    def applied(environment: dict[str, str], production: bool) -> dict:
        values = {
            "INSTALLED_APPS": ["allauth", "allauth.account", "accounts"],
            "MIDDLEWARE": ["allauth.account.middleware.AccountMiddleware", "x.Other"],
            "PRODUCTION": production,
            "MUNICIPALITY_NAME": "Sønderå Kommune",
        }
        env = environ.Env()
        env.ENVIRON = environment
        settings_mfa.apply(values, env)
        return values

    assert applied({}, production=True)["MFA_REQUIRED"] is True
    assert applied({}, production=False)["MFA_REQUIRED"] is False
    assert applied({"MFA_REQUIRED": "false"}, production=True)["MFA_REQUIRED"] is False
    assert applied({"MFA_REQUIRED": "true"}, production=False)["MFA_REQUIRED"] is True
    values = applied({}, production=False)
    assert values["INSTALLED_APPS"] == ["allauth", "allauth.account", "allauth.mfa", "accounts"]
    assert values["MIDDLEWARE"].index(settings_mfa.ENROLMENT_MIDDLEWARE) > 0
    assert values["MFA_TOTP_ISSUER"] == "Sønderå Kommune · Pollcrew"


def test_a_user_who_must_enrol_can_still_reach_what_they_need(client, required):
    """Logout, the language switch, the volunteers' pages and Twilio's webhook are
    not staff pages: they are never redirected."""
    user = person("coordinator")
    log_in(client, user.email)
    shift = f.shift(f.election())
    volunteer = f.volunteer()
    token = issue_link(volunteer, shift.election)
    assert client.get(f"/v/{token}/").status_code == 200
    twilio = client.post(reverse("notifications:twilio_status"), {"MessageSid": "SM1"})
    assert twilio.status_code == 403  # unsigned: refused by the webhook itself
    assert client.post(reverse("set_language"), {"language": "da"}).status_code == 302
    assert client.get(reverse("mfa_index")).status_code == 200
    response = client.post(reverse("account_logout"))
    assert response["Location"] == reverse("account_login")
    assert client.get("/elections/").status_code == 302  # to the login page now
    assert client.get("/elections/")["Location"].startswith(reverse("account_login"))


def test_htmx_requests_are_sent_to_enrol_by_a_client_redirect(client, required):
    user = person("coordinator")
    log_in(client, user.email)
    response = client.get("/elections/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == ENROL


# --- enrolment -------------------------------------------------------------------


def enrol(client: Client) -> str:
    """Sets up an authenticator app as a person would: the key from the page, the
    code from the key."""
    page = client.get(ENROL)
    assert page.status_code == 200
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page.content.decode()).group(1)
    assert secret == page.context["form"].secret
    response = client.post(ENROL, {"code": totp(secret)})
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    return secret


# allauth sends its signals (so the audit log is written) on commit.
@pytest.mark.django_db(transaction=True)
def test_enrolment_turns_the_requirement_off_and_shows_recovery_codes(client, required):
    user = person("coordinator")
    log_in(client, user.email)
    enrol(client)
    assert set(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == {
        "totp",
        "recovery_codes",
    }
    codes = client.get(reverse("mfa_view_recovery_codes"))
    assert len(re.findall(r"<li><code>\d{8}</code></li>", codes.content.decode())) == 10
    assert client.get("/elections/").status_code == 200
    download = client.get(reverse("mfa_download_recovery_codes"))
    assert download["Content-Type"].startswith("text/plain")
    assert "coordinator@kommune.dk" in download.content.decode()
    added = AuditEntry.objects.filter(action="auth.mfa_added", object_id=user.pk)
    assert sorted(added.values_list("detail__type", flat=True)) == ["recovery_codes", "totp"]
    assert {e.actor for e in added} == {user}


def test_a_wrong_code_does_not_enrol(client, required):
    user = person("admin")
    log_in(client, user.email)
    page = client.get(ENROL)
    secret = page.context["form"].secret
    wrong = f"{(int(totp(secret)) + 1) % 1_000_000:06d}"
    response = client.post(ENROL, {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()
    assert client.get("/admin/")["Location"] == ENROL


# --- signing in with a second factor --------------------------------------------


def test_sign_in_takes_a_code_as_the_second_step(client, required):
    user = person("coordinator")
    secret = with_app(user)
    response = log_in(client, user.email)
    assert response["Location"] == reverse("mfa_authenticate")
    # The password alone signs nobody in.
    assert client.get("/elections/")["Location"].startswith(reverse("account_login"))
    assert not AuditEntry.objects.filter(action="auth.login").exists()

    log_in(client, user.email)
    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()
    response = second_step(client, totp(secret))
    assert response.status_code == 302
    assert response["Location"] == reverse("staffing:elections")
    assert client.get("/elections/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.login", actor=user).count() == 1


def test_a_wrong_code_is_refused_and_audited(client, required):
    user = person("coordinator")
    secret = with_app(user)
    log_in(client, user.email, REMOTE_ADDR="203.0.113.7")
    wrong = f"{(int(totp(secret)) + 500_000) % 1_000_000:06d}"
    response = second_step(client, wrong, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert client.get("/elections/").status_code == 302
    failed = AuditEntry.objects.get(action="auth.mfa_failed")
    assert (failed.object_id, failed.actor, failed.actor_kind) == (user.pk, None, ActorKind.SYSTEM)
    assert failed.ip == "203.0.113.7"
    assert wrong not in str(failed.detail)
    assert not AuditEntry.objects.filter(action="auth.login").exists()


def test_a_code_is_accepted_once(client, required):
    user = person("coordinator")
    secret = with_app(user)
    code = totp(secret)
    log_in(client, user.email)
    assert second_step(client, code).status_code == 302
    client.post(reverse("account_logout"))
    log_in(client, user.email)
    assert second_step(client, code).status_code == 200  # replayed: refused


def test_a_recovery_code_works_once(client, required):
    user = person("admin")
    with_app(user)
    [code, *_rest] = codes_of(user)
    log_in(client, user.email)
    assert second_step(client, code)["Location"] == reverse("staffing:elections")
    assert client.get("/admin/").status_code == 200
    used = AuditEntry.objects.get(action="auth.mfa_recovery_code_used")
    assert (used.actor, used.detail) == (user, {"left": 9})

    client.post(reverse("account_logout"))
    log_in(client, user.email)
    response = second_step(client, code)
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert client.get("/admin/").status_code == 302


# --- the Django admin -------------------------------------------------------------


def test_the_admin_login_page_is_allauths_with_its_second_step(client, required):
    """admin.site.login sends to allauth's login (accounts.mfa.admin_login), so the
    admin cannot be entered with a password alone."""
    user = person("admin")
    secret = with_app(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response["Location"])  # the admin's login page
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2F"
    # The admin's own login form is gone: a POST with the password does nothing.
    client.post("/admin/login/", {"username": user.email, "password": PASSWORD})
    assert client.get("/admin/").status_code == 302

    client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD, "next": "/admin/"}
    )
    response = second_step(client, totp(secret))
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_page_never_sends_elsewhere(client):
    response = client.get("/admin/login/", {"next": "https://evil.example/"})
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2F"


def test_signed_in_non_admins_get_a_404_from_the_admin_login(client):
    client.force_login(f.user("koordinator@kommune.dk", coordinator=True))
    assert client.get("/admin/login/?next=/admin/").status_code == 404


def test_the_admin_shows_second_factors_but_never_their_secrets(client):
    user = person("coordinator")
    secret = with_app(user)
    boss = User.objects.create_superuser("chef@kommune.dk", PASSWORD)
    client.force_login(boss)
    assert isinstance(admin.site._registry[Authenticator], mfa.AuthenticatorAdmin)
    listing = client.get(reverse("admin:mfa_authenticator_changelist"))
    assert listing.status_code == 200
    totp_row = Authenticator.objects.get(user=user, type="totp")
    page = client.get(reverse("admin:mfa_authenticator_change", args=[totp_row.pk]))
    assert page.status_code == 200
    assert secret not in page.content.decode()
    assert secret not in listing.content.decode()

    response = client.post(
        reverse("admin:mfa_authenticator_changelist"),
        {"action": "reset", "_selected_action": [totp_row.pk]},
    )
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user).exists()
    entry = AuditEntry.objects.get(action="auth.mfa_reset_by_admin")
    assert (entry.actor, entry.object_id) == (boss, user.pk)
    assert entry.detail == {"types": ["recovery_codes", "totp"]}


# --- managing one's own second factor --------------------------------------------


def test_a_user_who_must_use_mfa_cannot_turn_off_the_last_app(client, required):
    user = person("coordinator")
    log_in(client, user.email)
    enrol(client)
    confirm(client)
    page = client.get(reverse("mfa_deactivate_totp"))
    assert page.status_code == 200
    assert "Your role requires two-step verification" in page.content.decode()
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=user, type="totp").exists()


# allauth sends its signals (so the audit log is written) on commit.
@pytest.mark.django_db(transaction=True)
def test_turning_the_app_off_and_new_recovery_codes_are_audited(client, settings):
    settings.MFA_REQUIRED = False
    user = person("station_manager")
    log_in(client, user.email)
    enrol(client)
    confirm(client)
    old = set(codes_of(user))
    assert client.post(reverse("mfa_generate_recovery_codes")).status_code == 302
    new = set(codes_of(user))
    assert not old & new
    assert AuditEntry.objects.filter(action="auth.mfa_reset", actor=user).count() == 1

    index = client.get(reverse("mfa_index"))
    assert index.status_code == 200
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user).exists()
    removed = AuditEntry.objects.filter(action="auth.mfa_removed", object_id=user.pk)
    assert sorted(removed.values_list("detail__type", flat=True)) == ["recovery_codes", "totp"]


def test_the_management_pages_render(client, settings):
    settings.MFA_REQUIRED = False
    user = person("admin")
    log_in(client, user.email)
    index = client.get(reverse("mfa_index")).content.decode()
    assert "Set up an authenticator app" in index
    enrol(client)
    confirm(client)
    for name in ("mfa_index", "mfa_view_recovery_codes", "mfa_generate_recovery_codes"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert "style=" not in response.content.decode(), name
        assert "<script>" not in response.content.decode(), name


@pytest.mark.django_db(transaction=True)
def test_setting_up_two_step_verification_is_emailed_to_the_owner(client, mailoutbox):
    """Someone who got into the account could add their own authenticator: the
    owner is told, through the outbox. (Committed for real: allauth sends the
    notice on commit, inside the request.)"""
    user = person("coordinator")
    log_in(client, user.email)
    page = client.get(ENROL).content.decode()
    secret = re.search(r'id="totp-secret"[^>]*>\s*([A-Z2-7]{32})\s*<', page)[1]
    response = client.post(ENROL, {"code": totp(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    [notice] = [m for m in mailoutbox if m.to == [user.email]]
    assert notice.subject
    assert AuditEntry.objects.filter(action="auth.mfa_added", object_id=user.pk).exists()


# --- confirming who you are before changing a second factor ------------------------


def test_changing_an_existing_second_factor_asks_again_even_right_after_sign_in(client):
    """A session taken over minutes after sign-in must not turn the second factor
    off or read fresh recovery codes: only a first enrolment skips the question."""
    user = person("coordinator")
    secret = with_app(user)
    log_in(client, user.email)
    second_step(client, totp(secret))
    for url in (
        reverse("mfa_deactivate_totp"),
        reverse("mfa_generate_recovery_codes"),
    ):
        response = client.post(url, {})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate")), url
    assert Authenticator.objects.filter(user=user, type="totp").exists()


def test_a_single_sign_on_user_enrols_without_a_password_to_confirm(client, required):
    """Signed in through the IdP a moment ago, with no password in Pollcrew: the
    first enrolment is not held up by a confirmation they cannot give."""
    from allauth.account.internal.flows.login import record_authentication

    user = person("coordinator")
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = user
    record_authentication(request, user, method="socialaccount", provider="sso", uid="kc-1")
    request.session.save()
    enrol(client)
    assert Authenticator.objects.filter(user=user, type="totp").exists()


def test_a_reset_by_an_admin_signs_the_user_out_everywhere_and_tells_them(
    client, committed, mailoutbox
):
    user = person("coordinator")
    secret = with_app(user)
    phone = Client()
    log_in(phone, user.email)
    second_step(phone, totp(secret))
    assert phone.get(reverse("staffing:elections")).status_code == 200
    boss = User.objects.create_superuser("chef@kommune.dk", PASSWORD)
    boss.first_name, boss.last_name = "Chef", "Hansen"
    boss.save()
    client.force_login(boss)

    committed(
        client.post,
        reverse("admin:mfa_authenticator_changelist"),
        {
            "action": "reset",
            "_selected_action": [Authenticator.objects.get(user=user, type="totp").pk],
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert phone.get(reverse("staffing:elections")).status_code == 302  # signed out
    [email] = mailoutbox
    assert email.to == [user.email]
    assert "Chef Hansen reset your two-step verification" in email.body
    assert "signed out everywhere" in email.body
    assert AuditEntry.objects.filter(
        action="accounts.sign_out_everywhere", object_id=user.pk, actor=boss
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_guessing_codes_is_stopped_and_the_owner_is_told(client, required, mailoutbox):
    """Wrong codes come after a right password. After five, even the right code
    is refused for a while; at the third, the owner is emailed, once."""
    user = person("coordinator")
    secret = with_app(user)
    log_in(client, user.email, HTTP_ACCEPT_LANGUAGE="en")
    right = totp(secret)
    wrong = [f"{(int(right) + n * 100_003) % 1_000_000:06d}" for n in range(1, 7)]
    for code in wrong[:5]:
        page = second_step(client, code, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Incorrect code" in page
    refused = second_step(client, right, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code in (200, 429)
    assert client.get("/elections/").status_code == 302  # not signed in
    [email] = mailoutbox
    assert email.to == [user.email]
    assert "typed several wrong two-step verification codes" in email.body
    assert "/accounts/password/reset/" in email.body
    assert Message.objects.filter(kind="account_wrong_codes").count() == 1
