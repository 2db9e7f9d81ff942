"""Delivery through a real Celery worker (in a thread, solo pool).

The broker is CELERY_BROKER_URL when set (CI: a Redis database of its own), else
kombu's in-memory transport, so that a machine without Redis runs these too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from notifications import tasks
from notifications.models import Message
from pollcrew.celery import app as celery_app
from pollcrew.redaction import redact
from tests import factories
from tests.fakes.celery_broker import celery_broker
from tests.fakes.scenarios import invite_one, message_for, resolve

Status = Message.Status

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _close_db_connections(**_kwargs) -> None:
    """The worker thread's database connections must not outlive the test."""
    connections.close_all()


@pytest.fixture
def worker() -> Iterator[None]:
    """A real worker consuming from the broker; tasks are published, not run inline."""
    url = os.environ.get("CELERY_BROKER_URL") or "memory://"
    before = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    with celery_broker(
        url,
        task_always_eager=False,
        broker_transport_options={"polling_interval": 0.05, "visibility_timeout": 3600},
        broker_connection_retry_on_startup=False,
    ) as app:
        app.control.purge()  # nothing left over from an earlier run
        task_postrun.connect(_close_db_connections, weak=False)
        try:
            with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
                yield
        finally:
            task_postrun.disconnect(_close_db_connections)
    assert (celery_app.conf.broker_url, celery_app.conf.task_always_eager) == before


def _wait_for_status(message: Message, *statuses: str, timeout: float = 15.0) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status in statuses:
            return message
        time.sleep(0.05)
    pytest.fail(f"message {message.pk} still {message.status!r} after {timeout} s")


def test_worker_delivers_sms_and_email(worker, fake_twilio, smtp_sink):
    by_sms = factories.volunteer(channel="sms", phone="+4520123456")
    by_email = factories.volunteer(channel="email")

    invite_one(by_sms)  # autocommit: published on commit, picked up by the worker
    invite_one(by_email)

    sms_message = _wait_for_status(message_for(by_sms, "invitation"), Status.SENT)
    email_message = _wait_for_status(message_for(by_email, "invitation"), Status.SENT)
    [sms] = fake_twilio.wait_for(1)
    assert sms.to == "+4520123456"
    assert redact(sms.body) == sms_message.body
    assert sms_message.provider_id == sms.sid
    assert sms_message.attempts == 1
    [email] = smtp_sink.wait_for(1)
    assert email["To"] == by_email.email
    assert email["Subject"] == email_message.subject
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert resolve(text).volunteer == by_email


def test_worker_retries_a_transient_error_through_the_broker(worker, fake_twilio, monkeypatch):
    """The retry path a worker takes (self.retry with a countdown), not the eager one."""
    monkeypatch.setattr(tasks, "RETRY_BASE", timedelta(milliseconds=200))
    fake_twilio.fail_next(503)
    volunteer = factories.volunteer(channel="sms", phone="+4520123457")

    invite_one(volunteer)

    message = _wait_for_status(message_for(volunteer, "invitation"), Status.SENT)
    assert message.attempts == 2
    assert message.last_error == ""
    assert [status for status, _form in fake_twilio.requests] == [503, 201]
    assert len(fake_twilio.received) == 1


def test_a_large_round_is_handed_over_in_chunks_and_all_delivered(worker, fake_twilio):
    """The committing request publishes one task per chunk, not one per message
    (10,000 publishes took a round's request about 9 s); a worker publishes the
    delivery tasks, and every message goes out once."""
    import threading

    from celery.signals import before_task_publish
    from django.db import transaction

    from notifications.services import FAN_OUT_CHUNK, Draft, dispatch_on_commit, queue_messages

    published: list[tuple[int, str]] = []  # (thread, task name)

    def count(sender=None, **_kwargs) -> None:
        published.append((threading.get_ident(), sender))

    count_n = FAN_OUT_CHUNK + 20
    drafts = [
        Draft(
            "sms",
            f"+452{i:07d}",
            "new_link",
            "da",
            {"first_name": f"Navn{i}", "election": "Valg", "link": f"http://x/v/{i}/"},
            f"round:{i}",
        )
        for i in range(count_n)
    ]
    before_task_publish.connect(count, weak=False)
    try:
        with transaction.atomic():
            ids = [m.pk for m in queue_messages(drafts)]
            dispatch_on_commit(ids)
        here = threading.get_ident()  # the request's thread; the worker has its own
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if Message.objects.filter(pk__in=ids, status=Status.SENT).count() == count_n:
                break
            time.sleep(0.1)
    finally:
        before_task_publish.disconnect(count)

    from_request = [name for thread, name in published if thread == here]
    assert from_request == ["notifications.tasks.dispatch_chunk"] * 2
    assert Message.objects.filter(pk__in=ids, status=Status.SENT).count() == count_n
    assert len(fake_twilio.received) == count_n
    assert len({sms.to for sms in fake_twilio.received}) == count_n  # each once
