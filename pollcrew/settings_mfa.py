"""Settings for multi-factor sign-in (allauth.mfa), applied at the end of
pollcrew/settings.py: ``apply(globals(), env)``.

Staff sign in with their email and password, then a code from an authenticator
app (TOTP), a security key or passkey (WebAuthn), or one of their recovery codes;
or with a passkey alone (MFA_PASSKEY_LOGIN_ENABLED). ``MFA_REQUIRED`` (on by
default in production, off in the demo) makes admins and coordinators enrol:
until they have an authenticator, every staff page, the Django admin's included,
sends them to the enrolment page (``accounts.mfa.RequireMFAEnrolment``).
"""

from __future__ import annotations

from typing import Any

import environ

ENROLMENT_MIDDLEWARE = "accounts.mfa.RequireMFAEnrolment"


def apply(settings: dict[str, Any], env: environ.Env) -> None:
    apps: list[str] = settings["INSTALLED_APPS"]
    if "allauth.mfa" not in apps:
        # Right after allauth.account: its admin registration comes before
        # accounts.admin's (which may replace it).
        apps.insert(apps.index("allauth.account") + 1, "allauth.mfa")

    middleware: list[str] = settings["MIDDLEWARE"]
    if ENROLMENT_MIDDLEWARE not in middleware:
        after = middleware.index("allauth.account.middleware.AccountMiddleware")
        middleware.insert(after + 1, ENROLMENT_MIDDLEWARE)

    # Admins and coordinators must use a second factor (accounts.mfa.must_use_mfa).
    settings["MFA_REQUIRED"] = env.bool("MFA_REQUIRED", default=settings["PRODUCTION"])

    settings["MFA_ADAPTER"] = "accounts.mfa.StaffMFAAdapter"
    settings["MFA_FORMS"] = {
        "authenticate": "accounts.mfa.SignInCodeForm",
        "reauthenticate": "accounts.mfa.ConfirmCodeForm",
        "activate_totp": "accounts.mfa.ActivateAppForm",
    }
    # Security keys and passkeys (WebAuthn, through fido2) as well as the app. The
    # relying party is the host the page was opened on (request.get_host(), so one
    # of ALLOWED_HOSTS): a key works on that name only. Browsers refuse an IP
    # address, so the demo is opened as http://localhost:8000 to add one; http is
    # accepted for localhost only (fido2 checks the origin as the browser does),
    # everywhere else it takes https.
    settings["MFA_SUPPORTED_TYPES"] = ["totp", "recovery_codes", "webauthn"]
    # Never skip the origin check (allauth's switch would accept a signature made
    # for any site, in development too): http://localhost needs no exception.
    settings["MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN"] = False
    # A passkey (a key that asks for its PIN, fingerprint or face) may sign in on
    # its own, without the password: it is both factors. Off: keys are a second
    # step only.
    settings["MFA_PASSKEY_LOGIN_ENABLED"] = env.bool("MFA_PASSKEY_LOGIN_ENABLED", default=True)
    # The name authenticator apps show next to the account (the email address).
    settings["MFA_TOTP_ISSUER"] = env.str(
        "MFA_TOTP_ISSUER", default=_issuer(settings["MUNICIPALITY_NAME"])
    )
    # A code is accepted one 30-second step early or late (clock drift, a slow
    # typist); each code is accepted once (allauth marks it used in the cache).
    settings["MFA_TOTP_TOLERANCE"] = env.int("MFA_TOTP_TOLERANCE", default=1)
    settings["MFA_RECOVERY_CODE_COUNT"] = 10
    # No "trust this browser" cookie: every sign-in asks for the second factor.
    settings["MFA_TRUST_ENABLED"] = False


def _issuer(municipality: str) -> str:
    return "Pollcrew" if municipality == "Pollcrew" else f"{municipality} · Pollcrew"
