"""Sending rates per channel (notifications.ratelimit): paced, not refused, not failed.

In-process (the limiter of a machine without Redis) with eager Celery; the shared
limiter in Redis from several processes; and a real prefork worker on Redis
sending a round through the fake Twilio, which refuses (429) above its rate.
"""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from django.utils import timezone

from notifications import ratelimit
from notifications.models import Message
from notifications.services import Draft, dispatch_messages, queue_messages
from notifications.tasks import sweep_outbox
from tests.fakes import worker_process
from tests.fakes.celery_broker import celery_broker
from tests.fakes.twilio_server import FakeTwilio

Status = Message.Status


def _drafts(n: int, prefix: str = "rate") -> list[Draft]:
    return [
        Draft(
            "sms",
            f"+4521{i:06d}",
            "sms_reply",
            "en",
            {"case": "none", "municipality": "Testrup", "link": f"http://testserver/v/{i}/"},
            f"{prefix}:{i}",
        )
        for i in range(n)
    ]


def _max_in_any_second(fake: FakeTwilio) -> int:
    times = [sms.created.timestamp() for sms in fake.received]
    return max(
        (sum(1 for t in times[i:] if t < start + 1) for i, start in enumerate(times)), default=0
    )


@pytest.fixture
def in_process_limiter(settings):
    """No Redis anywhere: each process paces itself."""
    settings.RATE_LIMIT_REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    assert ratelimit.redis_url() == ""
    ratelimit.local_store.reset()
    yield ratelimit.local_store
    ratelimit.local_store.reset()


# --- the algorithm ------------------------------------------------------------------------


def test_slots_are_booked_one_interval_apart():
    store = ratelimit.LocalStore()
    waits = [store.book("k", 0.1, 0.0) for _ in range(6)]

    assert waits[0] == 0
    for i, wait in enumerate(waits):
        assert wait == pytest.approx(0.1 * i, abs=0.02)
    time.sleep(0.7)  # idle: the account's slots are free again
    assert store.book("k", 0.1, 0.0) == 0
    assert store.book("other account", 0.1, 0.0) == 0


def test_daily_count_stops_at_the_cap():
    store = ratelimit.LocalStore()
    assert [store.count("day", 3) for _ in range(5)] == [True, True, True, False, False]


def test_next_day_is_local_midnight(settings):
    settings.TIME_ZONE = "Europe/Copenhagen"
    late = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)  # 00:30 on the 3rd in Copenhagen
    start = ratelimit.next_day_start(late)
    assert timezone.localtime(start).isoformat() == "2026-12-04T00:00:00+01:00"


# --- eager, with the in-process limiter ------------------------------------------------------


@pytest.mark.django_db
def test_a_round_above_the_rate_is_paced_not_refused(fake_twilio, settings, in_process_limiter):
    settings.SMS_RATE_PER_SECOND = 4
    fake_twilio.max_per_second = 5  # Twilio refuses a burst
    messages = queue_messages(_drafts(8))

    dispatch_messages([m.pk for m in messages])  # eager: one after the other, inline

    # Each waits for its slot, a quarter of a second after the one before.
    first, last = fake_twilio.received[0], fake_twilio.received[-1]
    assert (last.created - first.created).total_seconds() == pytest.approx(7 * 0.25, abs=0.3)
    assert [status for status, _form in fake_twilio.requests] == [201] * 8  # never a 429
    assert _max_in_any_second(fake_twilio) <= 5
    assert set(Message.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


@pytest.mark.django_db
def test_a_slot_far_ahead_is_waited_for_without_an_attempt(
    fake_twilio, settings, in_process_limiter
):
    """Other workers have booked the next two seconds: the message is not sent, not
    failed and not counted as an attempt; it goes out when its slot comes."""
    settings.SMS_RATE_PER_SECOND = 4
    for _ in range(8):
        ratelimit.reserve("sms")
    [message] = queue_messages(_drafts(1))

    dispatch_messages([message.pk])

    message.refresh_from_db()
    assert fake_twilio.requests == []
    assert (message.status, message.attempts, message.last_error) == (Status.QUEUED, 0, "")
    assert message.dispatched_at is None  # in-process: the sweeper sends it when due
    wait = (message.scheduled_for - timezone.now()).total_seconds()
    assert wait == pytest.approx(2.0, abs=0.3)
    assert sweep_outbox() == 0  # not before its slot

    time.sleep(wait + 0.1)
    assert sweep_outbox() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)
    assert len(fake_twilio.received) == 1


