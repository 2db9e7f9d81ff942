"""Message templates are files: emails/<kind>.subject.txt, .txt, .html; sms/<kind>.txt.

They are rendered with plain dict contexts in the recipient's language. Text
parts are rendered with autoescaping off (they are not HTML); the HTML part is
escaped as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template import Context
from django.template.loader import get_template
from django.utils import translation

from notifications.models import Channel


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    body_html: str


def _render_text(name: str, context: dict[str, Any]) -> str:
    template = get_template(name).template  # the engine-level Template
    with_autoescape = Context(context, autoescape=False)
    return template.render(with_autoescape)


def _render_html(name: str, context: dict[str, Any]) -> str:
    return get_template(name).render(context)


def render_message(kind: str, channel: str, language: str, context: dict[str, Any]) -> Rendered:
    with translation.override(language):
        if channel == Channel.SMS:
            body = _render_text(f"sms/{kind}.txt", context).strip()
            return Rendered(subject="", body=body, body_html="")
        subject = " ".join(_render_text(f"emails/{kind}.subject.txt", context).split())
        body = _render_text(f"emails/{kind}.txt", context).strip() + "\n"
        body_html = _render_html(f"emails/{kind}.html", context)
        return Rendered(subject=subject, body=body, body_html=body_html)
