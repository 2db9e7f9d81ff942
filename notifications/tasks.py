"""Delivery tasks. They take ids, lock the row and skip work already done, so a
redelivered or duplicated task is harmless."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.channels import DeliveryError, deliver
from notifications.models import Message

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
SWEEP_BATCH = 2000


def _claim(message_id: int) -> Message | None:
    """Move a due, queued message to 'sending' and return it; None if not ours to send."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != Message.Status.QUEUED:
            return None
        if message.scheduled_for and message.scheduled_for > timezone.now():
            return None
        message.status = Message.Status.SENDING
        message.attempts += 1
        message.save(update_fields=["status", "attempts"])
        return message


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… capped at an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_message(self, message_id: int) -> str:
    message = _claim(message_id)
    if message is None:
        return "skipped"
    try:
        provider_id = deliver(message)
    except DeliveryError as exc:
        if not exc.transient or message.attempts >= MAX_ATTEMPTS:
            Message.objects.filter(pk=message.pk).update(
                status=Message.Status.FAILED, last_error=str(exc)[:2000]
            )
            log.warning("message %s failed for good: %s", message.pk, exc)
            return "failed"
        delay = backoff(message.attempts)
        eager = bool(self.request.is_eager)
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.QUEUED,
            last_error=str(exc)[:2000],
            scheduled_for=timezone.now() + delay,
            # Eagerly (no broker) the sweeper picks the retry up when it is due.
            dispatched_at=None if eager else timezone.now(),
        )
        if eager:
            return "retry-scheduled"
        raise self.retry(countdown=delay.total_seconds(), exc=exc) from exc
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENT, sent_at=timezone.now(), provider_id=provider_id, last_error=""
    )
    return "sent"


@shared_task(acks_late=True)
def sweep_outbox() -> int:
    """Dispatch queued messages with no delivery task in flight: publishing
    failed (broker down), a scheduled time came, or a task was lost long ago."""
    now = timezone.now()
    lost = now - settings.OUTBOX_REDISPATCH_AFTER
    ids = list(
        Message.objects.filter(status=Message.Status.QUEUED)
        .filter(Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now))
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=lost))
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if not ids:
        return 0
    Message.objects.filter(pk__in=ids).update(dispatched_at=now)
    from notifications.services import dispatch_messages

    return dispatch_messages(ids)
