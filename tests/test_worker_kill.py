"""A worker killed with SIGKILL in the middle of a 1,000-SMS round.

A real worker (prefork, 2 processes) on Redis and the test database sends through
the real ``twilio`` client to the fake Twilio, which answers slowly so that the
kill lands while sends are in flight (the fake has accepted the SMS, the worker
has not heard back). A second worker takes over; the sweeper runs as beat would.

Before: every SMS arrived, but those in flight at the kill arrived twice, and only
after OUTBOX_REDISPATCH_SECONDS (10 minutes). Now: each arrives once (the SMS in
flight are found at Twilio by the look-up before a second attempt), and the
interrupted ones are put back in the queue after OUTBOX_INTERRUPTED_AFTER (45 s
in production; here 6 s, so that the test takes seconds, not minutes), as is a
task the dead worker had taken but not started (tasks._lost_tasks). In the queue
they wait behind the rest of the round.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from notifications.models import Message
from notifications.services import Draft, dispatch_messages, queue_messages
from notifications.tasks import sweep_outbox
from tests.fakes import worker_process
from tests.fakes.celery_broker import celery_broker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = Message.Status
CONCURRENCY = 2
ROUND = 1000
KILL_AFTER = 250  # SMS accepted by the fake
INTERRUPTED_AFTER = 6  # seconds, in the worker and here
SWEEP_EVERY = 1.0  # seconds (beat: 30)


def _phone(i: int) -> str:
    return f"+4520{i:06d}"


def _worker_env(fake) -> dict[str, str]:
    return {
        "SMS_BACKEND": "notifications.sms.TwilioBackend",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM": fake.from_,
        "TWILIO_BASE_URL": fake.base_url,
        "SITE_URL": "http://testserver",
        "OUTBOX_INTERRUPTED_SECONDS": str(INTERRUPTED_AFTER),
        "SMS_RATE_PER_SECOND": "0",  # pacing is tests/test_ratelimit.py's subject
    }


def test_sigkill_mid_round_loses_nothing_and_sends_nothing_twice(fake_twilio, settings):
    broker = worker_process.redis_broker_or_skip()
    settings.OUTBOX_INTERRUPTED_AFTER = timedelta(seconds=INTERRUPTED_AFTER)
    settings.SMS_RATE_PER_SECOND = 0
    fake_twilio.reply_delay = 0.02  # slow answers: sends are in flight at any moment
    env = _worker_env(fake_twilio)
    drafts = [
        Draft(
            "sms",
            _phone(i),
            "sms_reply",
            "en",
            {"case": "none", "municipality": "Testrup", "link": f"http://testserver/v/t{i}/"},
            f"kill-round:{i}",
        )
        for i in range(ROUND)
    ]
    with celery_broker(
        broker,
        broker_transport_options={"visibility_timeout": 3600},
        broker_connection_retry_on_startup=False,
    ) as app:
        app.control.purge()
        first = worker_process.start(broker, env, concurrency=CONCURRENCY)
        try:
            worker_process.wait_ready(first, CONCURRENCY)
            ids = [m.pk for m in queue_messages(drafts)]
            assert dispatch_messages(ids) == ROUND

            fake_twilio.wait_for(KILL_AFTER, timeout=30)
            worker_process.kill(first)
            killed_at = time.monotonic()
        finally:
            worker_process.stop(first)
        accepted_at_kill = len(fake_twilio.received)
        interrupted = set(
            Message.objects.filter(status=Status.SENDING).values_list("pk", flat=True)
        )
        fake_twilio.reply_delay = 0

        with worker_process.running(broker, env, concurrency=CONCURRENCY):
            swept = 0
            recovered_at = interrupted_back_at = None
            deadline = time.monotonic() + 60  # a loaded CI machine: usually 15-20 s
            while time.monotonic() < deadline:
                swept += sweep_outbox()
                unsent = Message.objects.exclude(status=Status.SENT)
                stuck = Message.objects.filter(pk__in=interrupted, status=Status.SENDING)
                if interrupted_back_at is None and not stuck.exists():
                    interrupted_back_at = time.monotonic()
                if not unsent.exists():
                    recovered_at = time.monotonic()
                    break
                time.sleep(SWEEP_EVERY)

    left = Counter(Message.objects.exclude(status=Status.SENT).values_list("status", flat=True))
    assert recovered_at is not None, f"not all sent a minute after the kill: {dict(left)}"
    per_number = Counter(sms.to for sms in fake_twilio.received)
    duplicates = sum(n - 1 for n in per_number.values())
    recovery = recovered_at - killed_at
    assert interrupted_back_at is not None
    back = interrupted_back_at - killed_at
    print(
        f"\nkilled after {accepted_at_kill} of {ROUND} accepted, {len(interrupted)} in 'sending';"
        f" those back in the queue {back:.1f} s after the kill (OUTBOX_INTERRUPTED_AFTER"
        f" {INTERRUPTED_AFTER} s, sweeper every {SWEEP_EVERY} s); all {ROUND} sent after"
        f" {recovery:.1f} s (a new worker started);"
        f" re-dispatched by the sweeper: {swept}; duplicates: {duplicates};"
        f" look-ups at Twilio: {len(fake_twilio.lookups)}"
    )
    assert len(per_number) == ROUND  # every recipient got it…
    assert duplicates <= CONCURRENCY  # …and at most the sends in flight twice
    assert duplicates == 0  # the look-up found those
    assert back < INTERRUPTED_AFTER + 2 * SWEEP_EVERY + 2
    sids = set(Message.objects.values_list("provider_id", flat=True))
    assert sids == {sms.sid for sms in fake_twilio.received}
