from __future__ import annotations

import uuid
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest
from django.utils.html import strip_tags
from django.utils.translation import get_language

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
    their account emails go through the outbox like every other message."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

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
