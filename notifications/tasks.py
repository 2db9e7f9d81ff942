"""Delivery tasks. They take ids, lock the row and skip work already done, so a
redelivered or duplicated task is harmless."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Reject, SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Min, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from notifications import ratelimit, webhooks
from notifications.channels import DeliveryError, deliver, find_sent
from notifications.models import Channel, Message
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
# A sending slot this close is waited for in the task; a later one runs the task
# again at that time (or, run in-process, leaves the message to the sweeper).
MAX_INLINE_WAIT = 1.0

# A delivery task stops (soft limit: an error, retried) and is stopped (hard limit:
# the process is killed) well before OUTBOX_INTERRUPTED_AFTER, so that a message
# still in 'sending' after that long is certainly not being sent by anyone.
HARD_TIME_LIMIT = max(2, int(settings.OUTBOX_INTERRUPTED_AFTER.total_seconds() * 5 / 6))
SOFT_TIME_LIMIT = max(1, int(HARD_TIME_LIMIT * 0.85))

Status = Message.Status


@dataclass(frozen=True)
class Claim:
    message: Message
    # When an earlier attempt picked the message up, if one did: that attempt may
    # have reached the provider (a worker killed mid-send, a timeout, an error
    # after the provider had accepted the message).
    earlier: datetime | None


def _claim(message_id: int, seen: Pending | None = None) -> Claim | None:
    """Move a due, queued message to 'sending' and return it; None if not ours to send.

    ``seen``: the message as read a moment ago (status queued, its attempts and
    claimed_at). If it is unchanged, it is claimed in one statement; otherwise (or
    if it is not due) under a row lock, as below."""
    if seen is not None and "attempts" in seen:
        claim = _claim_unchanged(message_id, seen)
        if claim is not None:
            return claim
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
        earlier = message.claimed_at if message.attempts else None
        message.status = Status.SENDING
        message.attempts += 1
        message.claimed_at = now
        message.save(update_fields=["status", "attempts", "claimed_at"])
        return Claim(message, earlier)


@cache
def _claim_sql(vendor: str) -> str:
    """UPDATE … RETURNING the claimed message (PostgreSQL; SQLite 3.35 and later).
    Names come from the model; every value is a parameter."""
    q = connection.ops.quote_name
    table = q(Message._meta.db_table)
    columns = ", ".join(q(f.column) for f in Message._meta.concrete_fields)
    status, attempts, scheduled = q("status"), q("attempts"), q("scheduled_for")
    return (
        f"UPDATE {table} SET {status} = %s, {attempts} = {attempts} + 1, "  # noqa: S608
        f"{q('claimed_at')} = %s WHERE {q('id')} = %s AND {status} = %s AND {attempts} = %s "
        f"AND ({scheduled} IS NULL OR {scheduled} <= %s) RETURNING {columns}"
    )


def _claim_unchanged(message_id: int, seen: Pending) -> Claim | None:
    """Claim a due message still queued with the attempts it was seen with: one
    statement, no transaction. Its earlier claim is the one that was seen (only a
    claim sets claimed_at, and every claim counts an attempt)."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        Status.SENDING.value,
        adapt(now),
        message_id,
        Status.QUEUED.value,
        seen["attempts"],
        adapt(now + EARLY_MARGIN),
    ]
    claimed = list(Message.objects.raw(_claim_sql(connection.vendor), params))
    if not claimed:
        return None
    return Claim(claimed[0], seen["claimed_at"] if seen["attempts"] else None)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… capped at an hour."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


# Publishes a delivery task for one message, to run ``countdown`` seconds from now
# (a retry after a transient error, or a sending slot further ahead than
# MAX_INLINE_WAIT): ``later(message_id, countdown, slot=…, exc=…)``. Called after
# the message was marked as dispatched; if publishing fails it clears that mark
# (the sweeper sends the message) and, in a task retried through the broker,
# raises Reject.
Later = Callable[..., None]


