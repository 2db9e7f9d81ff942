"""SMS through the real ``twilio`` client and TwilioBackend, against a fake Twilio on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from notifications.models import Message
from notifications.services import queue_message
from notifications.sms import get_backend
from notifications.tasks import MAX_ATTEMPTS, sweep_outbox
from pollcrew.redaction import redact
from staffing.models import Assignment
from tests import factories
from tests.fakes.scenarios import invite_one, make_due, message_for, resolve
from tests.fakes.twilio_server import FakeTwilio, ReceivedSms, new_sid

PHONE = "+4520123456"
WEBHOOK = reverse("notifications:twilio_status")
Status = Message.Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite_sms(fake_twilio, django_capture_on_commit_callbacks):
    """Invite an SMS volunteer; the invitation is dispatched on commit (eager Celery)."""

    def invite(phone: str = PHONE) -> Message:
        volunteer = factories.volunteer(channel="sms", phone=phone)
        with django_capture_on_commit_callbacks(execute=True):
            invite_one(volunteer)
        return message_for(volunteer, "invitation")

    return invite


def _path(url: str) -> str:
    """The test client's path for a callback URL on http://testserver (query string kept)."""
    assert url.startswith("http://testserver" + WEBHOOK)
    return url.removeprefix("http://testserver")


def _post_callback(client, fake: FakeTwilio, sms: ReceivedSms, status: str, **kw):
    url, params, signature = fake.status_callback(sms, status, **kw)
    return client.post(_path(url), params, HTTP_X_TWILIO_SIGNATURE=signature)


# --- sending ---------------------------------------------------------------------


def test_invitation_is_sent_through_twilio(fake_twilio, invite_sms, settings):
    message = invite_sms()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.last_error == ""
    [sms] = fake_twilio.received
    assert message.provider_id == sms.sid
    assert sms.sid.startswith("SM") and len(sms.sid) == 34
    assert sms.account_sid == settings.TWILIO_ACCOUNT_SID
    assert sms.to == PHONE
    assert sms.from_ == settings.TWILIO_FROM
    assert redact(sms.body) == message.body  # the stored copy keeps no live link
    assert sms.status_callback == f"http://testserver{WEBHOOK}?m={message.pk}"
    assert (
        resolve(sms.body).volunteer_id == Assignment.objects.get(pk=message.subject_id).volunteer_id
    )


def test_messaging_service_replaces_the_sender(fake_twilio, invite_sms, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = new_sid("MG")

    message = invite_sms()

    [sms] = fake_twilio.received
    assert sms.messaging_service_sid == settings.TWILIO_MESSAGING_SERVICE_SID
    assert sms.from_ == ""
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_backend_keeps_one_client_per_thread_and_configuration(fake_twilio, settings):
    first = get_backend()
    assert get_backend() is first  # one HTTP connection pool, reused between sends
    settings.TWILIO_AUTH_TOKEN = "rotated"
    assert get_backend() is not first


# --- permanent errors ----------------------------------------------------------------


@pytest.mark.parametrize("problem_details", [False, True], ids=["legacy-error", "rfc9457-error"])
def test_invalid_number_fails_at_once(fake_twilio, invite_sms, problem_details):
    """Twilio's 400 / 21211 is final, in either error shape the client knows.
    (The RFC 9457 shape used to be taken for "Twilio unreachable" and retried.)"""
    fake_twilio.problem_details = problem_details
    fake_twilio.mark_invalid(PHONE)

    message = invite_sms()

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert "21211" in message.last_error
    assert PHONE not in message.last_error  # stored masked
    assert "+45 •• •• •• " in message.last_error
    assert fake_twilio.received == []
    # Nothing comes back for another try.
    make_due(message)
    assert sweep_outbox() == 0
    assert len(fake_twilio.requests) == 1


# --- transient errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "shown"), [(500, "500"), (503, "503"), (429, "429")], ids=["500", "503", "429"]
)
def test_server_error_is_retried_with_backoff(fake_twilio, invite_sms, status, shown):
    fake_twilio.fail_next(status)
    before = timezone.now()

    message = invite_sms()

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.attempts == 1
    assert shown in message.last_error
    assert message.scheduled_for > before + timedelta(seconds=20)  # the first backoff: 30 s
    assert message.dispatched_at is None  # eager: no task in flight, the sweeper owns it
    assert fake_twilio.received == []

    # Not before it is due…
    assert sweep_outbox() == 0
    assert len(fake_twilio.requests) == 1
    # …then on the next attempt.
    make_due(message)
    assert sweep_outbox() == 1

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert message.last_error == ""
    [sms] = fake_twilio.received
    assert message.provider_id == sms.sid


