"""Single sign-on for staff users: OpenID Connect through allauth.socialaccount
(configured by environment in pollcrew/settings_sso.py).

The IdP proves who someone is; Pollcrew decides whether that is a staff user:

- an IdP identity connected before signs in its staff user;
- otherwise the IdP's verified email is matched, case-insensitively, to an
  existing staff user, and the identity is connected to that user;
- an email no staff user has is refused, with a message saying whom to ask,
  unless ``SSO_CREATE_USERS`` allows creating a staff user, who then has no role;
- roles never come from the IdP: an admin grants them in Pollcrew. A user with
  no role lands on their own page (/me/), which says so, not on a 404.

Whether an email counts as verified is the IdP's ``email_verified`` claim, or,
with ``OIDC_TRUST_EMAIL`` (a single-tenant directory whose addresses IT sets),
any email the IdP gives. Superusers are never matched by email: they connect
their identity themselves, signed in, on the connections page.

Audit log: ``auth.sso_login`` when an IdP identity is accepted for a staff user
(``matched``: account, email or created; Django's ``auth.login`` follows when the
session starts), ``auth.sso_refused`` with the reason and the address tried,
``auth.sso_failed`` when the exchange with the IdP fails, and
``accounts.create_user`` for a user made by SSO.
"""

from __future__ import annotations

from typing import Any, NoReturn

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import ActorKind, User
from accounts.scopes import scope_of
from pollcrew.text import strip_controls