def _retried(task: Task) -> Later:
    """``later`` for a delivery task: the task itself is run again (Task.retry)."""

    def later(
        message_id: int,
        countdown: float,
        *,
        slot: float | None = None,
        exc: Exception | None = None,
    ) -> None:
        try:
            raise task.retry(
                args=(message_id,),
                kwargs={} if slot is None else {"slot": slot},
                countdown=countdown,
                exc=exc,
                max_retries=None,
            )
        except Reject:
            # Publishing the retry failed (broker gone): leave it to the sweeper.
            Message.objects.filter(pk=message_id, status=Status.QUEUED).update(dispatched_at=None)
            raise

    return later


def _published(
    message_id: int, countdown: float, *, slot: float | None = None, exc: Exception | None = None
) -> None:
    """``later`` for a message of a chunk: a delivery task of its own is published
    (the chunk goes on with its other messages)."""
    Message.objects.filter(pk=message_id, status=Status.QUEUED).update(picked_at=None)
    try:
        deliver_message.apply_async(
            (message_id,), {} if slot is None else {"slot": slot}, countdown=countdown
        )
    except Exception:
        log.exception("message %s: could not publish its task; left to the sweeper", message_id)
        Message.objects.filter(pk=message_id, status=Status.QUEUED).update(dispatched_at=None)


def _after_failure(
    task: Task, message: Message, exc: Exception, *, transient: bool, later: Later
) -> str:
    """Fail for good, or put the message back in the queue with a backoff."""
    # Stored and logged scrubbed: provider errors quote the number ("Invalid 'To'
    # Phone Number: +4512…") and the body's link.
    error = scrub(str(exc))[:2000] or type(exc).__name__
    if not transient or message.attempts >= MAX_ATTEMPTS:
        with transaction.atomic():
            Message.objects.filter(pk=message.pk).update(
                status=Status.FAILED,
                last_error=error,
                **redacted_fields(message.body, message.body_html),
            )
            webhooks.message_failed(message)
        log.warning("message %s failed for good: %s", message.pk, error)
        if not transient:  # the address itself was refused: try the other channel
            announce_failure(message.pk)
        return "failed"
    delay = backoff(message.attempts)
    # Run in-process (eagerly, or called as a function) there is no broker to
    # retry through: the sweeper picks the message up when it is due.
    inline = _inline(task)
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        status=Status.QUEUED,
        last_error=error,
        scheduled_for=now + delay,
        dispatched_at=None if inline else now,
        picked_at=None,
    )
    if not inline:
        later(message.pk, delay.total_seconds(), exc=exc)
    return "retry-scheduled"


def _inline(task: Task) -> bool:
    return bool(task.request.is_eager or task.request.called_directly)


# A queued message as a task reads it first: what _pace needs, and what _claim
# needs to claim it in one statement if nothing changed meanwhile.
PENDING_FIELDS = ("channel", "scheduled_for", "attempts", "claimed_at")
Pending = dict[str, Any]


def _pending(message_id: int) -> Pending | None:
    return (
        Message.objects.filter(pk=message_id, status=Status.QUEUED).values(*PENDING_FIELDS).first()
    )


def _pace(
    task: Task, message_id: int, slot: float | None, pending: Pending | None, later: Later
) -> str | None:
    """Wait for the channel's sending slot (notifications.ratelimit). Returns None to
    send now, or what the task did instead: waiting for a slot is not an attempt.
    ``pending``: the message as read when the task started (None: not queued)."""
    if pending is None:
        return "skipped"
    now = timezone.now()
    due = pending["scheduled_for"]
    if slot is not None:
        # Booked before (this is the task run again for it): not a moment early,
        # even if the broker runs it early.
        time.sleep(min(max(slot - time.time(), 0.0), MAX_INLINE_WAIT))
        return None
    if due is not None and due > now + EARLY_MARGIN:
        return None  # not due yet: _claim hands it to the sweeper
    booking = ratelimit.reserve(pending["channel"], now=now)
    if booking.now:
        return None
    if booking.not_before is None and booking.wait <= MAX_INLINE_WAIT:
        time.sleep(booking.wait)
        return None
    at = booking.not_before or now + timedelta(seconds=booking.wait)
    inline = _inline(task)
    # Over the daily cap the task is not kept waiting in the broker for hours:
    # the sweeper sends the message when the day turns.
    in_flight = not inline and booking.not_before is None
    Message.objects.filter(pk=message_id, status=Status.QUEUED).update(
        scheduled_for=at, dispatched_at=now if in_flight else None
    )
    if in_flight:
        later(message_id, booking.wait, slot=time.time() + booking.wait)
    return "paced"


