"""Email bounces: a delivery status notification (RFC 3464) that says an email
we sent could not be delivered, handed to ``views.email_bounce`` by the mail
server (a pipe from the bounce address) or a provider's relay.

A DSN is a ``multipart/report; report-type=delivery-status`` email: a text
part for people, a ``message/delivery-status`` part with one block per
recipient (``Action: failed``, ``Status: 5.1.1``, ``Diagnostic-Code: …``), and
the returned message or its headers. Our emails carry ``X-Pollcrew-Message``
(the message's idempotency key) to find the message the bounce is about.

A **hard** bounce (``Action: failed`` with a 5.x.x status: no such mailbox, the
domain does not exist, refused for good) fails the message for good, which
sends it on the volunteer's other channel (``signals.message_failed``); a
**soft** one (4.x.x: a full mailbox, a server down) changes nothing: the
mail server retries it itself.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage

HEADER = "X-Pollcrew-Message"
_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")


@dataclass(frozen=True)
class Bounce:
    key: str  # the idempotency key of the message it is about
    hard: bool
    status: str  # "5.1.1"
    diagnostic: str  # the receiving server's words, if any


def _returned_key(report: EmailMessage) -> str:
    """X-Pollcrew-Message of the returned message (or of its returned headers)."""
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if inner is not None and inner.get(HEADER):
                return str(inner[HEADER]).strip()
        elif kind == "text/rfc822-headers":
            headers = email.message_from_string(part.get_content(), policy=email.policy.default)
            if headers.get(HEADER):
                return str(headers[HEADER]).strip()
    return ""


def _recipient_blocks(report: EmailMessage) -> list[dict[str, str]]:
    """The per-recipient fields of the delivery-status part (lower-case names)."""
    for part in report.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            return []
        # The first block is about the report itself; the others, one per recipient.
        return [{k.lower(): str(v) for k, v in block.items()} for block in blocks[1:]]
    return []


def parse_bounce(raw: bytes) -> Bounce | None:
    """The bounce in ``raw`` (a whole DSN email), or None if it is no DSN, says
    nothing failed, or is not about one of our messages."""
    try:
        report = email.message_from_bytes(raw, policy=email.policy.default)
        if report.get_content_type() != "multipart/report":
            return None
        key = _returned_key(report)
        blocks = _recipient_blocks(report) if key else []
    except (ValueError, LookupError, TypeError, IndexError):  # garbage: not a bounce
        return None
    for block in blocks:
        status = block.get("status", "").split()[0] if block.get("status") else ""
        match = _STATUS.match(status)
        if block.get("action", "").strip().lower() != "failed" or not match:
            continue
        diagnostic = " ".join(block.get("diagnostic-code", "").split())[:300]
        return Bounce(key=key, hard=match.group(1) == "5", status=status, diagnostic=diagnostic)
    return None