def test_repeated_server_errors_fail_after_max_attempts(fake_twilio, invite_sms):
    fake_twilio.fail_next(500, times=MAX_ATTEMPTS)
    message = invite_sms()
    for _ in range(MAX_ATTEMPTS - 1):
        make_due(message)
        sweep_outbox()

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert len(fake_twilio.requests) == MAX_ATTEMPTS


def test_unreachable_twilio_is_transient(fake_twilio, invite_sms):
    fake_twilio.stop()  # connections are refused from now on

    message = invite_sms()

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.attempts == 1
    assert "unreachable" in message.last_error
    assert message.scheduled_for > timezone.now()


def test_wrong_credentials_wait_for_the_configuration_to_be_fixed(
    fake_twilio, invite_sms, settings
):
    real_token = settings.TWILIO_AUTH_TOKEN
    settings.TWILIO_AUTH_TOKEN = "not-the-token"

    message = invite_sms()

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert "20003" in message.last_error
    settings.TWILIO_AUTH_TOKEN = real_token
    make_due(message)
    sweep_outbox()
    message.refresh_from_db()
    assert message.status == Status.SENT


# --- status callbacks -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_signed_callback_over_http_marks_delivered(fake_twilio, live_server, settings):
    """The whole loop over real HTTP: send, then Twilio's callback to the public URL."""
    settings.SITE_URL = live_server.url
    volunteer = factories.volunteer(channel="sms", phone=PHONE)
    invite_one(volunteer)  # autocommit: dispatched on commit, sent eagerly
    message = message_for(volunteer, "invitation")
    [sms] = fake_twilio.received
    assert sms.status_callback == f"{live_server.url}{WEBHOOK}?m={message.pk}"

    assert fake_twilio.send_status(sms, "sent") == 204
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert fake_twilio.send_status(sms, "delivered") == 204

    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert message.delivered_at is not None


def test_undelivered_callback_marks_failed_with_the_code(client, fake_twilio, invite_sms):
    message = invite_sms()
    [sms] = fake_twilio.received

    response = _post_callback(client, fake_twilio, sms, "undelivered", error_code="30003")

    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "undelivered" in message.last_error
    assert "30003" in message.last_error


def test_callbacks_out_of_order_keep_the_final_state(client, fake_twilio, invite_sms):
    message = invite_sms()
    [sms] = fake_twilio.received
    _post_callback(client, fake_twilio, sms, "delivered")
    message.refresh_from_db()
    first_delivered_at = message.delivered_at

    for late in ("sent", "delivered", "undelivered"):
        assert _post_callback(client, fake_twilio, sms, late).status_code == 204

    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert message.delivered_at == first_delivered_at


@pytest.mark.parametrize("how", ["wrong-token", "no-signature", "tampered"], ids=lambda how: how)
def test_bad_signature_is_refused_and_changes_nothing(client, fake_twilio, invite_sms, how):
    message = invite_sms()
    [sms] = fake_twilio.received
    url, params, signature = fake_twilio.status_callback(
        sms, "delivered", auth_token="wrong-token" if how == "wrong-token" else None
    )
    headers = {} if how == "no-signature" else {"HTTP_X_TWILIO_SIGNATURE": signature}
    if how == "tampered":
        params["MessageStatus"] = "undelivered"

    response = client.post(_path(url), params, **headers)

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.delivered_at is None


def test_unknown_message_sid_is_harmless(client, fake_twilio, invite_sms):
    message = invite_sms()
    stranger = ReceivedSms(
        sid=new_sid("SM"),
        account_sid=fake_twilio.account_sid,
        to="+4520999999",
        from_=fake_twilio.from_,
        messaging_service_sid="",
        body="",
        status_callback="http://testserver" + WEBHOOK,
    )

    response = _post_callback(client, fake_twilio, stranger, "delivered")

    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert Message.objects.filter(status=Status.DELIVERED).count() == 0