def _deliver(
    task: Task, message_id: int, slot: float | None, pending: Pending | None, later: Later
) -> str:
    """Pace, claim, send (or find sent) and record one message."""
    paced = _pace(task, message_id, slot, pending, later)
    if paced is not None:
        return paced
    claim = _claim(message_id, pending)
    if claim is None:
        return "skipped"
    message = claim.message
    try:
        provider_id = _sent_before(claim) or deliver(message)
    except DeliveryError as exc:
        return _after_failure(task, message, exc, transient=exc.transient, later=later)
    except Exception as exc:
        # A bug or an error nobody classified (or the soft time limit). The message
        # must not stay in 'sending' for ever: retry with backoff, and log the
        # traceback.
        log.exception("message %s: unexpected error while sending", message.pk)
        return _after_failure(task, message, exc, transient=True, later=later)
    now = timezone.now()
    redacted = redacted_fields(message.body, message.body_html)
    if not _record_sent(message.pk, now, provider_id, redacted):
        # The provider's status callback came first (delivered, or failed after
        # all): its state stands; add what only the sender knows.
        Message.objects.filter(pk=message.pk).update(
            sent_at=Coalesce(F("sent_at"), Value(now)), provider_id=provider_id, **redacted
        )
    return "sent"


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=None,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=HARD_TIME_LIMIT,
)
def deliver_message(self: Task, message_id: int, slot: float | None = None) -> str:
    """Send one message. ``slot``: the time (epoch seconds) of the sending slot
    booked for it by an earlier run of this task (notifications.ratelimit)."""
    return _deliver(self, message_id, slot, _pending(message_id), _retried(self))


@cache
def _sent_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    columns = ("status", "sent_at", "provider_id", "last_error", "body", "body_html")
    assignments = ", ".join(f"{q(column)} = %s" for column in columns)
    return (
        f"UPDATE {q(Message._meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {q('id')} = %s AND {q('status')} = %s"
    )


def _record_sent(message_id: int, now: datetime, provider_id: str, redacted: dict) -> bool:
    """A message in 'sending' becomes 'sent' (one prepared statement: this runs once
    per message, and the ORM's query building cost more than the query). False if
    it is no longer in 'sending'."""
    params = [
        Status.SENT.value,
        connection.ops.adapt_datetimefield_value(now),
        provider_id,
        "",
        redacted["body"],
        redacted["body_html"],
        message_id,
        Status.SENDING.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_sent_sql(connection.vendor), params)
        return cursor.rowcount == 1


def _sent_before(claim: Claim) -> str:
    """The provider ID of an SMS an earlier attempt sent after all, or "".

    An attempt interrupted mid-send (the worker was killed, the connection timed
    out) may have reached Twilio. Before sending again, Twilio's list of messages
    to this number is read: one with this body, created since the earlier attempt
    and recorded on no other message, is this one."""
    message = claim.message
    if claim.earlier is None or message.channel != Channel.SMS:
        return ""
    sids = find_sent(message, claim.earlier)
    if not sids:
        return ""
    taken = set(
        Message.objects.filter(provider_id__in=sids)
        .exclude(pk=message.pk)
        .values_list("provider_id", flat=True)
    )
    provider_id = next((sid for sid in sids if sid not in taken), "")
    if provider_id:
        log.warning("message %s: sent by an interrupted attempt (%s)", message.pk, provider_id)
    return provider_id


