from __future__ import annotations

import uuid
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest
from django.utils.html import strip_tags
from django.utils.translation import get_language

from accounts import devices, limits, mfa
from accounts.models import User
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
        login = self._login(credentials)
        user = User.objects.filter(email__iexact=login.strip()).first() if login else None
        known = user is not None and devices.is_known(user, request)
        if limits.blocked(request, login, known_device=known):
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request: HttpRequest, **credentials: Any):
        user = super().authenticate(request, **credentials)
        if user is not None:
            limits.record_success(request, self._login(credentials))
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        limits.record_failure(request, self._login(credentials))

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        # Sent to enrol a second factor right after signing in: not asked for
        # the password just typed (allauth's usual confirmation applies later).
        if app == "allauth.mfa" and mfa.signed_in_moments_ago(context.request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        rendered = super().render_mail(template_prefix, email, context, headers)
        outbox = OutboxEmail(subject=rendered.subject, body=rendered.body, to=rendered.to)
        outbox.content_subtype = rendered.content_subtype
        outbox.alternatives = list(getattr(rendered, "alternatives", []))
        outbox.kind = "account_" + template_prefix.rsplit("/", 1)[-1]
        return outbox
