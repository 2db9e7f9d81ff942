"""What notifications tells the rest of the project, without knowing it.

``message_failed`` is sent (after the commit that recorded it) when a message
failed for good for a reason that lies with the recipient's address: a number
that does not exist or has unsubscribed (21211, 21610…), an email address the
server refuses (5xx). The domain answers with the volunteer's other channel
(staffing.fallback). Failures that say nothing about the address (exhausted
retries during an outage, our own configuration) are not announced.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger(__name__)

#: sender=Message, message_id=int
message_failed = Signal()

# Twilio codes of a status callback that say the number cannot get SMS at all:
# unsubscribed (21610), not a mobile number (21614), blocked (30004), unknown or
# inactive (30005), a landline or unreachable carrier (30006).
PERMANENT_PROVIDER_CODES = frozenset({"21610", "21614", "30004", "30005", "30006"})


def announce_failure(message_id: int) -> None:
    """Send ``message_failed`` once the surrounding transaction commits. A
    receiver's error is logged, never raised into the sender's work."""

    def send() -> None:
        from notifications.models import Message

        for receiver, result in message_failed.send_robust(sender=Message, message_id=message_id):
            if isinstance(result, Exception):
                log.error(
                    "message %s: %r failed on message_failed",
                    message_id,
                    receiver,
                    exc_info=result,
                )

    transaction.on_commit(send)