def requeue_interrupted() -> int:
    """Put back messages left in 'sending' by a worker that died mid-send.

    A claim older than OUTBOX_INTERRUPTED_AFTER has outlived the delivery task's
    hard time limit: nobody is sending it. Whether it went out is unknown; the
    next attempt looks it up at the provider first (SMS), and sends it only if it
    is not there. Nothing is lost: it is retried (up to MAX_ATTEMPTS claims in all).
    """
    cutoff = timezone.now() - settings.OUTBOX_INTERRUPTED_AFTER
    stale = Message.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff)
    note = "Interrupted while sending; "
    failed = 0
    for message in stale.filter(attempts__gte=MAX_ATTEMPTS).only(
        "pk", "body", "body_html", "channel", "kind", "subject_type", "subject_id"
    ):
        # Failed for good: the stored copy keeps no live link.
        with transaction.atomic():
            done = Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
                status=Status.FAILED,
                last_error=note + "no attempts left",
                **redacted_fields(message.body, message.body_html),
            )
            if done:
                webhooks.message_failed(message)
        failed += done
    requeued = stale.update(
        status=Status.QUEUED, dispatched_at=None, last_error=note + "sending again"
    )
    if failed or requeued:
        log.warning("outbox: %d interrupted messages re-queued, %d failed", requeued, failed)
    return requeued


# A chunk task delivers its messages for at most this long (plus the one send under
# way; at least one message a run), then hands the rest back to the queue: other
# tasks get their turn, and a chunk's messages are all claimed or published again
# well within OUTBOX_INTERRUPTED_AFTER (see _lost_tasks).
CHUNK_BUDGET = min(5.0, SOFT_TIME_LIMIT / 2)


@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=HARD_TIME_LIMIT,
)
def dispatch_chunk(self: Task, message_ids: list[int]) -> int:
    """Deliver a chunk of a large round (notifications.services.dispatch_messages)
    here, one message after another, each as its own delivery task would (paced,
    claimed under a lock, looked up at Twilio after an interrupted attempt, sent,
    recorded); returns how many were sent. Retries and slots further ahead are
    published as delivery tasks of their own; what is left after CHUNK_BUDGET is
    handed back as a new chunk. A message already picked up (a redelivered chunk)
    is skipped by its claim.

    Messages are taken highest id first: the part of a chunk a dead worker left
    unclaimed has lower ids than the part it claimed, so that the sweeper sees it
    was overtaken, and dispatches it again (see _lost_tasks)."""
    started = time.monotonic()
    inline = _inline(self)
    # Stamped as taken up: should this worker die before it claims them, the
    # sweeper sees the stamp grow old (see _lost_tasks).
    Message.objects.filter(pk__in=message_ids, status=Status.QUEUED).update(
        picked_at=timezone.now()
    )
    pending = {
        row.pop("pk"): row
        for row in Message.objects.filter(pk__in=message_ids, status=Status.QUEUED).values(
            "pk", *PENDING_FIELDS
        )
    }
    order = sorted(pending, reverse=True)
    sent = 0
    for position, message_id in enumerate(order):
        if position and not inline and time.monotonic() - started > CHUNK_BUDGET:
            _hand_back(order[position:])
            break
        try:
            outcome = _deliver(self, message_id, None, pending[message_id], _published)
        except SoftTimeLimitExceeded:
            # Outside a send (which counts it as a transient error): the message
            # is still queued (then it goes back with the rest) or in 'sending'
            # (then it is taken back after OUTBOX_INTERRUPTED_AFTER).
            _hand_back(order[position:])
            break
        sent += outcome == "sent"
    return sent


def _hand_back(message_ids: list[int]) -> None:
    """Publish what is left of a chunk as a new chunk, at the end of the queue."""
    queued = Message.objects.filter(pk__in=message_ids, status=Status.QUEUED)
    queued.update(dispatched_at=timezone.now(), picked_at=None)
    try:
        dispatch_chunk.delay(sorted(message_ids))
    except Exception:
        log.exception("could not hand back %d messages; left to the sweeper", len(message_ids))
        queued.update(dispatched_at=None)


