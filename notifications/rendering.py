"""Message templates are files: emails/<kind>.subject.txt, .txt, .html; sms/<kind>.txt.

They are rendered with plain dict contexts in the recipient's language. Text
parts are rendered with autoescaping off (they are not HTML); the HTML part is
escaped as usual.

SMS bodies are kept to the GSM-7 alphabet where the text allows it, and to
``MAX_SMS_SEGMENTS`` segments: when long names would push a body over, the
longest free-text fields are shortened (never the link). See ``notifications.gsm``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template import Context
from django.template.loader import get_template
from django.utils import translation

from notifications.gsm import overflow, to_gsm7
from notifications.models import Channel

MAX_SMS_SEGMENTS = 2
# Context fields an SMS may shorten to fit. The link, dates and times never are.
SHORTENABLE_SMS_FIELDS = (
    "station_address",
    "role",
    "station",
    "election",
    "first_name",
    "municipality",
)
_ELLIPSIS = "..."  # GSM-7; "…" is not
_SHORTEST = 16  # a shortened field keeps at least this many characters


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


def _sms_body(kind: str, context: dict[str, Any]) -> str:
    return to_gsm7(_render_text(f"sms/{kind}.txt", context).strip())


def _shortened(value: str, length: int) -> str:
    return value[: length - len(_ELLIPSIS)].rstrip(" ,.-(/") + _ELLIPSIS


def render_sms(kind: str, context: dict[str, Any]) -> str:
    """The SMS body, within MAX_SMS_SEGMENTS if shortening names can make it fit.

    The longest field is cut first, down to the length of the next longest, so
    that several long names end up evenly shortened rather than one of them gone.
    """
    context = dict(context)
    body = _sms_body(kind, context)
    candidates = {name for name in SHORTENABLE_SMS_FIELDS if isinstance(context.get(name), str)}
    while candidates and (excess := overflow(body, MAX_SMS_SEGMENTS)):
        ranked = sorted(candidates, key=lambda name: len(context[name]), reverse=True)
        name, value = ranked[0], context[ranked[0]]
        lower = [len(context[other]) for other in ranked[1:] if len(context[other]) < len(value)]
        target = max(len(value) - excess, lower[0] if lower else 0, _SHORTEST)
        if target >= len(value):
            candidates.discard(name)
            continue
        context[name] = _shortened(value, target)
        shorter = _sms_body(kind, context)
        if shorter == body:  # the template does not use this field
            context[name] = value
            candidates.discard(name)
            continue
        body = shorter
    return body


def render_message(kind: str, channel: str, language: str, context: dict[str, Any]) -> Rendered:
    with translation.override(language):
        if channel == Channel.SMS:
            return Rendered(subject="", body=render_sms(kind, context), body_html="")
        subject = " ".join(_render_text(f"emails/{kind}.subject.txt", context).split())
        body = _render_text(f"emails/{kind}.txt", context).strip() + "\n"
        body_html = _render_html(f"emails/{kind}.html", context)
        return Rendered(subject=subject, body=body, body_html=body_html)
