"""Incoming SMS: what a reply says, for the domain code that answers it.

notifications knows no invitations: the webhook (notifications.views) checks
Twilio's signature, records the message once per provider ID, and hands it to
the handler named by ``INBOUND_SMS_HANDLER`` (staffing.inbound.answer_sms).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from pollcrew.text import strip_controls


class Answer(StrEnum):
    YES = "yes"
    NO = "no"


# First word of a reply, folded (case and accents): what it answers.
_WORDS = {"ja": Answer.YES, "yes": Answer.YES, "nej": Answer.NO, "no": Answer.NO}
_FIRST_WORD = re.compile(r"\s*(\w+)(.*)", re.S)
_SEPARATORS = " \t\r\n,.;:!?-\u2013\u2014"  # and the en and em dashes
MAX_REST = 500


@dataclass(frozen=True)
class InboundSms:
    provider_id: str
    sender: str  # E.164, as Twilio sends it
    body: str


def fold(text: str) -> str:
    """Lower case without accents: "NÉJ" and "nej" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def parse_answer(body: str) -> tuple[Answer | None, str]:
    """The answer a reply gives ("JA", "nej tak, jeg er syg", "Yes!") and the text
    after the first word (a decline's reason). (None, "") when the first word is
    neither yes nor no."""
    match = _FIRST_WORD.match(body)
    if match is None:
        return None, ""
    answer = _WORDS.get(fold(match[1]))
    if answer is None:
        return None, ""
    rest = strip_controls(match[2]).strip(_SEPARATORS)
    return answer, " ".join(rest.split())[:MAX_REST]


@dataclass(frozen=True)
class Outcome:
    """What the handler did with an SMS (InboundMessage.Outcome) and whom it was from."""

    outcome: str
    subject_type: str = ""
    subject_id: int | None = None
