"""A worker that dies mid-send: nothing lost, nothing sent twice, back within a minute.

In-process (eager Celery) against the fake Twilio and the real ``twilio`` client;
tests/test_worker_kill.py does the same with a real worker killed by SIGKILL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from notifications.channels import status_callback_url
from notifications.models import Message
from notifications.services import Draft, queue_messages
from notifications.sms import get_backend
from notifications.tasks import _claim, sweep_outbox
from tests.fakes.twilio_server import FakeTwilio

Status = Message.Status
PHONE = "+4520123456"

pytestmark = pytest.mark.django_db


def _queue(n: int = 1, *, phone: str = PHONE, same_text: bool = False) -> list[Message]:
    """``n`` SMS to ``phone`` (each with its own link unless ``same_text``), due now."""
    drafts = [
        Draft(
            "sms",
            phone,
            "sms_reply",
            "en",
            {
                "case": "none",
                "municipality": "Testrup",
                "link": f"http://testserver/v/{'same' if same_text else i}-token/",
            },
            f"recovery:{i}",
        )
        for i in range(n)
    ]
    return queue_messages(drafts)


def _killed_after_twilio_accepted(message: Message) -> str:
    """A worker claims the message, Twilio accepts it, and the worker is killed
    before it saves the SID. Returns the SID Twilio gave it."""
    claim = _claim(message.pk)
    assert claim is not None
    sent = claim.message
    return get_backend().send(sent.to, sent.body, status_callback=status_callback_url(sent))


def _age_claim(message: Message, settings, seconds: float = 1) -> None:
    Message.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - settings.OUTBOX_INTERRUPTED_AFTER - timedelta(seconds=seconds)
    )


def _get(message: Message) -> Message:
    message.refresh_from_db()
    return message


def test_interrupted_sms_that_reached_twilio_is_not_sent_again(fake_twilio, settings):
    [message] = _queue()
    sid = _killed_after_twilio_accepted(message)

    assert sweep_outbox() == 0  # maybe still sending: left alone
    _age_claim(message, settings)
    assert sweep_outbox() == 1

    message = _get(message)
    assert message.status == Status.SENT
    assert message.provider_id == sid
    assert message.attempts == 2
    assert len(fake_twilio.received) == 1  # the volunteer got it once
    [(status, path, query)] = fake_twilio.lookups
    assert (status, query["To"]) == (200, PHONE)
    assert path.endswith("/Messages.json")


def test_interrupted_sms_that_never_reached_twilio_is_sent(fake_twilio, settings):
    [message] = _queue()
    assert _claim(message.pk) is not None  # killed before the API call

    _age_claim(message, settings)
    assert sweep_outbox() == 1

    message = _get(message)
    assert message.status == Status.SENT
    [sms] = fake_twilio.received
    assert message.provider_id == sms.sid
    assert len(fake_twilio.lookups) == 1


def test_recovered_within_a_minute_not_after_ten(fake_twilio, settings):
    """The interrupted claim is taken back after OUTBOX_INTERRUPTED_AFTER (45 s),
    no longer after the lost-task timeout (10 minutes)."""
    assert timedelta(minutes=1) >= settings.OUTBOX_INTERRUPTED_AFTER
    assert settings.OUTBOX_INTERRUPTED_AFTER < settings.OUTBOX_REDISPATCH_AFTER
    [message] = _queue()
    _killed_after_twilio_accepted(message)

    Message.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - settings.OUTBOX_INTERRUPTED_AFTER + timedelta(seconds=5)
    )
    assert sweep_outbox() == 0
    _age_claim(message, settings)
    assert sweep_outbox() == 1
    assert _get(message).status == Status.SENT
    assert len(fake_twilio.received) == 1


def test_a_sid_recorded_on_another_message_is_not_taken(fake_twilio, settings):
    """Two messages with the same text to the same number (a resend): the one sent
    before is not mistaken for the interrupted one."""
    first, second = _queue(2, same_text=True)
    assert sweep_outbox() == 0
    from notifications.tasks import deliver_message

    assert deliver_message.delay(first.pk).get() == "sent"
    assert _claim(second.pk) is not None  # killed before the API call

    _age_claim(second, settings)
    sweep_outbox()

    first, second = _get(first), _get(second)
    assert second.status == Status.SENT
    assert second.provider_id != first.provider_id
    assert len(fake_twilio.received) == 2


def test_failed_lookup_sends_nothing_and_tries_again_later(fake_twilio, settings):
    [message] = _queue()
    _killed_after_twilio_accepted(message)
    _age_claim(message, settings)
    real_token = settings.TWILIO_AUTH_TOKEN
    settings.TWILIO_AUTH_TOKEN = "wrong"  # the look-up is refused (401)

    sweep_outbox()

    message = _get(message)
    assert message.status == Status.QUEUED
    assert "lookup" in message.last_error
    assert message.scheduled_for > timezone.now()
    assert len(fake_twilio.received) == 1
    settings.TWILIO_AUTH_TOKEN = real_token
    Message.objects.filter(pk=message.pk).update(scheduled_for=timezone.now())
    sweep_outbox()
    assert _get(message).status == Status.SENT
    assert len(fake_twilio.received) == 1


def test_a_retry_after_a_timeout_does_not_send_twice(fake_twilio, settings):
    """A timeout after Twilio accepted the SMS (the answer never came): the retry
    finds it instead of sending it again."""
    from notifications.tasks import deliver_message

    settings.TWILIO_BASE_URL = fake_twilio.base_url
    fake_twilio.reply_delay = 0.6
    [message] = _queue()
    backend = get_backend()
    backend.http_client.timeout = 0.3

    assert deliver_message.delay(message.pk).get() == "retry-scheduled"
    assert len(fake_twilio.received) == 1
    fake_twilio.reply_delay = 0
    Message.objects.filter(pk=message.pk).update(scheduled_for=timezone.now())
    sweep_outbox()

    message = _get(message)
    assert message.status == Status.SENT
    assert message.provider_id == fake_twilio.received[0].sid
    assert len(fake_twilio.received) == 1


# --- lost tasks -----------------------------------------------------------------------


def test_task_taken_by_a_dead_worker_is_dispatched_again_within_a_minute(sms_outbox, settings):
    """A task the killed worker had taken but not started: messages published after
    it were picked up a while ago, so it is not merely waiting in the queue."""
    held, later = _queue(2)
    now = timezone.now()
    grace = settings.OUTBOX_INTERRUPTED_AFTER
    Message.objects.filter(pk=held.pk).update(dispatched_at=now - grace - timedelta(seconds=10))
    Message.objects.filter(pk=later.pk).update(
        status=Status.SENT,
        sent_at=now,
        dispatched_at=now - grace - timedelta(seconds=9),
        claimed_at=now - grace - timedelta(seconds=8),
    )

    assert sweep_outbox() == 1

    assert _get(held).status == Status.SENT
    assert len(sms_outbox) == 1


def test_lost_task_in_a_batch_published_at_one_moment(sms_outbox, settings):
    """A round is published under one time stamp, in id order."""
    held, later = _queue(2)
    grace = settings.OUTBOX_INTERRUPTED_AFTER
    published = timezone.now() - grace - timedelta(seconds=10)
    Message.objects.filter(pk__in=[held.pk, later.pk]).update(dispatched_at=published)
    Message.objects.filter(pk=later.pk).update(
        status=Status.SENT, sent_at=published, claimed_at=published + timedelta(seconds=1)
    )

    assert sweep_outbox() == 1
    assert _get(held).status == Status.SENT


def test_task_still_waiting_in_a_long_queue_is_left_alone(sms_outbox, settings):
    """Published a minute ago, but nothing published after it was picked up yet (a
    deep queue): not lost."""
    waiting, behind = _queue(2)
    now = timezone.now()
    grace = settings.OUTBOX_INTERRUPTED_AFTER
    Message.objects.filter(pk=waiting.pk).update(dispatched_at=now - grace - timedelta(seconds=10))
    Message.objects.filter(pk=behind.pk).update(dispatched_at=now - grace - timedelta(seconds=9))

    assert sweep_outbox() == 0
    assert sms_outbox == []


# --- the fake's list API, through the real client --------------------------------------


def test_fake_lists_messages_like_twilio(fake_twilio: FakeTwilio):
    backend = get_backend()
    for i in range(3):
        backend.send(PHONE, f"nummer {i}")
    backend.send("+4520123457", "en anden")

    listed = backend.client.messages.list(to=PHONE, page_size=2)
    assert [m.body for m in listed] == ["nummer 2", "nummer 1", "nummer 0"]  # two pages
    assert {m.status for m in listed} == {"sent"}
    today = datetime.now(UTC)
    assert len(backend.client.messages.list(date_sent_after=today - timedelta(minutes=1))) == 4
    assert backend.client.messages.list(date_sent_after=today + timedelta(minutes=1)) == []
    sid = listed[0].sid
    assert backend.client.messages(sid).fetch().body == "nummer 2"
