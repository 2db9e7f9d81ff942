"""Message templates are files: emails/<kind>.subject.txt, .txt, .html; sms/<kind>.txt.

They are rendered with plain dict contexts in the recipient's language. Text
parts are rendered with autoescaping off (they are not HTML); the HTML part is
escaped as usual. An office's own text for a message (``templating.CustomText``)
takes the files' place: it is filled in, never run as a template, and its HTML
email is made from the text (``templating.fill_html``) in the same layout.

SMS bodies are kept to the GSM-7 alphabet where the text allows it, and to
``MAX_SMS_SEGMENTS`` segments: when long names would push a body over, the
least important name fields are shortened at a word boundary (never the link),
and symbols GSM-7 cannot spell (emoji) are dropped from names. See
``notifications.gsm``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.template import Context
from django.template.loader import get_template
from django.utils import translation
from django.utils.html import escape

from notifications.gsm import is_gsm7, overflow, to_gsm7
from notifications.models import Channel
from notifications.templating import CustomText, fill, fill_html, text_values

MAX_SMS_SEGMENTS = 2
# Context fields an SMS may shorten to fit, the least important first: the first
# is cut as far as it takes (at a word boundary) before the next is touched. The
# link, dates and times never are; the volunteer's page has every name in full.
SHORTENABLE_SMS_FIELDS = (
    "election",
    "municipality",
    "station_address",
    "role",
    "station",
    "first_name",
)
_NAMES = frozenset(SHORTENABLE_SMS_FIELDS) | {"old_role", "old_station", "old_station_address"}
_ELLIPSIS = "..."  # GSM-7; "…" is not
_SHORTEST = 16  # a shortened field keeps at least this many characters
# Characters dropped from names in an SMS when GSM-7 has nothing like them: emoji,
# pictographs and other symbols (one 🏫 in a station's name would make every SMS
# UCS-2, 70 characters a segment). Letters of other scripts are kept: they are a name.
_DROPPED_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn", "Mn", "Me", "Cf"})


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


# The layout an office's own email text is shown in (the text, escaped, in paragraphs).
CUSTOM_EMAIL_HTML = "emails/custom.html"


def _sms_body(kind: str, context: dict[str, Any], custom: CustomText | None = None) -> str:
    if custom is not None:
        text = fill(custom.body, text_values(context, translation.get_language()))
    else:
        text = _render_text(f"sms/{kind}.txt", context)
    return to_gsm7(text.strip())


def sms_name(value: str) -> str:
    """A name as an SMS shows it: GSM-7 spellings where there are any ("Zoë" →
    "Zoe", a typographic dash → "-"), symbols without one (emoji) dropped, spaces
    collapsed."""
    spelled = to_gsm7(value)
    if is_gsm7(spelled):
        return spelled
    kept = "".join(
        ch for ch in spelled if is_gsm7(ch) or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    return " ".join(kept.split())


def shorten_at_word(value: str, length: int, *, mid_word: bool = False) -> str:
    """``value`` cut to at most ``length`` characters with "..." at the end, at
    the last word boundary that fits; "" if none does (unless ``mid_word``: then
    a single long word is cut where it must be). ``value`` itself if it fits."""
    if len(value) <= length:
        return value
    room = max(length - len(_ELLIPSIS), 1)
    cut = value[:room]
    if value[room] != " " and not cut.endswith(" "):  # the cut falls inside a word
        boundary = cut.rfind(" ")
        if boundary > 0:
            cut = cut[:boundary]
        elif not mid_word:
            return ""
    cut = cut.rstrip(" ,.-(/:;")
    return cut + _ELLIPSIS if cut else ""


def _shorten_fields(
    kind: str, context: dict[str, Any], body: str, custom: CustomText | None, *, mid_word: bool
) -> str:
    """Shorten the name fields, least important first, until the body fits."""
    for name in SHORTENABLE_SMS_FIELDS:
        value = context.get(name)
        if not isinstance(value, str):
            continue
        while (excess := overflow(body, MAX_SMS_SEGMENTS)) and len(value) > _SHORTEST:
            target = max(len(value) - excess, _SHORTEST)
            shorter_value = shorten_at_word(value, target, mid_word=mid_word)
            if not shorter_value or len(shorter_value) >= len(value):
                break
            context[name] = shorter_value
            shorter = _sms_body(kind, context, custom)
            if shorter == body:  # the template does not use this field
                context[name] = value
                break
            body, value = shorter, shorter_value
        if not overflow(body, MAX_SMS_SEGMENTS):
            break
    return body


def render_sms(kind: str, context: dict[str, Any], custom: CustomText | None = None) -> str:
    """The SMS body, within MAX_SMS_SEGMENTS if shortening names can make it fit.

    Names are first spelled in GSM-7 (sms_name). Then, while the body is too
    long, the least important field longer than _SHORTEST is shortened at a word
    boundary, as far as needed or as far as it goes, before the next one. Only
    if that is not enough is a long single word cut.
    """
    context = {
        name: sms_name(value) if name in _NAMES and isinstance(value, str) else value
        for name, value in context.items()
    }
    body = _sms_body(kind, context, custom)
    if overflow(body, MAX_SMS_SEGMENTS):
        body = _shorten_fields(kind, context, body, custom, mid_word=False)
    if overflow(body, MAX_SMS_SEGMENTS):
        body = _shorten_fields(kind, context, body, custom, mid_word=True)
    return body


def _render_custom_email(custom: CustomText, context: dict[str, Any]) -> Rendered:
    values = text_values(context, translation.get_language())
    subject = " ".join(fill(custom.subject, values).split())
    body = fill(custom.body, values).strip() + "\n"
    body_html = _render_html(
        CUSTOM_EMAIL_HTML,
        {
            "subject": subject,
            "paragraphs": fill_html(custom.body, values),
            "municipality": context.get("municipality", ""),
        },
    )
    return Rendered(subject=subject, body=body, body_html=body_html)


def render_message(
    kind: str,
    channel: str,
    language: str,
    context: dict[str, Any],
    custom: CustomText | None = None,
) -> Rendered:
    """The message of ``kind`` for ``context`` in ``language``: from the files,
    or from the office's own text ``custom``."""
    with translation.override(language):
        if channel == Channel.SMS:
            return Rendered(subject="", body=render_sms(kind, context, custom), body_html="")
        if custom is not None:
            return _render_custom_email(custom, context)
        subject = " ".join(_render_text(f"emails/{kind}.subject.txt", context).split())
        body = _render_text(f"emails/{kind}.txt", context).strip() + "\n"
        body_html = _render_html(f"emails/{kind}.html", context)
        return Rendered(subject=subject, body=body, body_html=body_html)


