"""Single sign-on with OpenID Connect: allauth's real views, driven by Django's
test client, against a fake OpenID provider on loopback (tests/fakes/oidc_server.py)
that allauth talks to over HTTP.

The IdP proves who someone is; Pollcrew decides whether that is a staff user:
by verified email, case-insensitively, never creating one unless SSO_CREATE_USERS
allows it, and never giving a role."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import environ
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.auth import get_user
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.models import AuditEntry, RoleGrant, User
from pollcrew import settings_sso
from tests import factories as f
from tests.fakes.oidc_server import FakeOidcProvider, running_fake_idp, use_sso
from tests.test_mfa import totp as hotp_now

pytestmark = pytest.mark.django_db

LOGIN = reverse("openid_connect_login", kwargs={"provider_id": "sso"})
CALLBACK = reverse("openid_connect_callback", kwargs={"provider_id": "sso"})
ELECTIONS = reverse("staffing:elections")


@pytest.fixture
def idp(settings) -> Iterator[FakeOidcProvider]:
    with running_fake_idp(settings, OIDC_PROVIDER_NAME="Testrup login") as provider:
        yield provider


def sign_in(client, idp: FakeOidcProvider, *, process: str = "login", next_url: str = ""):
    """The browser's round trip: POST the provider login (Pollcrew redirects to the
    IdP), the IdP redirects back with a code, Pollcrew's callback finishes."""
    data = {"process": process, **({"next": next_url} if next_url else {})}
    to_idp = client.post(LOGIN, data)
    assert to_idp.status_code == 302, to_idp.content
    assert to_idp["Location"].startswith(f"{idp.base_url}/authorize?")
    back = requests.get(to_idp["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    assert (callback.netloc, callback.path) == ("testserver", CALLBACK)
    return client.get(f"{callback.path}?{callback.query}")


def signed_in(client) -> User | None:
    user = get_user(client)
    return user if user.is_authenticated else None


def actions(*names: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(action__in=names).order_by("pk").values_list("action", flat=True)
    )


# --- configured: existing staff users ---------------------------------------------------


def test_existing_staff_user_signs_in_matched_by_email_in_any_case(client, idp):
    user = f.user("bente.hansen@kommune.dk", coordinator=True)
    grants_before = list(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
    idp.sign_in_as("Bente.Hansen@KOMMUNE.dk", sub="entra-oid-1")

    response = sign_in(client, idp)

    assert response.status_code == 302
    assert response["Location"] == ELECTIONS
    assert signed_in(client) == user
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("sso", "entra-oid-1")
    # No new role, and the password still works (the IdP may be down on election day).
    assert list(RoleGrant.objects.filter(user=user).values_list("role", flat=True)) == (
        grants_before
    )
    user.refresh_from_db()
    assert user.has_usable_password() and not user.is_superuser
    assert User.objects.count() == 1
    entry = AuditEntry.objects.get(action="auth.sso_login")
    assert (entry.actor, entry.object_id, entry.ip) == (user, user.pk, "127.0.0.1")
    assert entry.detail == {"provider": "sso", "uid": "entra-oid-1", "matched": "email"}
    assert actions("auth.sso_login", "auth.login") == ["auth.sso_login", "auth.login"]
    assert client.get(ELECTIONS).status_code == 200


def test_a_connected_identity_signs_in_again_by_account(client, idp):
    user = f.user("bente@kommune.dk", role="viewer")
    idp.sign_in_as("bente@kommune.dk", sub="kc-42")
    sign_in(client, idp)
    client.logout()

    response = sign_in(client, idp)

    assert response["Location"] == ELECTIONS
    assert signed_in(client) == user
    assert SocialAccount.objects.filter(user=user).count() == 1
    matched = AuditEntry.objects.filter(action="auth.sso_login").order_by("pk")
    assert [e.detail["matched"] for e in matched] == ["email", "account"]


def test_a_staff_user_without_a_role_gets_none(client, idp):
    user = f.user("ny@kommune.dk")
    idp.sign_in_as("ny@kommune.dk", roles=["admin"], groups=["Valgsekretariatet"])

    response = sign_in(client, idp)

    assert signed_in(client) == user
    # Every staff page needs a role: their own page says so (not an empty 404).
    assert response["Location"] == reverse("me:page")
    assert "have no role yet" in client.get(response["Location"]).content.decode()
    assert not RoleGrant.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert not user.is_superuser and not user.is_staff


def test_the_next_page_is_kept(client, idp):
    user = f.user("bente@kommune.dk", coordinator=True)
    idp.sign_in_as("bente@kommune.dk")

    response = sign_in(client, idp, next_url="/administration/staff/")

    assert signed_in(client) == user
    assert response["Location"] == "/administration/staff/"


def test_pkce_and_the_client_secret_are_used(client, idp):
    f.user("bente@kommune.dk")
    idp.sign_in_as("bente@kommune.dk")

    sign_in(client, idp)

    [authorization] = idp.state.authorizations
    assert authorization.params["code_challenge_method"] == "S256"
    assert set(authorization.params["scope"].split()) == {"openid", "profile", "email"}
    [token] = idp.state.token_requests
    assert token.status == 200 and token.form["code_verifier"]
    assert token.auth in ("post", "basic")
    assert idp.state.userinfo_requests == 1


def test_a_code_is_useless_without_the_pkce_verifier(client, idp):
    """Whoever catches the code on its way back (a proxy log, a browser history)
    cannot redeem it, even with the client secret: the verifier never left
    Pollcrew's session."""
    f.user("bente@kommune.dk")
    idp.sign_in_as("bente@kommune.dk")
    to_idp = client.post(LOGIN)
    back = requests.get(to_idp["Location"], allow_redirects=False, timeout=10)
    callback = parse_qs(urlsplit(back.headers["Location"]).query)
    redirect_uri = parse_qs(urlsplit(to_idp["Location"]).query)["redirect_uri"][0]

    stolen = requests.post(
        f"{idp.base_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": callback["code"][0],
            "redirect_uri": redirect_uri,
        },
        auth=(idp.client_id, idp.client_secret),
        timeout=10,
    )

    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"


def test_the_id_token_is_signed_with_the_published_key(idp):
    """allauth skips the signature of an ID token it fetched over TLS itself; its
    check with signature (jwtkit, which also serves ID tokens handed in by an app)
    accepts the fake's, verified with the key from the fake's JWKS."""
    idp.sign_in_as("bente@kommune.dk", sub="kc-1")
    redirect_uri = "http://testserver/accounts/oidc/sso/login/callback/"
    status, headers, _body = idp.authorize(
        {
            "client_id": idp.client_id,
            "response_type": "code",
            "scope": "openid email",
            "redirect_uri": redirect_uri,
        }
    )
    code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    status, answer = idp.token(
        {**form, "client_id": idp.client_id, "client_secret": idp.client_secret}, ""
    )
    assert status == 200

    claims = jwtkit.verify_and_decode(
        credential=answer["id_token"],
        keys_url=f"{idp.base_url}/jwks",
        issuer=idp.issuer,
        audience=idp.client_id,
        lookup_kid=jwtkit.lookup_kid_jwk,
        verify_signature=True,
    )

    assert (claims["sub"], claims["email"], claims["aud"]) == (
        "kc-1",
        "bente@kommune.dk",
        idp.client_id,
    )


# --- refused ------------------------------------------------------------------------------


def test_an_unknown_email_is_refused_and_no_user_is_created(client, idp):
    f.user("bente@kommune.dk")
    idp.sign_in_as("Fremmed@Kommune.dk")

    response = sign_in(client, idp)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert signed_in(client) is None
    assert User.objects.count() == 1
    assert not SocialAccount.objects.exists()
    page = client.get(response["Location"])
    assert "fremmed@kommune.dk is not a staff user here" in page.content.decode()
    entry = AuditEntry.objects.get(action="auth.sso_refused")
    assert entry.actor is None and entry.actor_kind == "system"
    assert entry.detail == {
        "provider": "sso",
        "reason": "unknown_email",
        "attempted": "fremmed@kommune.dk",
    }
    assert not actions("auth.login", "auth.sso_login", "accounts.create_user")


def test_an_unverified_email_is_refused_when_the_idp_is_not_trusted(client, settings):
    user = f.user("bente@kommune.dk")
    with running_fake_idp(settings, OIDC_TRUST_EMAIL="false") as idp:
        idp.sign_in_as("bente@kommune.dk", email_verified=False)
        response = sign_in(client, idp)
        assert signed_in(client) is None
        assert "did not give a verified email address" in client.get(
            response["Location"]
        ).content.decode("utf-8")
        assert AuditEntry.objects.get(action="auth.sso_refused").detail["reason"] == (
            "no_verified_email"
        )

        idp.sign_in_as("bente@kommune.dk", email_verified=True)
        sign_in(client, idp)
        assert signed_in(client) == user


def test_a_trusted_idp_needs_no_email_verified_claim(client, settings):
    """Entra ID and ADFS send no email_verified: OIDC_TRUST_EMAIL=true for a
    single-tenant directory whose addresses IT sets."""
    user = f.user("bente@kommune.dk")
    with running_fake_idp(settings, OIDC_TRUST_EMAIL="true") as idp:
        idp.sign_in_as("bente@kommune.dk", email_verified=None)
        sign_in(client, idp)
    assert signed_in(client) == user


def test_by_default_an_email_without_the_verified_claim_is_not_trusted(client, idp):
    """A multi-tenant IdP lets users set their own address ("nOAuth"): without
    OIDC_TRUST_EMAIL, only an email the IdP says is verified is matched."""
    f.user("bente@kommune.dk", coordinator=True)
    idp.sign_in_as("bente@kommune.dk", email_verified=None)

    sign_in(client, idp)

    assert signed_in(client) is None
    assert AuditEntry.objects.get(action="auth.sso_refused").detail["reason"] == (
        "no_verified_email"
    )


def test_a_superuser_is_never_matched_by_email(client, idp):
    admin = User.objects.create_superuser("chef@kommune.dk", "et-langt-kodeord")
    idp.sign_in_as("chef@kommune.dk", sub="kc-chef")

    response = sign_in(client, idp)

    assert signed_in(client) is None
    assert not SocialAccount.objects.exists()
    assert (
        "Administrators are not matched by email"
        in client.get(response["Location"]).content.decode()
    )
    entry = AuditEntry.objects.get(action="auth.sso_refused")
    assert (entry.object_id, entry.detail["reason"]) == (admin.pk, "superuser_not_matched")
    # Signed in with their password, they connect it themselves; then SSO works.
    client.force_login(admin)
    sign_in(client, idp, process="connect")
    assert SocialAccount.objects.get().user == admin
    client.logout()
    sign_in(client, idp)
    assert signed_in(client) == admin


def test_a_second_factor_is_still_asked_after_sso(client, idp):
    """SSO replaces the password, not the second factor the user set up."""
    user = f.user("bente@kommune.dk", coordinator=True)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    idp.sign_in_as("bente@kommune.dk")

    response = sign_in(client, idp)

    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in(client) is None
    client.post(reverse("mfa_authenticate"), {"code": hotp_now(secret)})
    assert signed_in(client) == user


def test_names_from_the_idp_cannot_reorder_the_page(client, settings):
    settings.SSO_CREATE_USERS = True
    with running_fake_idp(settings, SSO_CREATE_USERS="true") as idp:
        idp.sign_in_as("ny@kommune.dk", given_name="Ann\u202eA", family_name="\u2066Berg\u2069")
        sign_in(client, idp)
    user = User.objects.get(email="ny@kommune.dk")
    assert (user.first_name, user.last_name) == ("AnnA", "Berg")


def test_no_email_at_all_is_refused(client, idp):
    f.user("bente@kommune.dk")
    idp.sign_in_as(None)

    sign_in(client, idp)

    assert signed_in(client) is None
    assert AuditEntry.objects.get(action="auth.sso_refused").detail["reason"] == (
        "no_verified_email"
    )


def test_a_deactivated_staff_user_is_refused(client, idp):
    user = f.user("bente@kommune.dk", is_active=False)
    idp.sign_in_as("bente@kommune.dk")

    response = sign_in(client, idp)

    assert signed_in(client) is None
    assert "deactivated" in client.get(response["Location"]).content.decode()
    entry = AuditEntry.objects.get(action="auth.sso_refused")
    assert (entry.object_id, entry.detail["reason"]) == (user.pk, "inactive")


def test_cancelling_at_the_idp_signs_nobody_in(client, idp):
    f.user("bente@kommune.dk")
    idp.deny_next("access_denied")

    response = sign_in(client, idp)

    assert response["Location"] == reverse("socialaccount_login_cancelled")
    assert "You cancelled signing in" in client.get(response["Location"]).content.decode()
    assert signed_in(client) is None
    assert AuditEntry.objects.get(action="auth.sso_failed").detail["error"] == "cancelled"


def test_an_id_token_for_another_client_is_refused(client, idp):
    """allauth checks the ID token's audience, issuer and expiry."""
    f.user("bente@kommune.dk")
    idp.sign_in_as("bente@kommune.dk")
    idp.id_token_overrides = {"aud": "another-application"}

    response = sign_in(client, idp)

    assert response.status_code == 401
    assert "Single sign-on failed" in response.content.decode()
    assert signed_in(client) is None
    failed = AuditEntry.objects.get(action="auth.sso_failed")
    assert failed.detail["exception"] == "OAuth2Error"


def test_a_callback_cannot_be_replayed(client, idp):
    user = f.user("bente@kommune.dk", coordinator=True)
    idp.sign_in_as("bente@kommune.dk")
    to_idp = client.post(LOGIN)
    back = requests.get(to_idp["Location"], allow_redirects=False, timeout=10)
    callback = urlsplit(back.headers["Location"])
    assert client.get(f"{callback.path}?{callback.query}")["Location"] == ELECTIONS
    assert signed_in(client) == user
    client.logout()

    again = client.get(f"{callback.path}?{callback.query}")

    assert again.status_code == 401
    assert signed_in(client) is None


def test_sign_in_by_sso_starts_with_a_post_only(client, idp):
    """A GET shows a confirmation page (no redirect to the IdP from a link)."""
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert "Sign in with Testrup login" in response.content.decode()
    assert not idp.state.authorizations


# --- creating users (SSO_CREATE_USERS) -----------------------------------------------------


def test_with_sso_create_users_a_new_user_is_created_without_a_role(client, settings):
    with running_fake_idp(settings, SSO_CREATE_USERS="true") as idp:
        idp.sign_in_as(
            "Ny.Medarbejder@Kommune.dk",
            sub="kc-new",
            given_name="Ny",
            family_name="Medarbejder",
            roles=["admin"],
        )
        response = sign_in(client, idp)

    user = User.objects.get()
    assert user.email == "ny.medarbejder@kommune.dk"
    assert (user.first_name, user.last_name) == ("Ny", "Medarbejder")
    assert not user.is_superuser and not user.is_staff and not user.has_usable_password()
    assert not RoleGrant.objects.exists()
    assert signed_in(client) == user
    # Every staff page needs a role: the new user lands on their own page.
    assert response["Location"] == reverse("me:page")
    assert SocialAccount.objects.get().uid == "kc-new"
    assert list(EmailAddress.objects.values_list("email", "verified")) == [
        ("ny.medarbejder@kommune.dk", True)
    ]
    created = AuditEntry.objects.get(action="accounts.create_user")
    assert created.actor is None and created.actor_kind == "system"
    assert created.object_id == user.pk
    assert created.detail == {"provider": "sso", "via": "sso"}
    assert created.changes["email"] == [None, "ny.medarbejder@kommune.dk"]
    assert AuditEntry.objects.get(action="auth.sso_login").detail["matched"] == "created"
    page = client.get(response["Location"]).content.decode()
    assert "have no role yet" in page


def test_without_sso_create_users_nobody_is_created_by_default(settings):
    with running_fake_idp(settings):
        assert settings.SSO_CREATE_USERS is False


# --- connecting an identity while signed in ----------------------------------------------


def test_a_signed_in_user_connects_only_an_identity_with_their_own_email(client, idp):
    user = f.user("bente@kommune.dk")
    client.force_login(user)

    idp.sign_in_as("someone.else@kommune.dk")
    response = sign_in(client, idp, process="connect")
    assert response["Location"] == reverse("socialaccount_connections")
    assert not SocialAccount.objects.exists()
    assert AuditEntry.objects.get(action="auth.sso_refused").detail["reason"] == (
        "connect_other_email"
    )

    idp.sign_in_as("Bente@kommune.dk", sub="kc-bente")
    sign_in(client, idp, process="connect")
    assert SocialAccount.objects.get().user == user
    page = client.get(reverse("socialaccount_connections"))
    assert page.status_code == 200
    assert "Testrup login" in page.content.decode()
    # Reached from the user's own page.
    me = client.get(reverse("me:page"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{reverse("socialaccount_connections")}"' in me
    assert "Connected accounts (Testrup login)" in me


# --- the login page and the URLs --------------------------------------------------------------


def test_the_login_page_offers_the_idp_when_configured(client, idp):
    response = client.get(reverse("account_login"))

    html = response.content.decode()
    assert "Sign in with Testrup login" in html
    assert f'action="{LOGIN}?process=login"' in html
    assert 'name="password"' in html  # the email and password form stays
    # The provider's form is redirected to the IdP: the CSP lets it.
    form_action = response["Content-Security-Policy"].split("form-action ")[1].split(";")[0]
    assert form_action.split() == ["'self'", idp.base_url]


def test_unconfigured_there_is_no_button_and_the_provider_urls_404(client, settings):
    use_sso(settings, {})
    # A provider configured in the database is ignored: SSO is configured by environment.
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="sso",
        name="Database IdP",
        client_id="x",
        secret="y",
        settings={"server_url": "https://idp.invalid"},
    )

    html = client.get(reverse("account_login")).content.decode()
    assert "Sign in with" not in html
    assert "Single sign-on" not in html
    assert client.get(LOGIN).status_code == 404
    assert client.post(LOGIN).status_code == 404
    assert client.get(CALLBACK, {"code": "x", "state": "y"}).status_code == 404
    response = client.get(reverse("account_login"))
    assert "form-action 'self';" in response["Content-Security-Policy"] + ";"


# --- settings ---------------------------------------------------------------------------------


def computed(environment: dict[str, str], *, production: bool = False) -> dict:
    env = environ.Env()
    env.ENVIRON = environment
    values = {
        "INSTALLED_APPS": ["allauth", "allauth.account"],
        "PRODUCTION": production,
        "CONTENT_SECURITY_POLICY": {"DIRECTIVES": {"form-action": ["'self'"]}},
    }
    settings_sso.apply(values, env)
    return values


def test_settings_unconfigured():
    values = computed({})
    assert values["SOCIALACCOUNT_PROVIDERS"] == {}
    assert values["SSO_CREATE_USERS"] is False
    assert values["SOCIALACCOUNT_ADAPTER"] == "accounts.sso.StaffSocialAccountAdapter"
    assert values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"] == ["'self'"]
    # Installed either way: one schema whatever the configuration.
    assert values["INSTALLED_APPS"][-2:] == list(settings_sso.SSO_APPS)


def test_settings_from_the_environment():
    values = computed(
        {
            "OIDC_SERVER_URL": "https://login.microsoftonline.com/tenant-id/v2.0/",
            "OIDC_CLIENT_ID": "app-id",
            "OIDC_CLIENT_SECRET": "hemmelig",
            "OIDC_PROVIDER_NAME": "Aarhus Kommune",
            "OIDC_TRUST_EMAIL": "false",
            "OIDC_TOKEN_AUTH_METHOD": "client_secret_post",
            "SSO_CREATE_USERS": "true",
        },
        production=True,
    )
    [app] = values["SOCIALACCOUNT_PROVIDERS"]["openid_connect"]["APPS"]
    assert app == {
        "provider_id": "sso",
        "name": "Aarhus Kommune",
        "client_id": "app-id",
        "secret": "hemmelig",
        "settings": {
            "server_url": "https://login.microsoftonline.com/tenant-id/v2.0",
            "verified_email": False,
            "oauth_pkce_enabled": True,
            "scope": ["openid", "profile", "email"],
            "token_auth_method": "client_secret_post",
        },
    }
    assert values["SSO_CREATE_USERS"] is True
    assert values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"] == [
        "'self'",
        "https://login.microsoftonline.com",
    ]


@pytest.mark.parametrize(
    "environment",
    [{"OIDC_SERVER_URL": "https://idp.kommune.dk"}, {"OIDC_CLIENT_ID": "app-id"}],
)
def test_half_a_configuration_refuses_to_start(environment):
    with pytest.raises(ImproperlyConfigured, match="half configured"):
        computed(environment)


def test_production_refuses_an_idp_without_tls():
    environment = {"OIDC_SERVER_URL": "http://idp.kommune.dk", "OIDC_CLIENT_ID": "app-id"}
    with pytest.raises(ImproperlyConfigured, match="OIDC_SERVER_URL is not https"):
        computed(environment, production=True)
    assert computed(environment)["SOCIALACCOUNT_PROVIDERS"]  # development: allowed


def test_the_fake_idp_hands_out_codes_for_registered_redirect_uris_only():
    provider = FakeOidcProvider(redirect_uris=["http://testserver/cb/"]).start()
    try:
        base = {"client_id": provider.client_id, "response_type": "code", "scope": "openid"}
        bad = requests.get(
            f"{provider.base_url}/authorize",
            params={**base, "redirect_uri": "https://evil.invalid/cb/"},
            allow_redirects=False,
            timeout=10,
        )
        good = requests.get(
            f"{provider.base_url}/authorize",
            params={**base, "redirect_uri": "http://testserver/cb/", "state": "s"},
            allow_redirects=False,
            timeout=10,
        )
    finally:
        provider.stop()
    assert bad.status_code == 400
    assert good.status_code == 302
    query = parse_qs(urlsplit(good.headers["Location"]).query)
    assert query["state"] == ["s"] and query["code"]