@shared_task(acks_late=True)
def sweep_outbox() -> int:
    """Dispatch queued messages with no delivery task in flight: publishing
    failed (broker down), a scheduled time came, a task was lost long ago, or a
    worker died while sending. Webhook deliveries are swept here too."""
    try:
        webhooks.sweep()
    except Exception:
        log.exception("webhooks: the sweep failed; the outbox sweep goes on")
    requeue_interrupted()
    now = timezone.now()
    ids = list(
        Message.objects.filter(status=Status.QUEUED)
        .filter(Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now))
        .filter(Q(dispatched_at__isnull=True) | _lost_tasks(now))
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if not ids:
        return 0
    Message.objects.filter(pk__in=ids).update(dispatched_at=now, picked_at=None)
    from notifications.services import dispatch_messages

    return dispatch_messages(ids)


def _lost_tasks(now: datetime) -> Q:
    """Queued messages whose delivery task was published but will not run.

    A task published OUTBOX_REDISPATCH_AFTER ago is lost; so is a chunk task that
    took messages up OUTBOX_INTERRUPTED_AFTER ago and left them queued (it died
    before their turn: the last chunks of a round have nothing after them to
    overtake them). So, sooner than the first, is one that
    was due OUTBOX_INTERRUPTED_AFTER ago and is still not picked up although a
    message published after it was picked up at least that long ago: the queue is
    first in, first out, so the task was taken, by a worker that died holding it
    (a prefetched task of a killed worker comes back from Redis only after the
    visibility timeout, an hour). Sending is claimed under a lock, so a task
    thought lost that runs after all does nothing.
    """
    grace = now - settings.OUTBOX_INTERRUPTED_AFTER
    # Taken up by a chunk task that has not claimed it within a chunk's time: the
    # task died (a chunk runs CHUNK_BUDGET seconds, then hands the rest on).
    lost = Q(dispatched_at__lt=now - settings.OUTBOX_REDISPATCH_AFTER) | Q(picked_at__lt=grace)
    waiting = Message.objects.filter(status=Status.QUEUED, dispatched_at__lt=grace).filter(
        Q(scheduled_for__isnull=True) | Q(scheduled_for__lt=grace)
    )
    oldest = waiting.aggregate(oldest=Min("dispatched_at"))["oldest"]
    if oldest is None:
        return lost
    # The latest publication picked up at least `grace` ago (a retry is published
    # after its claim: claimed_at >= dispatched_at leaves it out). A batch is
    # published in id order under one time stamp: the id breaks the tie.
    latest = (
        Message.objects.filter(
            status__in=[Status.SENDING, Status.SENT, Status.DELIVERED, Status.FAILED],
            dispatched_at__gte=oldest,
            claimed_at__lte=grace,
            claimed_at__gte=F("dispatched_at"),
        )
        .order_by("-dispatched_at", "-pk")
        .values_list("dispatched_at", "pk")
        .first()
    )
    if latest is None:
        return lost
    published, pk = latest
    overtaken = (
        (Q(dispatched_at__lt=published) | Q(dispatched_at=published, pk__lt=pk))
        & Q(dispatched_at__lt=grace)
        & (Q(scheduled_for__isnull=True) | Q(scheduled_for__lt=grace))
    )
    return lost | overtaken


# A webhook attempt waits at most webhooks.CONNECT_TIMEOUT + WEBHOOK_TIMEOUT_SECONDS;
# the task is stopped well before webhooks.INTERRUPTED_AFTER.
WEBHOOK_TIME_LIMIT = 60
WEBHOOK_SOFT_TIME_LIMIT = 50


@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=WEBHOOK_SOFT_TIME_LIMIT,
    time_limit=WEBHOOK_TIME_LIMIT,
)
def deliver_webhook(self: Task, delivery_id: int) -> str:
    """POST one webhook delivery (notifications.webhooks.deliver): claimed under
    its row lock, so a redelivered task for one already delivered does nothing. A
    failed attempt is put back with its backoff for the sweep (no task waits in
    the broker for an hour)."""
    return webhooks.deliver(delivery_id)


@shared_task(acks_late=True)
def sweep_webhooks() -> int:
    """The webhook part of ``sweep_outbox`` on its own (for a beat entry of its own)."""
    return webhooks.sweep()


@shared_task(acks_late=True)
def purge_webhook_deliveries() -> int:
    """Old finished webhook deliveries out of the log (daily; safe to run twice)."""
    return webhooks.purge_deliveries()
