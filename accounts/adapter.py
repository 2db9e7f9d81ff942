from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import get_language

from accounts import audit, devices, limits, mfa
from accounts.models import ActorKind, User
from notifications.services import queue_prepared_email


class OutboxEmail(EmailMultiAlternatives):
    """An account email (password reset…) whose send() puts it in the outbox."""

    kind = "account"

    def send(self, fail_silently: bool = False) -> int:
        html = next((content for content, mime in self.alternatives if mime == "text/html"), "")
        text = self.body if self.content_subtype != "html" else strip_tags(self.body)
        if self.content_subtype == "html":
            html = self.body
        for to in self.to:
            queue_prepared_email(
                to=to,
                kind=self.kind,
                language=get_language() or "da",
                subject=self.subject,
                body=text,
                body_html=html,
                key=f"{self.kind}:{uuid.uuid4().hex}",
            )
        return len(self.to)


SHOW_NEW_CODES = frozenset({"mfa_view_recovery_codes", "mfa_download_recovery_codes"})


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by a municipality admin, never by sign-up, and
    their account emails go through the outbox like every other message.

    Failed sign-ins are limited by accounts.limits (shared cache, three windows,
    a known browser exempt from the account-wide one) instead of allauth's
    "login_failed" limit, which counts every attempt against the account and so
    lets anyone lock its owner out."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    @staticmethod
    def _login(credentials: dict[str, Any]) -> str:
        return str(credentials.get("email") or credentials.get("username") or "")

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Reserve this attempt in the sign-in windows (accounts.limits) before the
        password is checked; refuse it, unchecked, if a window is full."""
        login = self._login(credentials)
        user = User.objects.filter(email__iexact=login.strip()).first() if login else None
        device = devices.device_id(request)
        known = user is not None and device is not None and devices.is_known(user, request)
        attempt = limits.Attempt.of(
            request, login, user_id=user.pk if user else None, device=device if known else None
        )
        over = attempt.reserve()
        request._pc_signin_attempt = attempt  # type: ignore[attr-defined]
        if over:
            if any(count == counter.limit + 1 for counter, count in over):
                # The first refusal in a window is recorded; the rest of an attack
                # would only flood the log.
                audit.record(
                    "auth.login_limited",
                    user,
                    by=None,
                    actor=ActorKind.SYSTEM,
                    ip=audit.client_ip(request),
                    detail={
                        "attempted": login[:254] if "@" in login else "",
                        "windows": sorted(counter.name for counter, _n in over),
                    },
                )
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request: HttpRequest, **credentials: Any):
        user = super().authenticate(request, **credentials)
        attempt = getattr(request, "_pc_signin_attempt", None)
        if user is not None and attempt is not None:
            attempt.succeeded()
        return user

    def get_reset_password_from_key_url(self, key: str) -> str:
        """The reset link is built on SITE_URL, never on the request's Host header
        (which the client chooses)."""
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return settings.SITE_URL + path.replace("UID-KEY", quote(key))

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        # Setting up a first second factor right after signing in: not asked for
        # the password just typed. Changing one that exists always asks (a
        # session taken over must not turn it off or read new recovery codes).
        # The recovery codes just made are shown (and downloadable) once.
        request = context.request
        if app == "allauth.mfa" and mfa.signed_in_moments_ago(request):
            if not mfa.has_second_factor(request.user):
                return False
            match = getattr(request, "resolver_match", None)
            if match and match.url_name in SHOW_NEW_CODES and mfa.just_enrolled(request):
                return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        # The site is named from SITE_URL, never from the request's Host header.
        context = {**context, "site_host": urlsplit(settings.SITE_URL).hostname or ""}
        rendered = super().render_mail(template_prefix, email, context, headers)
        outbox = OutboxEmail(subject=rendered.subject, body=rendered.body, to=rendered.to)
        outbox.content_subtype = rendered.content_subtype
        outbox.alternatives = list(getattr(rendered, "alternatives", []))
        outbox.kind = "account_" + template_prefix.rsplit("/", 1)[-1]
        return outbox
