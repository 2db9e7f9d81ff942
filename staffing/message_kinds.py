"""The registry of the messages volunteers get: each kind's name, when it is
sent, its channels and the placeholders an office's own text may use.

The default texts are the files ``templates/sms/<kind>.txt`` and
``templates/emails/<kind>.{subject.txt,txt,html}``, in Danish and English
(gettext); ``staffing.message_texts`` turns a default into editable text and
finds an office's own text when a message is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from notifications.models import Channel
from notifications.templating import Placeholder, text_values
from staffing import messaging

# --- placeholders ---------------------------------------------------------------------------

_NAMES: tuple[Placeholder, ...] = (
    Placeholder("first_name", _("The person's first name"), "Anna"),
    Placeholder("election", _("The election's name"), _("Parliamentary election 2027")),
    Placeholder("municipality", _("The municipality's name"), _("Aarhus Municipality")),
    Placeholder("link", _("The person's personal link (answer, see shifts)"), ""),
    Placeholder("role", _("The role of the seat"), _("Polling officer")),
    Placeholder("station", _("The polling station"), _("North School")),
    Placeholder("station_address", _("The polling station's address"), "Skolevej 1, 8200 Aarhus N"),
    Placeholder("when", _("Day and times of the shift"), ""),
    Placeholder("day", _("Day of the shift"), ""),
    Placeholder("date", _("Date of the shift, without the weekday and year"), ""),
    Placeholder("day_short", _("Day of the shift, short (for SMS)"), ""),
    Placeholder("start", _("Start time"), ""),
    Placeholder("end", _("End time"), ""),
    Placeholder("respond_by", _("Answer-by date"), ""),
    Placeholder("respond_by_short", _("Answer-by date, short (for SMS)"), ""),
    Placeholder("old_role", _("The role before the change"), _("Counter")),
    Placeholder("old_station", _("The polling station before the change"), _("South Hall")),
    Placeholder(
        "old_station_address",
        _("The polling station's address before the change"),
        "Sydvej 2, 8000 Aarhus C",
    ),
    Placeholder("old_when", _("Day and times before the change"), ""),
    Placeholder("old_day", _("Day before the change"), ""),
    Placeholder("old_date", _("Date before the change, without the weekday and year"), ""),
    Placeholder("old_day_short", _("Day before the change, short (for SMS)"), ""),
    Placeholder("old_start", _("Start time before the change"), ""),
    Placeholder("old_end", _("End time before the change"), ""),
    Placeholder(
        "claim_link",
        _("The link to claim an offered seat"),
        "https://pollcrew.example/v/offer/claim-link/",
    ),
    Placeholder("claim_by", _("When the offer runs out"), _("2 March at 14:30")),
    Placeholder("claim_by_short", _("When the offer runs out, short (for SMS)"), "2/3 14:30"),
)
PLACEHOLDERS: dict[str, Placeholder] = {p.name: p for p in _NAMES}

# Times of the examples (and of the sample a default text is rendered with to make
# it editable): every formatted value differs from the others.
_SAMPLE_TIMES = {
    "starts_at": (2027, 3, 16, 7, 30),
    "ends_at": (2027, 3, 16, 20, 45),
    "old_starts_at": (2027, 3, 15, 8, 15),
    "old_ends_at": (2027, 3, 15, 21, 10),
    "respond_by": (2027, 3, 2, 23, 59),
}
EXAMPLE_LINK = "https://pollcrew.example/v/personal-link/"


def sample_times() -> dict[str, datetime]:
    zone = timezone.get_current_timezone()
    return {name: datetime(*parts, tzinfo=zone) for name, parts in _SAMPLE_TIMES.items()}


def examples(language: str) -> dict[str, str]:
    """Each placeholder's example value in ``language``."""
    with translation.override(language):
        names = {p.name: str(p.example) for p in _NAMES if p.example}
    return text_values({**names, "link": EXAMPLE_LINK, **sample_times()}, language)


_COMMON = ("first_name", "election", "municipality", "link")
_SHIFT = (
    "role",
    "station",
    "station_address",
    "when",
    "day",
    "date",
    "day_short",
    "start",
    "end",
)
_RESPOND = ("respond_by", "respond_by_short")
_OLD = tuple(f"old_{name}" for name in _SHIFT)
_OFFER = ("first_name", "election", "municipality")
_CLAIM = ("claim_link", "claim_by", "claim_by_short")