def test_callback_without_message_sid_does_not_touch_emails(client, fake_twilio, mailoutbox):
    """Emails have no provider ID (""). A callback with an empty MessageSid used to
    match one of them and mark it delivered."""
    email = queue_message(
        channel="email",
        to="karen@example.dk",
        kind="invitation",
        language="en",
        context={"first_name": "Karen", "link": "http://testserver/v/x/"},
        idempotency_key="email-1",
    )
    Message.objects.filter(pk=email.pk).update(status=Status.SENT, sent_at=timezone.now())
    blank = ReceivedSms("", fake_twilio.account_sid, PHONE, fake_twilio.from_, "", "", "")
    _url, params, signature = fake_twilio.status_callback(
        blank, "delivered", url="http://testserver" + WEBHOOK
    )

    response = client.post(WEBHOOK, params, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 204
    email.refresh_from_db()
    assert email.status == Status.SENT


def test_webhook_refuses_get(client, fake_twilio):
    assert client.get(WEBHOOK).status_code == 405


def test_webhook_refuses_everything_without_a_configured_token(
    client, fake_twilio, invite_sms, settings
):
    message = invite_sms()
    [sms] = fake_twilio.received
    url, params, _signature = fake_twilio.status_callback(sms, "delivered")
    settings.TWILIO_AUTH_TOKEN = ""
    empty_key_signature = RequestValidator("").compute_signature(url, params)

    response = client.post(_path(url), params, HTTP_X_TWILIO_SIGNATURE=empty_key_signature)

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Status.SENT


# --- a callback faster than the API's answer --------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("early", "final"), [("delivered", Status.DELIVERED), ("undelivered", Status.FAILED)]
)
def test_a_callback_before_the_sid_is_saved_is_not_lost(
    fake_twilio, live_server, settings, early, final
):
    """Twilio calls back while the worker still waits for the API's answer (the
    message is 'sending', with no SID saved): the state is kept, and the worker's
    own "sent" afterwards does not overwrite it. It used to be dropped."""
    settings.SITE_URL = live_server.url
    fake_twilio.status_before_reply = early
    volunteer = factories.volunteer(channel="sms", phone=PHONE)

    invite_one(volunteer)  # autocommit: dispatched on commit, sent eagerly

    message = message_for(volunteer, "invitation")
    [sms] = fake_twilio.received
    assert fake_twilio.early_callbacks == [204]
    assert message.status == final
    assert message.provider_id == sms.sid
    assert message.sent_at is not None
    assert message.body == redact(sms.body)  # the stored copy keeps no live link
    if final == Status.DELIVERED:
        assert message.delivered_at is not None
    else:
        assert "undelivered" in message.last_error

    # The later callbacks change nothing: the first final state stands.
    assert fake_twilio.send_status(sms, "sent") == 204
    message.refresh_from_db()
    assert message.status == final


def test_the_message_id_in_the_url_cannot_take_another_messages_state(
    client, fake_twilio, invite_sms
):
    """A signed callback for an unknown SID names a message that has its own SID
    already: nothing changes (the id only finds an SMS still waiting for its SID)."""
    message = invite_sms()
    [sms] = fake_twilio.received
    other = ReceivedSms(
        new_sid("SM"),
        fake_twilio.account_sid,
        PHONE,
        fake_twilio.from_,
        "",
        "",
        f"http://testserver{WEBHOOK}?m={message.pk}",
    )

    assert _post_callback(client, fake_twilio, other, "undelivered").status_code == 204

    message.refresh_from_db()
    assert (message.status, message.provider_id) == (Status.SENT, sms.sid)


def test_an_email_is_never_found_by_the_id_in_the_url(client, fake_twilio, mailoutbox):
    email = queue_message(
        channel="email",
        to="karen@example.dk",
        kind="invitation",
        language="en",
        context={"first_name": "Karen", "link": "http://testserver/v/x/"},
        idempotency_key="email-2",
    )
    Message.objects.filter(pk=email.pk).update(status=Status.SENT, sent_at=timezone.now())
    sms = ReceivedSms(
        new_sid("SM"),
        fake_twilio.account_sid,
        PHONE,
        fake_twilio.from_,
        "",
        "",
        f"http://testserver{WEBHOOK}?m={email.pk}",
    )

    assert _post_callback(client, fake_twilio, sms, "delivered").status_code == 204

    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.provider_id == ""


def test_a_changed_message_id_breaks_the_signature(client, fake_twilio, invite_sms):
    message = invite_sms()
    [sms] = fake_twilio.received
    url, params, signature = fake_twilio.status_callback(sms, "delivered")

    forged = _path(url).replace(f"m={message.pk}", f"m={message.pk + 1}")
    response = client.post(forged, params, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Status.SENT