@pytest.mark.django_db
def test_daily_cap_holds_the_rest_until_tomorrow(fake_twilio, settings, in_process_limiter):
    settings.SMS_RATE_PER_SECOND = 0
    settings.SMS_DAILY_CAP = 3
    messages = queue_messages(_drafts(5))

    dispatch_messages([m.pk for m in messages])

    assert len(fake_twilio.received) == 3
    waiting = Message.objects.filter(status=Status.QUEUED)
    assert waiting.count() == 2
    tomorrow = ratelimit.next_day_start(timezone.now())
    assert set(waiting.values_list("scheduled_for", "attempts", "dispatched_at")) == {
        (tomorrow, 0, None)
    }
    assert sweep_outbox() == 0  # not before tomorrow


@pytest.mark.django_db
def test_development_backends_are_not_paced(sms_outbox, settings, in_process_limiter):
    """The console and in-memory backends have no provider account to protect."""
    settings.SMS_RATE_PER_SECOND = 1
    messages = queue_messages(_drafts(5))

    started = time.monotonic()
    dispatch_messages([m.pk for m in messages])

    assert len(sms_outbox) == 5
    assert time.monotonic() - started < 1


# --- shared through Redis ----------------------------------------------------------------


@pytest.mark.django_db
def test_unreachable_redis_falls_back_to_pacing_in_process(fake_twilio, settings, caplog):
    from tests.fakes.net import closed_port

    settings.RATE_LIMIT_REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.SMS_RATE_PER_SECOND = 4
    [message] = queue_messages(_drafts(1))

    dispatch_messages([message.pk])

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert "pacing in this process" in caplog.text


def _book_many(url: str, key: str, count: int) -> list[float]:
    store = ratelimit.RedisStore(url)
    return [store.book(key, 0.1, 0.0) for _ in range(count)]


def test_redis_paces_all_processes_as_one(settings):
    url = worker_process.redis_url_or_skip()
    key = f"pollcrew:test:{uuid4().hex}"

    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_book_many, [url, url], [key, key], [15, 15]))

    waits = sorted(w for result in results for w in result)
    # 30 bookings at 10 a second: slots 0, 0.1 … 2.9 s, whichever process asked.
    assert waits[0] == 0
    assert waits[-1] == pytest.approx(2.9, abs=0.2)
    gaps = [b - a for a, b in itertools.pairwise(waits)]
    assert min(gaps) > 0.05  # no two processes got the same slot


# --- a real worker ---------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_processes_share_the_rate(fake_twilio, settings):
    """Two prefork processes, 60 SMS at 20 a second, after another sender booked the
    next two seconds: Twilio (refusing above 40 in any second; unpaced, the two
    processes send about 75 a second here) never says 429, and the round takes the
    3 s its rate allows. The first tasks wait for their slot in the
    broker (run again at that time), not as an attempt."""
    broker = worker_process.redis_broker_or_skip()
    rate, count = 20, 60
    # Slots are "not before" times: a task the broker runs a little late is followed
    # closely by the next one on time. Twilio queues what comes faster than the
    # account's rate; this fake refuses it, with room for that jitter.
    fake_twilio.max_per_second = 2 * rate
    settings.RATE_LIMIT_REDIS_URL = broker
    settings.SMS_RATE_PER_SECOND = rate
    env = {
        "SMS_BACKEND": "notifications.sms.TwilioBackend",
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "TWILIO_FROM": fake_twilio.from_,
        "TWILIO_BASE_URL": fake_twilio.base_url,
        "SITE_URL": "http://testserver",
        "SMS_RATE_PER_SECOND": str(rate),
        "RATE_LIMIT_REDIS_URL": broker,
    }
    with (
        celery_broker(broker, broker_connection_retry_on_startup=False) as app,
        worker_process.running(broker, env, concurrency=2),
    ):
        app.control.purge()
        ids = [m.pk for m in queue_messages(_drafts(count, "worker-rate"))]
        for _ in range(2 * rate):
            ratelimit.reserve("sms")  # someone else's messages, in the next two seconds
        started = time.monotonic()
        dispatch_messages(ids)
        fake_twilio.wait_for(count, timeout=30)
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 10
        while Message.objects.exclude(status=Status.SENT).exists():
            assert time.monotonic() < deadline, "not all recorded as sent"
            time.sleep(0.1)

    span = (fake_twilio.received[-1].created - fake_twilio.received[0].created).total_seconds()
    print(
        f"\n{count} SMS at {rate}/s: {span:.2f} s from first to last at the fake,"
        f" at most {_max_in_any_second(fake_twilio)} in any second"
    )
    assert [status for status, _form in fake_twilio.requests] == [201] * count
    assert _max_in_any_second(fake_twilio) <= 2 * rate
    assert elapsed >= (2 * rate + count - 1) / rate - 0.2
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}
    # The first ones waited for their slot in the broker (a task run again later).
    assert Message.objects.filter(scheduled_for__isnull=False).exists()
