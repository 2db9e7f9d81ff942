"""Email bounces: a delivery status notification (RFC 3464) about an email that
went out through real SMTP (aiosmtpd) is posted by the mail server's bounce pipe
to /notifications/email/bounce/. A hard bounce fails the email for good and
sends the invitation by SMS instead (once, however often the report comes); a
soft one changes nothing; a wrong token, a report that is no bounce, or one
about no email of ours changes nothing either, and nothing answers 500."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from django.test import Client
from django.urls import reverse

from notifications.bounces import parse_bounce
from notifications.models import Message
from tests import factories
from tests.fakes.scenarios import invite_one

pytestmark = pytest.mark.django_db
URL = reverse("notifications:email_bounce")
TOKEN = "bounce-token-for-tests"
PHONE = "+4520123456"
EMAIL = "karen@example.dk"


def dsn(returned: EmailMessage, *, status: str = "5.1.1", action: str = "failed", whole=False):
    """A bounce report as Postfix writes one, about the ``returned`` email."""
    report = EmailMessage(policy=default_policy)
    report["From"] = "MAILER-DAEMON@mail.kommune.dk (Mail Delivery System)"
    report["To"] = "bounces@kommune.dk"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.set_content("This is the mail system at host mail.kommune.dk.\n\nI'm sorry ...\n")
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")
    status_part = EmailMessage(policy=default_policy)
    status_part.set_type("message/delivery-status")
    status_part.set_payload(
        [
            _fields({"Reporting-MTA": "dns; mail.kommune.dk", "Arrival-Date": "Wed, 2 Dec 2026"}),
            _fields(
                {
                    "Final-Recipient": f"rfc822; {EMAIL}",
                    "Action": action,
                    "Status": status,
                    "Diagnostic-Code": "smtp; 550 5.1.1 <karen@example.dk>: User unknown",
                }
            ),
        ]
    )
    report.attach(status_part)
    if whole:
        report.attach(_wrapped(returned))
    else:
        headers = EmailMessage(policy=default_policy)
        headers.set_type("text/rfc822-headers")
        headers.set_payload("".join(f"{k}: {v}\n" for k, v in returned.items()))
        report.attach(headers)
    return report.as_bytes()


def _fields(values: dict[str, str]) -> EmailMessage:
    block = EmailMessage(policy=default_policy)
    for name, value in values.items():
        block[name] = value
    return block


def _wrapped(returned: EmailMessage) -> EmailMessage:
    part = EmailMessage(policy=default_policy)
    part.set_type("message/rfc822")
    part.set_payload([returned])
    return part


def post(body: bytes, token: str = TOKEN) -> int:
    return (
        Client()
        .post(
            URL,
            body,
            content_type="message/rfc822",
            headers={"Authorization": f"Bearer {token}"},
        )
        .status_code
    )


@pytest.fixture
def invited(settings, smtp_sink, django_capture_on_commit_callbacks):
    """Karen, reached by email (and with a phone), invited: the email went out."""
    settings.EMAIL_BOUNCE_TOKEN = TOKEN
    karen = factories.volunteer(channel="email", phone=PHONE, email=EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        invite_one(karen)
    [received] = smtp_sink.wait_for(1)
    return received


def invitations() -> list[Message]:
    return list(Message.objects.filter(kind="invitation").order_by("pk"))


@pytest.mark.parametrize("whole", [False, True], ids=["headers", "whole message"])
def test_a_hard_bounce_sends_the_invitation_by_sms_once(
    invited, django_capture_on_commit_callbacks, whole
):
    report = dsn(invited, whole=whole)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(report) == 204
    with django_capture_on_commit_callbacks(execute=True):
        assert post(report) == 204  # the mail server sends it again: nothing more

    by_email, by_sms = invitations()
    assert by_email.status == Message.Status.FAILED
    assert by_email.last_error.startswith("Bounced: 5.1.1 smtp; 550 5.1.1")
    assert (by_sms.channel, by_sms.to, by_sms.status) == ("sms", PHONE, Message.Status.SENT)
    assert by_sms.idempotency_key == f"fallback:{by_email.pk}"


def test_a_soft_bounce_changes_nothing(invited, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(dsn(invited, status="4.2.2")) == 204
        assert post(dsn(invited, action="delayed")) == 202
    [by_email] = invitations()
    assert by_email.status == Message.Status.SENT


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe garbage \x00",
        b"Subject: hello\n\nnot a report",
        b'Content-Type: multipart/report; boundary="x"\n\n'
        b"--x\nContent-Type: text/plain\n\nx\n--x--\n",
    ],
)
def test_what_is_no_bounce_changes_nothing(invited, body):
    assert post(body) == 202
    assert invitations()[0].status == Message.Status.SENT


def test_a_bounce_about_no_email_of_ours_changes_nothing(invited):
    del invited["X-Pollcrew-Message"]
    invited["X-Pollcrew-Message"] = "assignment:999999:invitation"
    assert post(dsn(invited)) == 204
    assert invitations()[0].status == Message.Status.SENT


def test_a_wrong_token_is_refused_and_no_token_means_no_address(invited, settings):
    assert post(dsn(invited), token="wrong") == 403
    assert post(dsn(invited), token="") == 403
    assert invitations()[0].status == Message.Status.SENT
    settings.EMAIL_BOUNCE_TOKEN = ""
    assert post(dsn(invited), token="") == 404


def test_the_report_names_the_message_and_the_reason(invited):
    bounce = parse_bounce(dsn(invited))
    assert bounce.key == invited["X-Pollcrew-Message"] == invitations()[0].idempotency_key
    assert (bounce.hard, bounce.status) == (True, "5.1.1")
    assert "User unknown" in bounce.diagnostic
