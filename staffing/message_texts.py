"""An office's own message texts, read side: the default text made editable,
checking a text, the overview of an election's texts, and the preview of a
text for a real recipient with its SMS cost.

A text is plain text with ``{placeholder}``s from its kind's list in the
registry (``staffing.message_kinds``); ``notifications.templating`` fills it.
Writes (save, revert, both audited) are in ``staffing.services.message_texts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Case, QuerySet, When
from django.http import Http404
from django.utils.translation import gettext as _

from accounts import organisation
from accounts.models import User
from accounts.scopes import Capability
from elections.models import Election, Role
from notifications import gsm
from notifications.models import Channel
from notifications.rendering import MAX_SMS_SEGMENTS, Rendered, render_message
from notifications.templating import (
    CustomText,
    as_placeholders,
    fill,
    placeholders_in,
    syntax_errors,
    text_values,
)
from staffing import access, messaging
from staffing.group_messages import SAMPLE_TOKEN
from staffing.links import link_url
from staffing.message_kinds import KINDS, MessageKind, examples, sample_times
from staffing.models import SEAT_HOLDING_STATUSES, Assignment, MessageText

# Who may change an election's texts: those who manage it.
NEED = Capability.MANAGE
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
_STAND_IN = "§{}§"  # GSM-7, so an SMS keeps it as it is


@dataclass(frozen=True)
class Target:
    """Which text: a kind of message on a channel in a language, for the whole
    election or one role."""

    election: Election
    kind: MessageKind
    channel: str
    language: str
    role: Role | None = None

    @property
    def is_sms(self) -> bool:
        return self.channel == Channel.SMS


def get_target_for_user(
    user: User, election_id: int, kind: str, channel: str, language: str, role_id: str | None
) -> Target:
    """The access helper for a message text: an election the user manages, a kind
    in the registry on one of its channels, a language of the product, and a role
    with seats in the election that the user's scope shows; else the uniform 404."""
    election = access.get_election_for_user(user, election_id, NEED)
    registered = KINDS.get(kind)
    if registered is None or channel not in registered.channels or language not in LANGUAGES:
        raise Http404
    role = None
    if role_id:
        if not str(role_id).isdigit():
            raise Http404
        role = roles_of(user, election).filter(pk=int(role_id)).first()
        if role is None:
            raise Http404
    return Target(election, registered, channel, language, role)


def roles_of(user: User, election: Election) -> QuerySet[Role]:
    """The roles with seats in the election that the user manages."""
    shifts = access.election_shifts(user, election, NEED)
    return Role.objects.filter(pk__in=shifts.values("role_id")).order_by("name", "pk")


def saved(target: Target) -> MessageText | None:
    return (
        MessageText.objects.select_related("updated_by")
        .filter(
            election=target.election,
            role=target.role,
            kind=target.kind.name,
            channel=target.channel,
            language=target.language,
        )
        .first()
    )


# --- the default, made editable ---------------------------------------------------------------


def _sample_context(kind: MessageKind) -> dict[str, Any]:
    return {
        **{name: _STAND_IN.format(name) for name in kind.placeholders},
        **sample_times(),
    }


def default_text(kind: MessageKind, channel: str, language: str) -> CustomText:
    """The default files' text of ``kind`` as editable text: rendered for a sample
    whose names are stand-ins and whose times are known, then each stand-in and
    each formatted time turned back into its placeholder."""
    context = _sample_context(kind)
    rendered = render_message(kind.name, channel, language, context)
    times = text_values(sample_times(), language)
    time_names = [name for name in kind.placeholders if name in times]

    def editable(text: str) -> str:
        for name in kind.placeholders:
            text = text.replace(_STAND_IN.format(name), f"{{{name}}}")
        return as_placeholders(text, times, time_names)

    return CustomText(editable(rendered.subject), editable(rendered.body).strip())


# --- checking a text --------------------------------------------------------------------------


