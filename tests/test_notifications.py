"""The outbox: nothing lost, nothing sent twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notifications.gsm import is_gsm7, segments
from notifications.models import Message
from notifications.rendering import render_sms
from notifications.services import cancel_queued, dispatch_messages, queue_message
from notifications.tasks import MAX_ATTEMPTS, _claim, deliver_message, sweep_outbox
from pollcrew.redaction import redact
from staffing import services
from staffing.models import Assignment
from tests import factories
from tests.fakes.celery_broker import celery_broker
from tests.fakes.net import closed_port
from tests.fakes.scenarios import (
    LONG_ADDRESS,
    LONG_FIRST_NAME,
    LONG_MUNICIPALITY,
    LONG_ROLE,
    LONG_SITE_URL,
    LONG_STATION,
    invite_one,
    link_in,
    make_due,
    message_for,
    resolve,
)

PHONE = "+4520123456"
Status = Message.Status

pytestmark = pytest.mark.django_db


def _queue(key: str = "test:1", **kw) -> Message:
    values = {
        "channel": "sms",
        "to": PHONE,
        "kind": "invitation",
        "language": "en",
        "context": {"first_name": "Karen", "link": "http://testserver/v/token/"},
        "idempotency_key": key,
    }
    values.update(kw)
    return queue_message(**values)


def _status(message: Message) -> str:
    message.refresh_from_db()
    return message.status


# --- idempotency --------------------------------------------------------------------------


def test_same_key_twice_is_one_message_and_one_send(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue("invite:7")
        second = _queue("invite:7", context={"first_name": "Someone else"})
    with django_capture_on_commit_callbacks(execute=True):
        third = _queue("invite:7")

    assert first.pk == second.pk == third.pk
    assert Message.objects.count() == 1
    assert len(sms_outbox) == 1
    assert "Karen" in sms_outbox[0].body
    assert _status(first) == Status.SENT


def test_losing_the_race_for_a_key_returns_the_winner(sms_outbox):
    """Another process stores the same key between our look-up and our insert:
    the caller gets the stored message, and its transaction is not broken."""
    winner: list[Message] = []
    raced = False

    def insert_competitor_after_lookup(execute, sql, params, many, context):
        nonlocal raced
        result = execute(sql, params, many, context)
        if not raced and sql.startswith("SELECT") and '"idempotency_key" =' in sql:
            raced = True
            competitor = Message.objects.create(
                channel="sms",
                to=PHONE,
                kind="invitation",
                language="en",
                body="from the other process",
                idempotency_key="race:1",
            )
            winner.append(competitor)
        return result

    with transaction.atomic():
        with connection.execute_wrapper(insert_competitor_after_lookup):
            message = _queue("race:1")
        # The surrounding transaction is still usable.
        assert Message.objects.filter(idempotency_key="race:1").count() == 1

    assert message.pk == winner[0].pk
    assert message.body == "from the other process"


def test_other_integrity_errors_still_raise():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        _queue("no-recipient", to="")


# --- after commit only ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_dispatched_only_after_commit(sms_outbox):
    with transaction.atomic():
        message = _queue()
        assert sms_outbox == []  # not while the transaction is open
    assert len(sms_outbox) == 1
    assert _status(message) == Status.SENT


@pytest.mark.django_db(transaction=True)
def test_nothing_sent_when_the_transaction_rolls_back(sms_outbox):
    def queue_then_fail() -> None:
        with transaction.atomic():
            _queue()
            raise RuntimeError("the invite failed half-way")

    with pytest.raises(RuntimeError):
        queue_then_fail()

    assert sms_outbox == []
    assert Message.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_invite_rolled_back_sends_nothing(sms_outbox):
    volunteer = factories.volunteer(channel="sms")

    def invite_then_fail() -> None:
        with transaction.atomic():
            invite_one(volunteer)
            assert Message.objects.count() == 1
            raise RuntimeError

    with pytest.raises(RuntimeError):
        invite_then_fail()

    assert sms_outbox == []
    assert Message.objects.count() == 0


# --- redelivered, cancelled, scheduled ----------------------------------------------------


def test_redelivered_task_for_a_sent_message_is_harmless(
    sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()
    message.refresh_from_db()
    sent_at = message.sent_at

    assert deliver_message.delay(message.pk).get() == "skipped"
    assert dispatch_messages([message.pk, message.pk]) == 2

    message.refresh_from_db()
    assert len(sms_outbox) == 1
    assert message.attempts == 1
    assert message.sent_at == sent_at


def test_task_for_a_missing_message_is_skipped():
    assert deliver_message.delay(987654).get() == "skipped"


def test_cancelled_message_is_not_sent(sms_outbox, django_capture_on_commit_callbacks):
    message = _queue(dispatch=False)

    assert cancel_queued([message.pk]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_messages([message.pk])
    assert sweep_outbox() == 0

    assert sms_outbox == []
    assert _status(message) == Status.CANCELLED
    assert cancel_queued([message.pk]) == 0


def test_scheduled_message_waits_until_due(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = _queue(scheduled_for=timezone.now() + timedelta(hours=1))
    assert callbacks == []  # nothing to hand to a worker yet
    assert message.dispatched_at is None

    assert sweep_outbox() == 0
    assert deliver_message.delay(message.pk).get() == "skipped"  # a task that came early
    assert sms_outbox == []

    make_due(message)
    assert sweep_outbox() == 1
    assert len(sms_outbox) == 1
    assert _status(message) == Status.SENT


def test_task_arriving_before_the_due_time_hands_the_message_to_the_sweeper(sms_outbox):
    """A retry's task can run before the message's scheduled time (clock skew
    between hosts). The message must not wait for the lost-task timeout (10 min)."""
    message = _queue(dispatch=False)
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(
        scheduled_for=now + timedelta(minutes=1), dispatched_at=now
    )

    assert deliver_message.delay(message.pk).get() == "skipped"

    message.refresh_from_db()
    assert message.dispatched_at is None
    make_due(message)
    assert sweep_outbox() == 1
    assert _status(message) == Status.SENT


def test_task_a_moment_early_still_sends(sms_outbox):
    message = _queue(dispatch=False)
    Message.objects.filter(pk=message.pk).update(
        scheduled_for=timezone.now() + timedelta(milliseconds=500)
    )

    assert deliver_message.delay(message.pk).get() == "sent"
    assert len(sms_outbox) == 1


# --- crashes and surprises -----------------------------------------------------------------


def test_message_of_a_worker_that_died_mid_send_is_sent_again(sms_outbox, settings):
    message = _queue(dispatch=False)
    assert _claim(message.pk) is not None  # …and the worker is killed here.
    assert _status(message) == Status.SENDING

    assert sweep_outbox() == 0  # it may still be sending: leave it alone for now
    Message.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - settings.OUTBOX_REDISPATCH_AFTER - timedelta(seconds=1)
    )
    assert sweep_outbox() == 1

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert len(sms_outbox) == 1


def test_message_that_keeps_killing_workers_fails_in_the_end(sms_outbox, settings):
    message = _queue(dispatch=False)
    long_ago = timezone.now() - settings.OUTBOX_REDISPATCH_AFTER - timedelta(seconds=1)
    Message.objects.filter(pk=message.pk).update(
        status=Status.SENDING, attempts=MAX_ATTEMPTS, claimed_at=long_ago
    )

    assert sweep_outbox() == 0

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "Interrupted" in message.last_error
    assert sms_outbox == []


def test_unexpected_error_does_not_strand_the_message(
    settings, sms_outbox, django_capture_on_commit_callbacks
):
    """Any exception while sending (here: a mistyped SMS_BACKEND) leaves the
    message queued for a retry. It used to stay in 'sending' for ever, and the
    exception reached the request that queued it."""
    settings.SMS_BACKEND = "notifications.sms.NoSuchBackend"
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert "NoSuchBackend" in message.last_error
    assert message.scheduled_for > timezone.now()

    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    make_due(message)
    sweep_outbox()
    assert _status(message) == Status.SENT
    assert len(sms_outbox) == 1


def test_email_header_injection_fails_for_good(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue(channel="email", to="karen@example.dk\nBcc: all@example.dk")

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert mailoutbox == []


# --- the broker is down -------------------------------------------------------------------


def _broker_down():
    return celery_broker(
        f"redis://127.0.0.1:{closed_port()}/0",
        task_publish_retry_policy={"max_retries": 0},
    )


def test_broker_down_leaves_messages_for_the_sweeper(
    sms_outbox, django_capture_on_commit_callbacks
):
    with _broker_down(), django_capture_on_commit_callbacks(execute=True):
        # No exception reaches the caller: the messages are safe in the outbox.
        messages = [_queue(f"k:{i}", dispatch=False) for i in range(3)]
        from notifications.services import dispatch_on_commit

        dispatch_on_commit([m.pk for m in messages])

    for message in messages:
        message.refresh_from_db()
        assert message.status == Status.QUEUED
        assert message.dispatched_at is None
        assert message.attempts == 0
    assert sms_outbox == []

    # The broker is back (eager again here): the sweeper sends them.
    assert sweep_outbox() == 3
    assert len(sms_outbox) == 3
    assert {_status(m) for m in messages} == {Status.SENT}


def test_broker_down_during_invite(sms_outbox, django_capture_on_commit_callbacks):
    volunteer = factories.volunteer(channel="sms")
    with _broker_down(), django_capture_on_commit_callbacks(execute=True):
        assignment = invite_one(volunteer)

    assert assignment.pk is not None  # the invite itself succeeded
    message = message_for(volunteer, "invitation")
    assert message.dispatched_at is None
    assert sweep_outbox() == 1
    assert _status(message) == Status.SENT


def test_sweeper_with_broker_down_keeps_messages_for_next_time(sms_outbox):
    message = _queue(dispatch=False)
    Message.objects.filter(pk=message.pk).update(dispatched_at=None)

    with _broker_down():
        assert sweep_outbox() == 0

    message.refresh_from_db()
    assert message.dispatched_at is None
    assert sweep_outbox() == 1
    assert _status(message) == Status.SENT


def test_sweeper_redispatches_a_lost_task(sms_outbox, settings):
    message = _queue(dispatch=False)  # published (dispatched_at set), but the task was lost
    assert sweep_outbox() == 0
    Message.objects.filter(pk=message.pk).update(
        dispatched_at=timezone.now() - settings.OUTBOX_REDISPATCH_AFTER - timedelta(seconds=1)
    )
    assert sweep_outbox() == 1
    assert _status(message) == Status.SENT


# --- SMS bodies ---------------------------------------------------------------------------


@pytest.fixture
def long_names(settings):
    settings.SITE_URL = LONG_SITE_URL
    settings.MUNICIPALITY_NAME = LONG_MUNICIPALITY
    station = factories.station(name=LONG_STATION, address=LONG_ADDRESS, city="Kongens Lyngby")
    role = factories.role(name=LONG_ROLE)
    election = factories.election(name="Kommunal- og regionsrådsvalg 2029")
    return factories.shift(election, station_=station, role_=role)


@pytest.mark.parametrize("language", ["da", "en"])
def test_sms_bodies_fit_two_segments_with_long_names(
    long_names, sms_outbox, django_capture_on_commit_callbacks, language
):
    volunteer = factories.volunteer(channel="sms", first_name=LONG_FIRST_NAME, language=language)
    with django_capture_on_commit_callbacks(execute=True):
        [assignment] = services.invite(long_names, [volunteer], by=None).invited
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(assignment)
    with django_capture_on_commit_callbacks(execute=True):
        services.decline(assignment)  # accepted → withdrawn
    other = factories.volunteer(channel="sms", first_name=LONG_FIRST_NAME, language=language)
    with django_capture_on_commit_callbacks(execute=True):
        [declined] = services.invite(long_names, [other], by=None).invited
    with django_capture_on_commit_callbacks(execute=True):
        services.decline(declined)

    kinds = {m.kind: m for m in Message.objects.filter(channel="sms")}
    assert set(kinds) == {"invitation", "accepted", "withdrawn", "declined"}
    # (recipient, stored copy) -> the text that was sent
    sent = {(sms.to, redact(sms.body)): sms.body for sms in sms_outbox}
    for kind, message in kinds.items():
        body = sent[message.to, message.body]
        assert is_gsm7(body), (kind, body)
        assert segments(body) <= 2, (kind, len(body), body)
        url, _token = link_in(body)
        assert url.startswith(LONG_SITE_URL + "/v/")
        assert (
            resolve(body).volunteer_id == Assignment.objects.get(pk=message.subject_id).volunteer_id
        )
    assert len(sms_outbox) == 5


@pytest.mark.parametrize("language", ["da", "en"])
def test_notices_by_sms_fit_two_segments_with_long_names(
    long_names, sms_outbox, django_capture_on_commit_callbacks, language
):
    """The office's notices (moved, shift changed, removed, a new link) keep the
    link whole within two segments, however long the names."""
    staff = factories.user(coordinator=True)
    volunteer = factories.volunteer(channel="sms", first_name=LONG_FIRST_NAME, language=language)
    other_station = factories.station(
        name=LONG_STATION + " II", address=LONG_ADDRESS, city="Kongens Lyngby"
    )
    later = factories.shift(
        long_names.election, station_=other_station, role_=long_names.role, start=21, end=23
    )
    with django_capture_on_commit_callbacks(execute=True):
        [assignment] = services.invite(long_names, [volunteer], by=staff).invited
    with django_capture_on_commit_callbacks(execute=True):
        services.move(assignment, later, by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        services.reschedule_shift(
            later, later.starts_at, later.ends_at + timedelta(minutes=30), by=staff, confirm=True
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.reissue_link(volunteer, long_names.election, by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        services.remove(assignment, by=staff)

    kinds = {m.kind: m for m in Message.objects.filter(channel="sms").exclude(kind="invitation")}
    assert set(kinds) == {"moved", "shift_changed", "new_link", "removed"}
    sent = {(sms.to, redact(sms.body)): sms.body for sms in sms_outbox}
    for kind, message in kinds.items():
        body = sent[message.to, message.body]
        assert is_gsm7(body), (kind, body)
        assert segments(body) <= 2, (kind, len(body), body)
        url, _token = link_in(body)
        assert url.startswith(LONG_SITE_URL + "/v/")
    # The reissue revoked the links sent before it; the later ones work.
    for kind in ("new_link", "removed"):
        message = kinds[kind]
        assert resolve(sent[message.to, message.body]).volunteer_id == volunteer.pk


def test_sms_body_is_kept_to_gsm7(sms_outbox, django_capture_on_commit_callbacks):
    """A dash pasted from a word processor, or a name like Zoë, must not turn the
    whole SMS into UCS-2 (70 characters a segment)."""
    station = factories.station(name="Rådhuset \u2013 Sal \u201cB\u201d")  # en dash, curly quotes
    volunteer = factories.volunteer(channel="sms", first_name="Zoë")
    with django_capture_on_commit_callbacks(execute=True):
        invite_one(volunteer, station_=station)

    body = message_for(volunteer, "invitation").body
    assert is_gsm7(body)
    assert 'Rådhuset - Sal "B"' in body
    assert "Zoe" in body
    assert redact(sms_outbox[0].body) == body  # the stored copy keeps no live link


def test_overlong_names_are_shortened_but_never_the_link():
    link = LONG_SITE_URL + "/v/" + "T" * 43 + "/"
    context = {
        "municipality": LONG_MUNICIPALITY,
        "first_name": "Karen",
        "role": LONG_ROLE,
        "station": "Skolen " + "meget lang stationsbetegnelse " * 8,
        "station_address": LONG_ADDRESS,
        "starts_at": timezone.now(),
        "ends_at": timezone.now(),
        "link": link,
    }

    body = render_sms("accepted", context)

    assert segments(body) <= 2
    assert body.endswith(link)
    assert "Skolen meget lang" in body
    assert "Karen" in body  # short fields are left alone


def test_segments_are_counted_like_the_operators_do():
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3
    assert segments("æøå" * 50) == 1  # Danish letters are GSM-7
    assert segments("€" * 80) == 1  # extension characters count twice
    assert segments("€" * 81) == 2
    assert segments("Łukasz" + "a" * 64) == 1  # UCS-2
    assert segments("Łukasz" + "a" * 65) == 2
