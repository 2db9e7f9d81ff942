"""Channel fallback: a message the recipient's address refuses for good goes out
on the volunteer's other channel; with none left, the volunteer is marked
"reached by post only" and listed for a printed invitation. Through the real
twilio client against the fake Twilio, and real SMTP (aiosmtpd)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from documents.kinds import unreachable
from notifications.models import Message
from notifications.tasks import MAX_ATTEMPTS, deliver_message
from staffing import services
from staffing.models import Assignment
from staffing.services.fallback import fall_back
from tests import factories
from tests.fakes.scenarios import invite_one, make_due, resolve
from volunteers.models import Volunteer

PHONE = "+4520123456"
EMAIL = "karen@example.dk"
WEBHOOK = reverse("notifications:twilio_status")
Status = Message.Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Invite ``volunteer``; the invitation (and any fallback) goes out on commit."""

    def run(volunteer: Volunteer) -> Assignment:
        with django_capture_on_commit_callbacks(execute=True):
            return invite_one(volunteer)

    return run


def _invitations(volunteer: Volunteer) -> list[Message]:
    return list(Message.objects.filter(kind="invitation").order_by("pk"))


def test_an_invalid_number_falls_back_to_email(invite, fake_twilio, smtp_sink):
    fake_twilio.mark_invalid(PHONE)
    karen = factories.volunteer(channel="sms", phone=PHONE, email=EMAIL)

    seat = invite(karen)

    by_sms, by_email = _invitations(karen)
    assert (by_sms.channel, by_sms.status) == ("sms", Status.FAILED)
    assert "21211" in by_sms.last_error
    assert (by_email.channel, by_email.to, by_email.status) == ("email", EMAIL, Status.SENT)
    assert by_email.idempotency_key == f"fallback:{by_sms.pk}"
    [received] = smtp_sink.wait_for(1)
    assert received["To"] == EMAIL
    text = received.get_body(("plain",)).get_content()
    assert resolve(text).volunteer_id == karen.pk  # a working personal link
    entry = AuditEntry.objects.get(action="staffing.message_fallback")
    assert entry.object_id == seat.pk
    assert entry.detail["from"] == "sms" and entry.detail["to"] == "email"
    karen.refresh_from_db()
    assert karen.unreachable is False


def test_an_email_refused_with_5xx_falls_back_to_sms(invite, fake_twilio, smtp_sink):
    smtp_sink.refuse[EMAIL] = "550 5.1.1 No such user"
    karen = factories.volunteer(channel="email", email=EMAIL, phone=PHONE)

    invite(karen)

    by_email, by_sms = _invitations(karen)
    assert (by_email.channel, by_email.status) == ("email", Status.FAILED)
    assert (by_sms.channel, by_sms.status) == ("sms", Status.SENT)
    [sms] = fake_twilio.received
    assert sms.to == PHONE
    assert resolve(sms.body).volunteer_id == karen.pk


def test_unsubscribed_reported_by_callback_falls_back(
    client, invite, fake_twilio, smtp_sink, django_capture_on_commit_callbacks
):
    """Twilio accepted the SMS, then reports it undelivered: 21610, the number sent
    STOP. The email goes out when the callback arrives."""
    karen = factories.volunteer(channel="sms", phone=PHONE, email=EMAIL)
    invite(karen)
    [sms] = fake_twilio.received
    url, params, signature = fake_twilio.status_callback(sms, "undelivered", error_code="21610")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url.removeprefix("http://testserver"), params, HTTP_X_TWILIO_SIGNATURE=signature
        )

    assert response.status_code == 204
    by_sms, by_email = _invitations(karen)
    assert by_sms.status == Status.FAILED
    assert by_email.status == Status.SENT
    assert len(smtp_sink.wait_for(1)) == 1


def test_a_passing_problem_reported_by_callback_does_not_fall_back(
    client, invite, fake_twilio, smtp_sink, django_capture_on_commit_callbacks
):
    """30003 (the phone is off or out of coverage) says nothing about the number."""
    karen = factories.volunteer(channel="sms", phone=PHONE, email=EMAIL)
    invite(karen)
    [sms] = fake_twilio.received
    url, params, signature = fake_twilio.status_callback(sms, "undelivered", error_code="30003")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url.removeprefix("http://testserver"), params, HTTP_X_TWILIO_SIGNATURE=signature
        )

    assert [m.channel for m in _invitations(karen)] == ["sms"]
    assert smtp_sink.messages == []