def text_errors(target: Target, subject: str, body: str) -> dict[str, list[str]]:
    """What is wrong with a text for ``target``, by field ("subject", "body");
    nothing: an empty dict."""
    kind = target.kind
    errors: dict[str, list[str]] = {}
    allowed = kind.placeholders
    if not body.strip():
        errors["body"] = [_("Write the text, or go back to the default.")]
    else:
        body_errors = syntax_errors(body, allowed)
        missing = [name for name in kind.required if name not in placeholders_in(body)]
        if missing:
            body_errors.append(
                _("The text must include %(names)s: without it the person cannot answer.")
                % {"names": ", ".join(f"{{{name}}}" for name in missing)}
            )
        if not body_errors and target.is_sms:
            sms = _example_sms(target, body)
            if gsm.segments(sms) > MAX_SMS_SEGMENTS:
                body_errors.append(
                    _(
                        "With the example values this SMS takes %(segments)s segments; at "
                        "most %(most)s are allowed (%(gsm)s characters, or %(ucs)s if it "
                        "holds characters outside GSM-7). Shorten the text."
                    )
                    % {
                        "segments": gsm.segments(sms),
                        "most": MAX_SMS_SEGMENTS,
                        "gsm": MAX_SMS_SEGMENTS * 153,
                        "ucs": MAX_SMS_SEGMENTS * 67,
                    }
                )
        if body_errors:
            errors["body"] = body_errors
    if target.is_sms:
        if subject.strip():
            errors["subject"] = [_("An SMS has no subject.")]
    elif not subject.strip():
        errors["subject"] = [_("An email needs a subject.")]
    elif problems := syntax_errors(subject, allowed):
        errors["subject"] = problems
    return errors


def _example_sms(target: Target, body: str) -> str:
    """``body`` filled with the examples, as an SMS spells it."""
    return gsm.to_gsm7(fill(body, examples(target.language)).strip())


# --- the overview -----------------------------------------------------------------------------


@dataclass
class Cell:
    channel: str
    language: str
    own: MessageText | None = None
    roles: list[MessageText] = field(default_factory=list)


@dataclass
class Row:
    kind: MessageKind
    cells: list[Cell]


def overview(election: Election) -> list[Row]:
    """Every kind with, per channel and language, whether the election has its
    own text and which roles have theirs: one query."""
    texts = list(
        MessageText.objects.filter(election=election)
        .select_related("role")
        .order_by("role__name", "pk")
    )
    rows = []
    for kind in KINDS.values():
        cells = []
        for channel in kind.channels:
            for language in LANGUAGES:
                mine = [
                    t
                    for t in texts
                    if (t.kind, t.channel, t.language) == (kind.name, channel, language)
                ]
                own = next((t for t in mine if t.role_id is None), None)
                cells.append(Cell(channel, language, own, [t for t in mine if t.role_id]))
        rows.append(Row(kind, cells))
    return rows


# --- preview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsCost:
    characters: int
    unicode: bool
    segments: int

    @property
    def encoding(self) -> str:
        return "UCS-2" if self.unicode else "GSM-7"


@dataclass
class Preview:
    errors: dict[str, list[str]]
    recipient: Assignment | None = None
    rendered: Rendered | None = None
    cost: SmsCost | None = None


def recipients(user: User, target: Target, limit: int = 50) -> QuerySet[Assignment]:
    """People the preview can be shown for: seats of the election (of the role,
    for a role's text) in the user's scope, held or invited, in the text's
    language first, by name."""
    seats = (
        access.election_shifts(user, target.election, NEED)
        .filter(**({"role": target.role} if target.role else {}))
        .values("pk")
    )
    other_language = Case(When(volunteer__language=target.language, then=0), default=1)
    return (
        Assignment.objects.filter(shift__in=seats, status__in=SEAT_HOLDING_STATUSES)
        .select_related("volunteer", "shift__election", "shift__station", "shift__role")
        .order_by(other_language, "volunteer__sort_name", "volunteer_id", "shift__starts_at", "pk")[
            :limit
        ]
    )


def _context_for(target: Target, seat: Assignment | None) -> dict[str, Any]:
    sample = {
        **{
            name: value
            for name, value in examples(target.language).items()
            if name in target.kind.placeholders
        },
        **sample_times(),
        "municipality": organisation.current().name,
    }
    if seat is None:
        return sample
    real = messaging.assignment_context(seat, SAMPLE_TOKEN)
    # "Before" of a move or a change is not the person's: the examples stand for it.
    return {**sample, **real, "link": link_url(SAMPLE_TOKEN)}


def preview(target: Target, subject: str, body: str, seat: Assignment | None) -> Preview:
    """The text as ``seat``'s holder would get it (the examples without one), or
    what is wrong with it; an SMS with its characters, encoding and segments."""
    errors = text_errors(target, subject, body)
    if errors:
        return Preview(errors, seat)
    custom = CustomText(subject if not target.is_sms else "", body)
    language = target.language
    rendered = render_message(
        target.kind.name, target.channel, language, _context_for(target, seat), custom
    )
    cost = None
    if target.is_sms:
        sms = rendered.body
        cost = SmsCost(len(sms), not gsm.is_gsm7(sms), gsm.segments(sms))
    return Preview({}, seat, rendered, cost)
