"""Settings for single sign-on with OpenID Connect (allauth.socialaccount),
applied at the end of pollcrew/settings.py: ``apply(globals(), env)``.

SSO is optional and configured by environment only: with ``OIDC_SERVER_URL`` and
``OIDC_CLIENT_ID`` set, the login page offers "Sign in with <OIDC_PROVIDER_NAME>"
next to the email and password form (which stays). The IdP (a municipality's
Entra ID, ADFS or Keycloak) proves who someone is; Pollcrew decides whether that
is a staff user (accounts.sso): by the IdP's verified email, matched to an
existing staff user, never by creating one unless ``SSO_CREATE_USERS`` says so,
and never with a role: roles are granted by an admin in Pollcrew.

The socialaccount apps are installed whether or not SSO is configured: one
database schema whatever the configuration (turning SSO on or off is a restart,
never a migration, and connected identities survive it), and the code that runs
in production is the code the tests run. Unconfigured, there is no provider: the
login page shows no button and the provider's URLs answer 404.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

SSO_APPS = ("allauth.socialaccount", "allauth.socialaccount.providers.openid_connect")
# The URL segment of the provider: /accounts/oidc/<OIDC_PROVIDER_ID>/login/callback/
# is the redirect URI to register at the IdP.
DEFAULT_PROVIDER_ID = "sso"


def origin(url: str) -> str:
    """scheme://host[:port] of a URL (what a CSP source names)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def apply(settings: dict[str, Any], env: environ.Env) -> None:
    installed = settings["INSTALLED_APPS"]
    installed += [app for app in SSO_APPS if app not in installed]

    server_url = env.str("OIDC_SERVER_URL", default="").strip().rstrip("/")
    client_id = env.str("OIDC_CLIENT_ID", default="").strip()
    if bool(server_url) != bool(client_id):
        missing = "OIDC_CLIENT_ID" if server_url else "OIDC_SERVER_URL"
        raise ImproperlyConfigured(
            f"Single sign-on is half configured: set {missing} too (or neither)."
        )
    enabled = bool(server_url)
    if enabled and urlsplit(server_url).scheme not in ("http", "https"):
        raise ImproperlyConfigured(
            "OIDC_SERVER_URL must be the IdP's https:// issuer or discovery URL."
        )
    if enabled and settings.get("PRODUCTION") and urlsplit(server_url).scheme != "https":
        # allauth trusts the ID token because it comes straight from the token
        # endpoint over TLS (OpenID Connect Core 3.1.3.7): http would let anyone
        # on the way sign in as anyone.
        problem = "OIDC_SERVER_URL is not https: single sign-on needs TLS to the IdP."
        if not env.bool("POLLCREW_ALLOW_UNSAFE_PRODUCTION", default=False):
            raise ImproperlyConfigured(f"DJANGO_ENV=production refuses to start:\n  {problem}")
        sys.stderr.write(f"UNSAFE PRODUCTION (POLLCREW_ALLOW_UNSAFE_PRODUCTION): {problem}\n")

    # Staff users the IdP knows but Pollcrew does not are refused unless this is
    # on; users created this way have no role until an admin grants one.
    settings["SSO_CREATE_USERS"] = env.bool("SSO_CREATE_USERS", default=False)

    settings["SOCIALACCOUNT_ADAPTER"] = "accounts.sso.StaffSocialAccountAdapter"
    # Matching by email is done by the adapter, not by allauth's
    # SOCIALACCOUNT_EMAIL_AUTHENTICATION: allauth would wipe the password of a
    # matched user without a verified EmailAddress row (every staff user an admin
    # made), and staff keep their password to sign in when the IdP is down.
    settings["SOCIALACCOUNT_EMAIL_AUTHENTICATION"] = False
    settings["SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT"] = False
    # A user created by SSO (only with SSO_CREATE_USERS) is created at once from
    # the IdP's verified email: never a sign-up form.
    settings["SOCIALACCOUNT_AUTO_SIGNUP"] = True
    settings["SOCIALACCOUNT_EMAIL_REQUIRED"] = True
    settings["SOCIALACCOUNT_QUERY_EMAIL"] = True
    settings["SOCIALACCOUNT_EMAIL_VERIFICATION"] = "none"
    # Sign-in starts with a POST (CSRF-protected), never a GET.
    settings["SOCIALACCOUNT_LOGIN_ON_GET"] = False
    # The IdP's tokens are used once to learn who signed in, then forgotten.
    settings["SOCIALACCOUNT_STORE_TOKENS"] = False
    settings["SOCIALACCOUNT_REQUESTS_TIMEOUT"] = env.int("OIDC_TIMEOUT_SECONDS", default=10)

    providers: dict[str, Any] = {}
    if enabled:
        app_settings: dict[str, Any] = {
            "server_url": server_url,
            # By default an email counts only when the ID token / userinfo says
            # email_verified=true. OIDC_TRUST_EMAIL=true trusts every email the
            # IdP gives: right for a single-tenant directory whose addresses the
            # IT department sets (Entra ID and ADFS send no email_verified), wrong
            # for any IdP where users can set their own address (a multi-tenant
            # Entra app: the "nOAuth" takeover).
            "verified_email": env.bool("OIDC_TRUST_EMAIL", default=False),
            "oauth_pkce_enabled": env.bool("OIDC_PKCE", default=True),
            "scope": env.list("OIDC_SCOPES", default=["openid", "profile", "email"]),
        }
        token_auth_method = env.str("OIDC_TOKEN_AUTH_METHOD", default="")
        if token_auth_method:  # client_secret_post or client_secret_basic
            app_settings["token_auth_method"] = token_auth_method
        providers["openid_connect"] = {
            "APPS": [
                {
                    "provider_id": env.str("OIDC_PROVIDER_ID", default=DEFAULT_PROVIDER_ID),
                    "name": env.str("OIDC_PROVIDER_NAME", default="SSO"),
                    "client_id": client_id,
                    "secret": env.str("OIDC_CLIENT_SECRET", default=""),
                    "settings": app_settings,
                }
            ]
        }
        # The provider's login form posts here and is redirected to the IdP:
        # Chromium checks form-action on that redirect too. (An IdP whose
        # authorisation endpoint is on another host: add it to CSP_FORM_ACTION.)
        form_action = settings["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"]
        if origin(server_url) not in form_action:
            form_action.append(origin(server_url))
    settings["SOCIALACCOUNT_PROVIDERS"] = providers