# --- many messages at once ----------------------------------------------------------

# The context fields that differ between the messages of one round (everything
# else is the same for everyone on a shift): rendered once per shape with a
# stand-in, then put in per message.
_PER_PERSON = ("first_name", "link")
_STAND_IN = "§{}§"  # GSM-7, and nothing a template escapes


Item = tuple[str, str, str, dict[str, Any], CustomText | None]


def _shape(kind: str, channel: str, language: str, context: dict[str, Any], custom) -> tuple:
    rest = tuple(sorted((k, repr(v)) for k, v in context.items() if k not in _PER_PERSON))
    return (kind, channel, language, rest, custom)


def _fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace(_STAND_IN.format(name), value)
    return text


def _filled(shape_rendered: Rendered, context: dict[str, Any], channel: str) -> Rendered:
    raw = {name: str(context.get(name, "")) for name in _PER_PERSON}
    if channel == Channel.SMS:
        text = {**raw, "first_name": sms_name(raw["first_name"])}
        return Rendered("", _fill(shape_rendered.body, text), "")
    html = {name: escape(value) for name, value in raw.items()}
    return Rendered(
        " ".join(_fill(shape_rendered.subject, raw).split()),
        _fill(shape_rendered.body, raw),
        _fill(shape_rendered.body_html, html),
    )


def render_messages(items: list[Item]) -> list[Rendered]:
    """``render_message`` for many (kind, channel, language, context, custom) at once, as
    an invitation round needs: the messages that differ only in the recipient's
    first name and link (everyone invited to one shift, in one language, on one
    channel) are rendered once, with stand-ins, and filled in. Each shape's first
    message is also rendered in full and compared: a template that treats a name
    or a link in any other way than printing it, or an SMS that a long name would
    push over its budget, is rendered message by message."""
    shapes: dict[tuple, Rendered | None] = {}
    out: list[Rendered] = []
    for kind, channel, language, context, custom in items:
        key = _shape(kind, channel, language, context, custom)
        if key not in shapes:
            stand_ins = {name: _STAND_IN.format(name) for name in _PER_PERSON}
            shaped = render_message(kind, channel, language, {**context, **stand_ins}, custom)
            full = render_message(kind, channel, language, context, custom)
            shapes[key] = shaped if _filled(shaped, context, channel) == full else None
            out.append(full)
            continue
        shaped = shapes[key]
        rendered = _filled(shaped, context, channel) if shaped is not None else None
        if rendered is None or (
            channel == Channel.SMS and overflow(rendered.body, MAX_SMS_SEGMENTS)
        ):
            rendered = render_message(kind, channel, language, context, custom)
        out.append(rendered)
    return out
