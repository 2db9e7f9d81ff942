"""A large round's chunks are delivered by the chunk task itself (notifications.tasks
.dispatch_chunk), one message after another, with every guarantee of a delivery task
of its own: claimed once, retried alone, paced, handed back when its time is up, and
what a dead worker left is sent by the sweeper, each message once.

In-process (eager Celery). The worker tests with the chunk path are
tests/test_worker.py and tests/test_worker_kill.py (a real prefork worker killed
mid-round); bench/delivery_rate.py measures it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests.sessions
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from notifications import ratelimit, tasks
from notifications.models import Message
from notifications.services import Draft, queue_messages
from notifications.tasks import _claim, _pending, dispatch_chunk, sweep_outbox

Status = Message.Status

pytestmark = pytest.mark.django_db


def _queue(n: int) -> list[Message]:
    return queue_messages(
        [
            Draft(
                "sms",
                f"+4523{i:06d}",
                "sms_reply",
                "en",
                {"case": "none", "municipality": "Testrup", "link": f"http://testserver/v/{i}/"},
                f"chunk:{i}",
            )
            for i in range(n)
        ]
    )


def _run_chunk(ids: list[int]) -> int:
    """The chunk task, run here (``delay`` may be replaced by a recorder below)."""
    return dispatch_chunk.apply(args=(ids,)).get()


def _by_pk(messages: list[Message]) -> dict[int, Message]:
    return {m.pk: m for m in Message.objects.filter(pk__in=[m.pk for m in messages])}


@pytest.fixture
def through_a_broker(monkeypatch) -> dict[str, list]:
    """The chunk runs as on a worker (not inline: its time budget counts, retries
    go through the broker); what it publishes is recorded instead."""
    published: dict[str, list] = {"chunks": [], "deliveries": []}
    monkeypatch.setattr(tasks, "_inline", lambda task: False)
    monkeypatch.setattr(
        tasks.dispatch_chunk, "delay", lambda ids: published["chunks"].append(list(ids))
    )
    monkeypatch.setattr(
        tasks.deliver_message,
        "apply_async",
        lambda args, kwargs, countdown: published["deliveries"].append((args, kwargs, countdown)),
    )
    return published


def test_a_chunk_sends_each_message_once_highest_id_first(sms_outbox):
    messages = _queue(5)
    ids = [m.pk for m in messages]

    assert _run_chunk(ids + ids) == 5  # a duplicated id is sent once

    by_number = {m.to: m.pk for m in messages}
    assert [by_number[sms.to] for sms in sms_outbox] == sorted(ids, reverse=True)
    assert {(m.status, m.attempts) for m in _by_pk(messages).values()} == {(Status.SENT, 1)}
    assert _run_chunk(ids) == 0  # a redelivered chunk sends nothing
    assert len(sms_outbox) == 5


def test_a_message_not_due_is_left_to_the_sweeper(sms_outbox):
    later, now = _queue(2)
    Message.objects.filter(pk=later.pk).update(
        scheduled_for=timezone.now() + timedelta(hours=1), dispatched_at=timezone.now()
    )

    assert _run_chunk([later.pk, now.pk]) == 1

    later.refresh_from_db()
    assert (later.status, later.attempts, later.dispatched_at) == (Status.QUEUED, 0, None)
    assert [sms.to for sms in sms_outbox] == [now.to]


def test_an_unchanged_message_is_claimed_in_one_statement(django_assert_num_queries):
    [message] = _queue(1)
    seen = _pending(message.pk)

    with django_assert_num_queries(1):
        claim = _claim(message.pk, seen)

    assert claim is not None
    assert (claim.message.status, claim.message.attempts, claim.earlier) == (
        Status.SENDING,
        1,
        None,
    )
    assert _claim(message.pk, seen) is None  # claimed once
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENDING, 1)


def test_a_message_changed_since_it_was_read_is_claimed_under_the_lock():
    """An attempt claimed and lost it after the chunk read it: the claim still says
    when that attempt began (the look-up at Twilio starts there)."""
    [message] = _queue(1)
    seen = _pending(message.pk)
    interrupted = _claim(message.pk)
    assert interrupted is not None
    Message.objects.filter(pk=message.pk).update(status=Status.QUEUED)  # put back

    claim = _claim(message.pk, seen)

    assert claim is not None
    assert claim.message.attempts == 2
    assert claim.earlier == interrupted.message.claimed_at
    assert claim.earlier is not None


def test_a_chunk_past_its_time_hands_the_rest_back(sms_outbox, through_a_broker, monkeypatch):
    monkeypatch.setattr(tasks, "CHUNK_BUDGET", 0.0)
    messages = _queue(4)
    ids = sorted(m.pk for m in messages)
    published_before = timezone.now()
    Message.objects.filter(pk__in=ids).update(dispatched_at=published_before - timedelta(hours=1))

    assert _run_chunk(ids) == 1

    assert len(sms_outbox) == 1  # the first, the highest id
    assert through_a_broker["chunks"] == [ids[:-1]]
    rest = Message.objects.filter(pk__in=ids[:-1])
    assert {m.status for m in rest} == {Status.QUEUED}
    assert all(m.dispatched_at >= published_before for m in rest)  # published again


def test_a_transient_failure_is_retried_alone(fake_twilio, through_a_broker):
    messages = _queue(3)
    fake_twilio.fail_next(503)  # the first send: the highest id

    assert _run_chunk([m.pk for m in messages]) == 2

    first = max(m.pk for m in messages)
    [(args, kwargs, countdown)] = through_a_broker["deliveries"]
    assert (args, kwargs, countdown) == ((first,), {}, tasks.backoff(1).total_seconds())
    failed = _by_pk(messages)[first]
    assert (failed.status, failed.attempts) == (Status.QUEUED, 1)
    assert failed.dispatched_at is not None and failed.scheduled_for > timezone.now()
    assert through_a_broker["chunks"] == []
    assert len(fake_twilio.received) == 2


def test_a_slot_far_ahead_is_waited_for_in_the_broker(fake_twilio, settings, through_a_broker):
    settings.RATE_LIMIT_REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    settings.SMS_RATE_PER_SECOND = 4
    ratelimit.local_store.reset()
    try:
        for _ in range(8):  # other senders booked the next two seconds
            ratelimit.reserve("sms")
        messages = _queue(2)

        assert _run_chunk([m.pk for m in messages]) == 0
    finally:
        ratelimit.local_store.reset()

    assert fake_twilio.requests == []
    slots = [kwargs["slot"] for _args, kwargs, _countdown in through_a_broker["deliveries"]]
    assert len(slots) == 2 and slots[1] - slots[0] == pytest.approx(0.25, abs=0.05)
    waiting = _by_pk(messages).values()
    assert {(m.status, m.attempts) for m in waiting} == {(Status.QUEUED, 0)}  # not an attempt
    assert all(m.dispatched_at is not None for m in waiting)


def test_soft_time_limit_between_sends_hands_the_rest_back(
    sms_outbox, through_a_broker, monkeypatch
):
    messages = _queue(3)
    ids = sorted(m.pk for m in messages)
    claim = tasks._claim
    calls = []

    def claim_then_time_up(message_id, seen=None):
        calls.append(message_id)
        if len(calls) == 2:
            raise SoftTimeLimitExceeded
        return claim(message_id, seen)

    monkeypatch.setattr(tasks, "_claim", claim_then_time_up)

    assert _run_chunk(ids) == 1

    assert through_a_broker["chunks"] == [ids[:2]]
    assert len(sms_outbox) == 1
    assert set(Message.objects.filter(pk__in=ids[:2]).values_list("status", flat=True)) == {
        Status.QUEUED
    }


class Killed(BaseException):
    """The worker process dies (SIGKILL) in the middle of a chunk."""


def test_what_a_dead_worker_left_of_a_chunk_is_sent_once(sms_outbox, settings, monkeypatch):
    """Killed after two sends, while claiming a third: the sends left are the lower
    ids, overtaken by the sends claimed before them, so the sweeper dispatches
    them again once OUTBOX_INTERRUPTED_AFTER has passed; the one in 'sending' is
    taken back as well."""
    messages = _queue(6)
    ids = sorted(m.pk for m in messages)
    deliver = tasks.deliver
    sends = []

    def deliver_then_die(message):
        if len(sends) == 2:
            raise Killed
        sends.append(message.pk)
        return deliver(message)

    monkeypatch.setattr(tasks, "deliver", deliver_then_die)
    with pytest.raises(Killed):
        _run_chunk(ids)
    monkeypatch.setattr(tasks, "deliver", deliver)

    assert sends == ids[:-3:-1]
    states = dict(Message.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert [states[pk] for pk in ids] == [Status.QUEUED] * 3 + [Status.SENDING] + [Status.SENT] * 2
    assert sweep_outbox() == 0  # not yet: a live chunk may still be at them

    long_ago = timezone.now() - settings.OUTBOX_INTERRUPTED_AFTER - timedelta(seconds=10)
    Message.objects.filter(pk__in=ids).update(dispatched_at=long_ago)
    Message.objects.exclude(status=Status.QUEUED).update(claimed_at=long_ago + timedelta(seconds=1))

    assert sweep_outbox() == 4

    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}
    assert sorted(m.pk for m in Message.objects.all()) == ids
    assert len(sms_outbox) == 6
    assert len({sms.to for sms in sms_outbox}) == 6  # each once


def test_the_environment_is_read_once_per_host_not_per_sms(fake_twilio, monkeypatch):
    """requests reads the proxy settings from the environment for every request,
    unless the session keeps them (notifications.sms)."""
    reads = []
    real = requests.sessions.get_environ_proxies

    def counted(*args, **kwargs):
        reads.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
    messages = _queue(3)

    assert _run_chunk([m.pk for m in messages]) == 3

    assert len(fake_twilio.received) == 3
    assert len(reads) == 1


def test_a_chunk_that_died_before_its_first_claim_is_sent_within_a_minute(
    sms_outbox, settings, monkeypatch
):
    """The last chunk of a round, taken up by a worker that died before it claimed
    any of it: nothing was published after it to overtake it, yet the sweeper
    sends it once OUTBOX_INTERRUPTED_AFTER has passed (not after
    OUTBOX_REDISPATCH_AFTER, ten minutes), each message once."""
    messages = _queue(4)
    ids = sorted(m.pk for m in messages)
    monkeypatch.setattr(tasks, "_deliver", lambda *a, **k: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        _run_chunk(ids)
    monkeypatch.undo()
    assert set(Message.objects.values_list("status", flat=True)) == {Status.QUEUED}
    assert sweep_outbox() == 0  # a live chunk may still be at them

    picked = timezone.now() - settings.OUTBOX_INTERRUPTED_AFTER - timedelta(seconds=5)
    Message.objects.update(dispatched_at=picked, picked_at=picked)
    assert timezone.now() - picked < settings.OUTBOX_REDISPATCH_AFTER
    assert sweep_outbox() == 4
    assert len(sms_outbox) == 4 and len({sms.to for sms in sms_outbox}) == 4
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}
    assert sweep_outbox() == 0
