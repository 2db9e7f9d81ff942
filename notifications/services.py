"""Writes to the outbox. Domain code decides what to send and calls these."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.module_loading import import_string

from notifications import webhooks
from notifications.bounces import Bounce
from notifications.inbound import InboundSms
from notifications.models import Channel, InboundMessage, Message, subject_of
from notifications.rendering import Rendered, render_message, render_messages
from notifications.signals import PERMANENT_PROVIDER_CODES, announce_failure
from notifications.templating import CustomText
from pollcrew.bulk import bulk_insert
from pollcrew.redaction import redacted_fields

log = logging.getLogger(__name__)


def queue_message(
    *,
    channel: str,
    to: str,
    kind: str,
    language: str,
    context: dict[str, Any],
    idempotency_key: str,
    subject: Model | None = None,
    scheduled_for: datetime | None = None,
    dispatch: bool = True,
    custom: CustomText | None = None,
) -> Message:
    """Render and store one message; unless it is scheduled for later, hand it to
    a worker after the surrounding transaction commits.

    The same ``idempotency_key`` twice returns the first message: nothing is
    queued (or sent) twice. ``subject`` is what the message is about (stored as
    a generic reference). Pass ``dispatch=False`` when queueing many messages
    and call ``dispatch_on_commit`` once with all their ids. ``custom``: the
    office's own text for this kind of message, instead of the template files.
    """
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    draft = Draft(
        channel, to, kind, language, context, idempotency_key, *subject_of(subject), custom=custom
    )
    now = timezone.now()
    due = scheduled_for is None or scheduled_for <= now
    message = _build(draft, now, scheduled_for)
    try:
        # A savepoint: losing a race for the key must not break the caller's transaction.
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        # Someone else stored this key between our look-up and our insert.
        existing = Message.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise  # another constraint: a real error
        return existing
    if due and dispatch:
        dispatch_on_commit([message.pk])
    return message


@dataclass(frozen=True)
class Draft:
    """One message to render and store."""

    channel: str
    to: str
    kind: str
    language: str
    context: dict[str, Any]
    idempotency_key: str
    subject_type: str = ""
    subject_id: int | None = None
    custom: CustomText | None = None  # the office's own text, instead of the files


def _build(
    draft: Draft,
    now: datetime,
    scheduled_for: datetime | None = None,
    rendered: Rendered | None = None,
) -> Message:
    if rendered is None:
        rendered = render_message(
            draft.kind, draft.channel, draft.language, draft.context, draft.custom
        )
    due = scheduled_for is None or scheduled_for <= now
    return Message(
        channel=draft.channel,
        to=draft.to,
        kind=draft.kind,
        language=draft.language,
        subject=rendered.subject,
        body=rendered.body,
        body_html=rendered.body_html,
        idempotency_key=draft.idempotency_key,
        subject_type=draft.subject_type,
        subject_id=draft.subject_id,
        scheduled_for=scheduled_for,
        dispatched_at=now if due else None,
    )


def queue_prepared_email(
    *, to: str, kind: str, language: str, subject: str, body: str, body_html: str, key: str
) -> Message:
    """An email rendered elsewhere (allauth's account emails to staff): still a row
    in the outbox first, delivered by the same task, dispatched on commit."""
    message = Message.objects.create(
        channel=Channel.EMAIL,
        to=to,
        kind=kind,
        language=language,
        subject=subject,
        body=body,
        body_html=body_html,
        idempotency_key=key,
        dispatched_at=timezone.now(),
    )
    dispatch_on_commit([message.pk])
    return message


def queue_messages(drafts: Sequence[Draft]) -> list[Message]:
    """Many messages in one INSERT (an invitation round), due now. Keys already
    stored are skipped. Not dispatched: call dispatch_on_commit with the ids."""
    keys = [d.idempotency_key for d in drafts]
    stored = set(
        Message.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
    )
    now = timezone.now()
    new = [d for d in drafts if d.idempotency_key not in stored]
    # Rendered once per shape: everyone on a shift differs only in name and link.
    rendered = render_messages([(d.kind, d.channel, d.language, d.context, d.custom) for d in new])
    fresh = [_build(d, now, rendered=r) for d, r in zip(new, rendered, strict=True)]
    return bulk_insert(fresh, batch_size=500)


def dispatch_on_commit(message_ids: Sequence[int]) -> None:
    """Hand the messages to workers once the surrounding transaction commits
    (never, if it rolls back)."""
    ids = list(message_ids)
    if ids:
        transaction.on_commit(lambda: dispatch_messages(ids))


# A round of more messages than this is handed to the workers in chunks: the
# request publishes one task per chunk, and the worker that takes a chunk
# delivers its messages itself (tasks.dispatch_chunk: highest id first, a few
# seconds a run, the rest handed on). Publishing 10,000 tasks took the request
# about 9 s, and a task per message cost the workers more than the sending.
FAN_OUT_FROM = 50
FAN_OUT_CHUNK = 250


def dispatch_messages(message_ids: Sequence[int]) -> int:
    """Publish a delivery task per message (for a large round: a task per chunk of
    FAN_OUT_CHUNK, which delivers them); return how many messages were handed over.

    If publishing fails (the broker is down, or anything else goes wrong), the
    rest are left for the sweeper (dispatched_at cleared) and nothing is lost.
    No exception reaches the caller: this runs after a commit, when the
    caller's work is already done and the messages are safe in the outbox.
    """
    from notifications.tasks import dispatch_chunk

    ids = list(message_ids)
    if len(ids) < FAN_OUT_FROM:
        return publish_deliveries(ids)
    return _publish(ids, dispatch_chunk.delay, FAN_OUT_CHUNK)


def publish_deliveries(message_ids: Sequence[int]) -> int:
    """A delivery task per message (see dispatch_messages)."""
    from notifications.tasks import deliver_message

    return _publish(list(message_ids), lambda chunk: deliver_message.delay(chunk[0]), 1)


def _publish(ids: list[int], send: Callable[[list[int]], object], size: int) -> int:
    for position in range(0, len(ids), size):
        try:
            send(ids[position : position + size])
        except Exception:
            log.exception(
                "could not publish delivery tasks; %d messages left for the sweeper",
                len(ids) - position,
            )
            Message.objects.filter(pk__in=ids[position:], status=Message.Status.QUEUED).update(
                dispatched_at=None
            )
            return position
    return len(ids)


def cancel_queued(message_ids: Sequence[int]) -> int:
    """Cancel messages that have not started sending. Returns how many."""
    cancelled = 0
    with transaction.atomic():
        queued = Message.objects.select_for_update().filter(
            pk__in=list(message_ids), status=Message.Status.QUEUED
        )
        for message in queued.only("pk", "body", "body_html"):
            Message.objects.filter(pk=message.pk).update(
                status=Message.Status.CANCELLED,
                **redacted_fields(message.body, message.body_html),
            )
            cancelled += 1
    return cancelled


_FINAL_STATUSES = (Message.Status.DELIVERED, Message.Status.FAILED, Message.Status.CANCELLED)


def record_bounce(bounce: Bounce) -> bool:
    """Apply an email bounce (``notifications.bounces``): a hard one fails the
    email for good (once) and sends it on the other channel; a soft one changes
    nothing. False if no email has the bounce's key."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(idempotency_key=bounce.key, channel=Channel.EMAIL)
            .first()
        )
        if message is None:
            return False
        if not bounce.hard or message.status not in _BOUNCEABLE:
            return True
        message.status = Message.Status.FAILED
        message.last_error = f"Bounced: {bounce.status} {bounce.diagnostic}".strip()[:500]
        message.save(update_fields=["status", "last_error"])
        announce_failure(message.pk)
        webhooks.message_failed(message)
    return True