def configured_provider_name() -> str:
    """The IdP's name when single sign-on is configured ("" otherwise)."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    return str(apps[0]["name"]) if apps else ""


def verified_email(sociallogin: SocialLogin) -> str:
    """The first address the IdP gave that counts as verified, lower-cased ("" if none)."""
    for address in sociallogin.email_addresses:
        if address.verified and address.email:
            return address.email.strip().lower()
    return ""


def _provider_name(sociallogin: SocialLogin) -> str:
    return str(sociallogin.provider.name)


def _detail(sociallogin: SocialLogin, **more: Any) -> dict[str, Any]:
    return {"provider": sociallogin.account.provider, **more}


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):
    """Staff users sign in with the municipality's IdP; see the module docstring."""

    # --- which IdPs: the environment's only ------------------------------------------

    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id=None
    ) -> list[SocialApp]:
        """The apps configured by environment (SOCIALACCOUNT_PROVIDERS). SocialApp
        rows in the database are ignored: SSO is configured in one place, the
        same place that opens the CSP's form-action to the IdP."""
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        return [app for app in apps if app.pk is None]

    # --- who may sign in ----------------------------------------------------------------

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        process = sociallogin.state.get("process") or AuthProcess.LOGIN
        if process == AuthProcess.CONNECT:
            self._check_connect(request, sociallogin)
            return
        if process != AuthProcess.LOGIN:  # "redirect": an IdP round trip that signs nobody in
            self._refuse(
                request,
                sociallogin,
                "unsupported",
                _("Sign in with %(provider)s from the login page.")
                % {"provider": _provider_name(sociallogin)},
            )
        if sociallogin.is_existing:
            user = sociallogin.user
            self._check_active(request, sociallogin, user)
            self._accepted(request, sociallogin, user, matched="account")
            return
        email = verified_email(sociallogin)
        if not email:
            self._refuse(
                request,
                sociallogin,
                "no_verified_email",
                _(
                    "%(provider)s did not give a verified email address, so you could not "
                    "be matched to a staff user. Ask your IT department, or log in with "
                    "your email and password."
                )
                % {"provider": _provider_name(sociallogin)},
            )
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            self._check_active(request, sociallogin, user)
            if user.is_superuser:
                # Whoever controls an address at the IdP must not become a
                # superuser by it: superusers connect their identity themselves,
                # signed in (with their second factor), on the connections page.
                self._refuse(
                    request,
                    sociallogin,
                    "superuser_not_matched",
                    _(
                        "Administrators are not matched by email. Log in with your email "
                        "and password, then connect your %(provider)s account on your "
                        "account page."
                    )
                    % {"provider": _provider_name(sociallogin)},
                    attempted=email,
                    user=user,
                )
            with transaction.atomic():
                sociallogin.connect(request, user)
                self._accepted(request, sociallogin, user, matched="email")
            return
        if not self.is_open_for_signup(request, sociallogin):
            self._refuse(
                request,
                sociallogin,
                "unknown_email",
                _(
                    "%(email)s is not a staff user here. Ask a municipality admin to add "
                    "you, then sign in with %(provider)s again."
                )
                % {"email": email, "provider": _provider_name(sociallogin)},
                attempted=email,
            )
        # SSO_CREATE_USERS: allauth signs the user up at once (save_user below).

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return bool(getattr(settings, "SSO_CREATE_USERS", False))

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """Never a sign-up form: a user is created from the IdP's verified email."""
        return True

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict) -> Any:
        for address in sociallogin.email_addresses:  # stored as staff emails are: lower-case
            address.email = address.email.strip().lower()
        user = super().populate_user(request, sociallogin, data)
        user.email = verified_email(sociallogin)
        # Names from the IdP are shown on staff pages and in the audit log.
        user.first_name = strip_controls(user.first_name or "")[:150]
        user.last_name = strip_controls(user.last_name or "")[:150]
        # Whatever the IdP says, a new user is no admin and has no role.
        user.is_staff = False
        user.is_superuser = False
        return user

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form=None) -> User:
        """A staff user created by SSO (only with SSO_CREATE_USERS): no password,
        no role; audited as a user creation by the system."""
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            audit.record(
                "accounts.create_user",
                user,
                by=None,
                actor=ActorKind.SYSTEM,
                changes=audit.created(user, ["email", "first_name", "last_name"]),
                detail=_detail(sociallogin, via="sso"),
                ip=audit.client_ip(request),
            )
            self._accepted(request, sociallogin, user, matched="created")
        return user

    # --- failures -------------------------------------------------------------------------

    def on_authentication_error(
        self, request: HttpRequest, provider, error=None, exception=None, extra_context=None
    ) -> None:
        """The exchange with the IdP failed (cancelled, an error from the IdP, a bad
        state or token). Only the kind of failure is kept: an exception's text
        may quote what the IdP answered."""
        audit.record(
            "auth.sso_failed",
            by=None,
            actor=ActorKind.SYSTEM,
            ip=audit.client_ip(request),
            detail={
                "provider": getattr(provider, "sub_id", str(provider)),
                "error": str(error or ""),
                "exception": type(exception).__name__ if exception else "",
            },
        )

    # --- helpers --------------------------------------------------------------------------

    def _check_connect(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """A signed-in user connecting an IdP account (the connections page): only
        an identity with their own verified email."""
        user = request.user if request.user.is_authenticated else None
        email = verified_email(sociallogin)
        if user is None:
            self._refuse(
                request,
                sociallogin,
                "connect_signed_out",
                _("Log in first, then connect your %(provider)s account.")
                % {"provider": _provider_name(sociallogin)},
                attempted=email,
            )
        if sociallogin.is_existing or (email and email == user.email.lower()):
            return  # allauth refuses an identity connected to someone else
        self._refuse(
            request,
            sociallogin,
            "connect_other_email",
            _("You can connect a %(provider)s account with your own email address only.")
            % {"provider": _provider_name(sociallogin)},
            attempted=email,
            user=user,
            to="socialaccount_connections",
        )

    def _check_active(self, request: HttpRequest, sociallogin: SocialLogin, user: User) -> None:
        if not user.is_active:
            self._refuse(
                request,
                sociallogin,
                "inactive",
                _("This staff user is deactivated. Ask a municipality admin."),
                user=user,
            )

    def _accepted(
        self, request: HttpRequest, sociallogin: SocialLogin, user: User, *, matched: str
    ) -> None:
        audit.record(
            "auth.sso_login",
            user,
            by=user,
            ip=audit.client_ip(request),
            detail=_detail(sociallogin, uid=sociallogin.account.uid, matched=matched),
        )
        if not scope_of(user).roles():
            # Every staff page needs a role (a 404 without one): land on the
            # user's own page, which says so, not on an empty 404.
            messages.info(
                request,
                _("You are signed in, but have no role yet: a municipality admin grants roles."),
            )
            sociallogin.state["next"] = reverse("me:page")

    def _refuse(
        self,
        request: HttpRequest,
        sociallogin: SocialLogin,
        reason: str,
        message: str,
        *,
        attempted: str = "",
        user: User | None = None,
        to: str = "account_login",
    ) -> NoReturn:
        audit.record(
            "auth.sso_refused",
            user,
            by=None,
            actor=ActorKind.SYSTEM,
            ip=audit.client_ip(request),
            detail=_detail(sociallogin, reason=reason, attempted=attempted),
        )
        messages.error(request, message)
        raise ImmediateHttpResponse(redirect(to))
