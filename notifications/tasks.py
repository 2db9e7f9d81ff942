"""Delivery tasks. They take ids, lock the row and skip work already done, so a
redelivered or duplicated task is harmless."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Task, shared_task
from celery.exceptions import Reject
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from notifications.channels import DeliveryError, deliver
from notifications.models import Message
from notifications.signals import announce_failure
from pollcrew.redaction import redacted_fields, scrub

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
SWEEP_BATCH = 2000
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
# A task may run a moment before the time it was scheduled for: ETA rounding, or
# the clocks of two hosts. Within this margin a message counts as due.
EARLY_MARGIN = timedelta(seconds=2)

Status = Message.Status


def _claim(message_id: int) -> Message | None:
    """Move a due, queued message to 'sending' and return it; None if not ours to send."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != Status.QUEUED:
            return None
        now = timezone.now()
        if message.scheduled_for and message.scheduled_for > now + EARLY_MARGIN:
            # Not due yet. Whoever dispatched it early, no task is in flight for
            # it any more: the sweeper sends it when it is due.
            if message.dispatched_at is not None:
                message.dispatched_at = None
                message.save(update_fields=["dispatched_at"])
            return None
        message.status = Status.SENDING
        message.attempts += 1
        message.claimed_at = now
        message.save(update_fields=["status", "attempts", "claimed_at"])
        return message


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… capped at an hour."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def _after_failure(task: Task, message: Message, exc: Exception, *, transient: bool) -> str:
    """Fail for good, or put the message back in the queue with a backoff."""
    # Stored and logged scrubbed: provider errors quote the number ("Invalid 'To'
    # Phone Number: +4512…") and the body's link.
    error = scrub(str(exc))[:2000] or type(exc).__name__
    if not transient or message.attempts >= MAX_ATTEMPTS:
        Message.objects.filter(pk=message.pk).update(
            status=Status.FAILED,
            last_error=error,
            **redacted_fields(message.body, message.body_html),
        )
        log.warning("message %s failed for good: %s", message.pk, error)
        if not transient:  # the address itself was refused: try the other channel
            announce_failure(message.pk)
        return "failed"
    delay = backoff(message.attempts)
    # Run in-process (eagerly, or called as a function) there is no broker to
    # retry through: the sweeper picks the message up when it is due.
    inline = bool(task.request.is_eager or task.request.called_directly)
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        status=Status.QUEUED,
        last_error=error,
        scheduled_for=now + delay,
        dispatched_at=None if inline else now,
    )
    if inline:
        return "retry-scheduled"
    try:
        raise task.retry(countdown=delay.total_seconds(), exc=exc)
    except Reject:
        # Publishing the retry failed (broker gone): leave it to the sweeper.
        Message.objects.filter(pk=message.pk, status=Status.QUEUED).update(dispatched_at=None)
        raise


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_message(self: Task, message_id: int) -> str:
    message = _claim(message_id)
    if message is None:
        return "skipped"
    try:
        provider_id = deliver(message)
    except DeliveryError as exc:
        return _after_failure(self, message, exc, transient=exc.transient)
    except Exception as exc:
        # A bug or an error nobody classified. The message must not stay in
        # 'sending' for ever: retry with backoff, and log the traceback.
        log.exception("message %s: unexpected error while sending", message.pk)
        return _after_failure(self, message, exc, transient=True)
    now = timezone.now()
    redacted = redacted_fields(message.body, message.body_html)
    sent = Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=now, provider_id=provider_id, last_error="", **redacted
    )
    if not sent:
        # The provider's status callback came first (delivered, or failed after
        # all): its state stands; add what only the sender knows.
        Message.objects.filter(pk=message.pk).update(
            sent_at=Coalesce(F("sent_at"), Value(now)), provider_id=provider_id, **redacted
        )
    return "sent"


def requeue_interrupted() -> int:
    """Put back messages left in 'sending' by a worker that died mid-send.

    Whether such a message went out is unknown; sending it again risks a
    duplicate, where leaving it risks losing it. Nothing is lost: it is retried
    (up to MAX_ATTEMPTS claims in all).
    """
    cutoff = timezone.now() - settings.OUTBOX_REDISPATCH_AFTER
    stale = Message.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff)
    note = "Interrupted while sending; "
    failed = 0
    for message in stale.filter(attempts__gte=MAX_ATTEMPTS).only("pk", "body", "body_html"):
        # Failed for good: the stored copy keeps no live link.
        failed += Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
            status=Status.FAILED,
            last_error=note + "no attempts left",
            **redacted_fields(message.body, message.body_html),
        )
    requeued = stale.update(
        status=Status.QUEUED, dispatched_at=None, last_error=note + "sending again"
    )
    if failed or requeued:
        log.warning("outbox: %d interrupted messages re-queued, %d failed", requeued, failed)
    return requeued


@shared_task(acks_late=True)
def sweep_outbox() -> int:
    """Dispatch queued messages with no delivery task in flight: publishing
    failed (broker down), a scheduled time came, a task was lost long ago, or a
    worker died while sending."""
    requeue_interrupted()
    now = timezone.now()
    lost = now - settings.OUTBOX_REDISPATCH_AFTER
    ids = list(
        Message.objects.filter(status=Status.QUEUED)
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
