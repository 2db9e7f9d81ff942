"""Texts an office writes itself: plain text with ``{placeholder}``s.

The default texts of every message are Django templates in files
(``templates/emails/``, ``templates/sms/``). An office may replace one with its
own text (``CustomText``); that text is *not* a template: it is plain text in
which ``{name}`` stands for a value of the message, and nothing else is
interpreted. It cannot reach into models, settings or template tags: the values
are strings made here from the message's plain dict context, in the
recipient's language (``text_values``). Which names a kind of message offers is
the domain's business (``staffing.message_kinds``); this module only knows the
syntax, the values and how a text is filled.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.html import escape, urlize
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# The value whose placeholder becomes a link in an HTML email.
LINK = "link"


@dataclass(frozen=True)
class CustomText:
    """An office's own text for one kind of message, channel and language."""

    subject: str
    body: str


@dataclass(frozen=True)
class Placeholder:
    """A name a text may use: what it stands for, and a value to show as an example."""

    name: str
    description: Any  # a lazy translation
    example: Any


def placeholders_in(text: str) -> list[str]:
    """The placeholder names ``text`` uses, in order, each once."""
    return list(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(text)))


def syntax_errors(text: str, allowed: Collection[str]) -> list[str]:
    """What is wrong with ``text``'s placeholders (nothing: an empty list):
    template syntax, curly brackets without a partner, unknown names."""
    errors = []
    if "{{" in text or "{%" in text:
        errors.append(
            _(
                "Template code ({{ … }}, {% … %}) cannot be used here. Write plain text, "
                "with placeholders in single curly brackets: {first_name}."
            )
        )
        return errors
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        errors.append(
            _(
                "A curly bracket has no partner. Write placeholders as {first_name}, "
                "and no curly brackets otherwise."
            )
        )
    unknown = [name for name in placeholders_in(text) if name not in allowed]
    if unknown:
        errors.append(
            _("Unknown placeholder: %(unknown)s. You can use: %(known)s.")
            % {
                "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{name}}}" for name in allowed),
            }
        )
    return errors


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by its value (unknown ones kept)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def fill_html(text: str, values: dict[str, str]) -> str:
    """``text`` as the paragraphs of an HTML email: the office's own words
    escaped (with web addresses made links), each value escaped, ``{link}`` a
    link, blank lines between paragraphs, line breaks kept."""
    out: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        out.append(urlize(text[position : match.start()], autoescape=True))
        name = match.group(1)
        if name in values:
            value = escape(values[name])
            out.append(f'<a href="{value}">{value}</a>' if name == LINK else value)
        else:
            out.append(escape(match.group(0)))
        position = match.end()
    out.append(urlize(text[position:], autoescape=True))
    html = "".join(out).replace("\r\n", "\n").strip()
    paragraphs = re.split(r"\n\s*\n", html)
    return "\n".join(f"<p>{p.strip().replace(chr(10), '<br>')}</p>" for p in paragraphs if p)


# --- values ------------------------------------------------------------------------------


def _day_format() -> str:
    return pgettext("weekday-date format of a shift, Django date syntax", "l j F Y")


def _day_month_format() -> str:
    return pgettext("day-month date format, Django date syntax", "j F")


SHORT_DATE = "j/n"
TIME = "H:i"


def _when(starts_at: datetime, ends_at: datetime) -> str:
    text = render_to_string("emails/_when.txt", {"starts_at": starts_at, "ends_at": ends_at})
    return " ".join(text.split())


def _times(prefix: str, starts_at: datetime, ends_at: datetime) -> dict[str, str]:
    starts_at, ends_at = timezone.localtime(starts_at), timezone.localtime(ends_at)
    return {
        f"{prefix}when": _when(starts_at, ends_at),
        f"{prefix}day": formats.date_format(starts_at, _day_format()),
        f"{prefix}date": formats.date_format(starts_at, _day_month_format()),
        f"{prefix}day_short": formats.date_format(starts_at, SHORT_DATE),
        f"{prefix}start": formats.time_format(starts_at, TIME),
        f"{prefix}end": formats.time_format(ends_at, TIME),
    }


def text_values(context: dict[str, Any], language: str) -> dict[str, str]:
    """The placeholders' values for a message's context, in ``language``: its
    strings as they are, a shift's times (``starts_at``/``ends_at``, and the
    same with ``old_``) as ``when``, ``day``, ``date``, ``day_short``, ``start``
    and ``end``, and ``respond_by`` as a date (and ``respond_by_short``)."""
    values = {name: value for name, value in context.items() if isinstance(value, str)}
    with translation.override(language):
        for prefix in ("", "old_"):
            starts_at, ends_at = context.get(f"{prefix}starts_at"), context.get(f"{prefix}ends_at")
            if isinstance(starts_at, datetime) and isinstance(ends_at, datetime):
                values.update(_times(prefix, starts_at, ends_at))
        respond_by = context.get("respond_by")
        if isinstance(respond_by, date):
            if isinstance(respond_by, datetime):
                respond_by = timezone.localtime(respond_by)
            values["respond_by"] = formats.date_format(respond_by, _day_month_format())
            values["respond_by_short"] = formats.date_format(respond_by, SHORT_DATE)
    return values


def as_placeholders(text: str, values: dict[str, str], names: Iterable[str]) -> str:
    """``text`` with the values of ``names`` turned back into placeholders, the
    longest value first (a default text rendered for an example, made editable)."""
    pairs = sorted(
        ((values[name], name) for name in names if values.get(name)),
        key=lambda pair: -len(pair[0]),
    )
    for value, name in pairs:
        text = text.replace(value, f"{{{name}}}")
    return text