def test_with_no_other_channel_the_volunteer_is_marked_for_a_letter(invite, fake_twilio):
    fake_twilio.mark_invalid(PHONE)
    karen = factories.volunteer(channel="sms", phone=PHONE)  # no email

    invite(karen)

    [by_sms] = _invitations(karen)
    assert by_sms.status == Status.FAILED
    karen.refresh_from_db()
    assert karen.unreachable is True
    entry = AuditEntry.objects.get(action="volunteers.unreachable")
    assert entry.actor_kind == "system"
    assert entry.changes == {"unreachable": [False, True]}
    # The print page's invitation letters take them now.
    assert Volunteer.objects.filter(unreachable()).get() == karen


def test_when_the_other_channel_fails_too_the_volunteer_is_marked(invite, fake_twilio, smtp_sink):
    fake_twilio.mark_invalid(PHONE)
    smtp_sink.refuse[EMAIL] = "550 5.1.1 No such user"
    karen = factories.volunteer(channel="sms", phone=PHONE, email=EMAIL)

    invite(karen)

    assert [(m.channel, m.status) for m in _invitations(karen)] == [
        ("sms", Status.FAILED),
        ("email", Status.FAILED),
    ]
    karen.refresh_from_db()
    assert karen.unreachable is True


def test_a_failure_announced_twice_falls_back_once(invite, fake_twilio, smtp_sink):
    fake_twilio.mark_invalid(PHONE)
    karen = factories.volunteer(channel="sms", phone=PHONE, email=EMAIL)
    invite(karen)
    by_sms, by_email = _invitations(karen)

    assert fall_back(by_sms.pk) == by_email

    assert len(_invitations(karen)) == 2
    assert AuditEntry.objects.filter(action="staffing.message_fallback").count() == 1


def test_retries_running_out_do_not_fall_back(invite, fake_twilio, smtp_sink):
    """Twilio down all day: the number may be fine; no email in its place."""
    fake_twilio.fail_next(500, times=MAX_ATTEMPTS)
    karen = factories.volunteer(channel="sms", phone=PHONE, email=EMAIL)
    invite(karen)
    [by_sms] = _invitations(karen)
    for _ in range(MAX_ATTEMPTS - 1):
        make_due(by_sms)
        deliver_message(by_sms.pk)

    by_sms.refresh_from_db()
    assert (by_sms.status, by_sms.attempts) == (Status.FAILED, MAX_ATTEMPTS)
    assert len(_invitations(karen)) == 1
    assert smtp_sink.messages == []


def test_an_answer_in_the_meantime_means_no_fallback(invite, fake_twilio, smtp_sink):
    """The invitation failed, but the volunteer declined on the page meanwhile
    (the office gave them the link): the invitation is not true any more."""
    karen = factories.volunteer(channel="sms", phone=PHONE, email=EMAIL)
    seat = invite(karen)
    [by_sms] = _invitations(karen)
    services.decline(seat)
    Message.objects.filter(pk=by_sms.pk).update(status=Status.FAILED)

    assert fall_back(by_sms.pk) is None

    assert len(_invitations(karen)) == 1


def test_a_moved_notice_falls_back_as_the_confirmation_of_the_seat_now(
    invite, fake_twilio, smtp_sink, django_capture_on_commit_callbacks
):
    karen = factories.volunteer(channel="sms", phone=PHONE, email=EMAIL)
    seat = invite(karen)
    services.accept(seat)
    other = factories.shift(seat.shift.election, start=14, end=22)
    fake_twilio.mark_invalid(PHONE)

    with django_capture_on_commit_callbacks(execute=True):
        moved = services.move(seat, other, by=factories.user("k@kommune.dk", coordinator=True))

    notice = Message.objects.get(kind="moved")
    assert notice.status == Status.FAILED
    fallback = Message.objects.get(idempotency_key=f"fallback:{notice.pk}")
    assert (fallback.kind, fallback.channel, fallback.status) == ("accepted", "email", Status.SENT)
    assert fallback.subject_id == moved.pk


def test_the_message_log_counts_fallbacks_and_people_reached_by_post_only(
    client, coordinator, invite, fake_twilio, smtp_sink
):
    fake_twilio.mark_invalid(PHONE, "+4520999999")
    karen = factories.volunteer(channel="sms", phone=PHONE, email=EMAIL)
    seat = invite(karen)
    bo = factories.volunteer(channel="sms", phone="+4520999999")  # no email
    services.invite(seat.shift, [bo], by=None)
    Message.objects.filter(to="+4520999999").update(status=Status.FAILED)
    fall_back(Message.objects.get(to="+4520999999").pk)
    client.force_login(coordinator)

    response = client.get(reverse("staffing:election_messages", args=[seat.shift.election_id]))

    stats = response.context["stats"]
    assert (stats.fallbacks, stats.unreachable) == (1, 1)
    page = response.content.decode()
    assert "1 message went out on the other channel after the first one failed." in page
    assert "1 person is reached by post only" in page
    assert reverse("documents:print", args=[seat.shift.election_id]) + "?kind=invitations" in page