# --- kinds -----------------------------------------------------------------------------------

BOTH = (Channel.SMS, Channel.EMAIL)


@dataclass(frozen=True)
class MessageKind:
    name: str
    label: Any  # lazy translations
    sent_when: Any
    placeholders: tuple[str, ...]
    channels: tuple[str, ...] = BOTH
    # Placeholders an office's text must keep: the person cannot answer without the link.
    required: tuple[str, ...] = ()


_KINDS = (
    MessageKind(
        messaging.INVITATION,
        _("Invitation"),
        _("When someone is invited to a seat."),
        _COMMON + _SHIFT + _RESPOND,
        required=("link",),
    ),
    MessageKind(
        messaging.INVITATION_REMINDER,
        _("Invitation reminder"),
        _("When an invitation is still unanswered after the election's reminder days."),
        _COMMON + _SHIFT + _RESPOND,
        required=("link",),
    ),
    MessageKind(
        messaging.ACCEPTED,
        _("Accepted"),
        _("Confirms a seat: accepted by the person or assigned by the office."),
        _COMMON + _SHIFT,
    ),
    MessageKind(
        messaging.DECLINED,
        _("Declined"),
        _("Acknowledges a declined invitation."),
        _COMMON + _SHIFT,
    ),
    MessageKind(
        messaging.WITHDRAWN,
        _("Withdrawn"),
        _("Acknowledges that someone withdrew from a seat they had accepted."),
        _COMMON + _SHIFT,
    ),
    MessageKind(
        messaging.SHIFT_REMINDER,
        _("Shift reminder"),
        _("The election's reminder days before an accepted shift."),
        _COMMON + _SHIFT,
    ),
    MessageKind(
        messaging.SHIFT_MORNING,
        _("Morning SMS"),
        _("On the morning of an accepted shift, if the election sends it."),
        _COMMON + _SHIFT,
        channels=(Channel.SMS,),
    ),
    MessageKind(
        messaging.MOVED,
        _("Moved"),
        _("When the office moves someone to another seat: before and now."),
        _COMMON + _SHIFT + _OLD,
    ),
    MessageKind(
        messaging.SHIFT_CHANGED,
        _("Shift changed"),
        _("To everyone on a shift whose time, station or role changed: before and now."),
        _COMMON + _SHIFT + _OLD,
    ),
    MessageKind(
        messaging.REMOVED,
        _("Removed"),
        _("When the office takes someone off a seat."),
        _COMMON + _SHIFT,
    ),
    MessageKind(
        messaging.EXPIRED,
        _("Invitation expired"),
        _("When the answer-by date passed without an answer and the seat went back."),
        _COMMON + _SHIFT + _RESPOND,
    ),
    MessageKind(
        messaging.INVITATION_WITHDRAWN,
        _("Invitation withdrawn"),
        _("To open invitations when the election closes."),
        _COMMON + _SHIFT,
    ),
    MessageKind(
        messaging.SEAT_OFFER,
        _("Seat offer (standby)"),
        _(
            "When a seat frees up: to the next people on its standby list, with a link to "
            "claim it and a deadline."
        ),
        _OFFER + _SHIFT + _CLAIM,
        required=("claim_link",),
    ),
    MessageKind(
        messaging.OFFER_TAKEN,
        _("Offered seat taken"),
        _("When someone else claimed an offered seat first; the person stays on the list."),
        _COMMON + _SHIFT,
    ),
    MessageKind(
        messaging.SIGNUP_HELD,
        _("Sign-up received"),
        _("When someone signs up for a seat that the election office must approve."),
        _COMMON + _SHIFT,
    ),
    MessageKind(
        messaging.SIGNUP_REFUSED,
        _("Sign-up not approved"),
        _("When the election office does not give someone the seat they signed up for."),
        _COMMON + _SHIFT,
    ),
    MessageKind(
        messaging.NEW_LINK,
        _("New personal link"),
        _("When the office issues a new personal link (the old ones stop working)."),
        _COMMON,
        required=("link",),
    ),
)
KINDS: dict[str, MessageKind] = {kind.name: kind for kind in _KINDS}


def placeholders_of(kind: MessageKind) -> list[Placeholder]:
    return [PLACEHOLDERS[name] for name in kind.placeholders]