_BOUNCEABLE = (Message.Status.SENT, Message.Status.DELIVERED)


def record_delivery_status(
    provider_id: str, provider_status: str, error_code: str = "", message_id: int | None = None
) -> bool:
    """Apply a provider's status callback. Returns False for unknown messages.

    Callbacks may arrive more than once and out of order: a final state
    (delivered, failed) is kept, and the first delivery time stands. A callback
    may also come before the worker has saved the provider's ID (a fast carrier
    answers while the API call is still returning): ``message_id``, from the
    signed callback URL, finds the SMS then, and the ID is saved with the state.
    """
    if not provider_id:
        return False
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(provider_id=provider_id).first()
        if message is None and message_id is not None:
            message = (
                Message.objects.select_for_update()
                .filter(pk=message_id, channel=Channel.SMS, provider_id="")
                .first()
            )
        if message is None:
            return False
        if message.status in _FINAL_STATUSES:
            return True
        now = timezone.now()
        fields = ["provider_id"]
        message.provider_id = provider_id
        if provider_status == "delivered":
            message.status = Message.Status.DELIVERED
            message.delivered_at = now
            message.sent_at = message.sent_at or now
            fields += ["status", "delivered_at", "sent_at"]
        elif provider_status in ("failed", "undelivered"):
            message.status = Message.Status.FAILED
            message.last_error = f"Provider reported {provider_status} (code {error_code or '-'})"
            fields += ["status", "last_error"]
            webhooks.message_failed(message)
            if error_code in PERMANENT_PROVIDER_CODES:
                announce_failure(message.pk)
        message.save(update_fields=fields)
    return True


def receive_inbound_sms(sms: InboundSms) -> InboundMessage | None:
    """Record the SMS and let the handler answer it, in one transaction: if the
    handler fails, nothing is recorded and Twilio's retry tries again. None when
    this SMS was handled already."""
    handler = import_string(settings.INBOUND_SMS_HANDLER)
    try:
        with transaction.atomic():
            record = InboundMessage.objects.create(provider_id=sms.provider_id)
            outcome = handler(sms)
            record.outcome = outcome.outcome
            record.subject_type, record.subject_id = outcome.subject_type, outcome.subject_id
            record.save(update_fields=["outcome", "subject_type", "subject_id"])
    except IntegrityError:
        if InboundMessage.objects.filter(provider_id=sms.provider_id).exists():
            return None  # a retry of one we answered
        raise
    log.info("inbound SMS %s: %s", record.pk, record.outcome)
    return record
