"""Deliver one Message on its channel. Raises DeliveryError on failure."""

from __future__ import annotations

import smtplib
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse

from notifications.models import Channel, Message
from notifications.sms import SmsError, get_backend

# Seconds to wait for the SMTP server when EMAIL_TIMEOUT is not set: a worker
# must not hang for ever on a server that accepts the connection and goes quiet.
DEFAULT_SMTP_TIMEOUT = 30


class DeliveryError(Exception):
    """A send failed. ``transient`` failures are retried with backoff; others are final."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def _refusal_is_permanent(refused: dict[str, tuple[int, bytes]]) -> bool:
    """A recipient refused with 5xx is final; 4xx (greylisting, a full mailbox,
    a busy server) is "try again later"."""
    return bool(refused) and all(code >= 500 for code, _reply in refused.values())


def send_email(message: Message) -> str:
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT or DEFAULT_SMTP_TIMEOUT)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={"Auto-Submitted": "auto-generated", "X-Pollcrew-Message": message.idempotency_key},
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(
            f"Recipient refused: {exc.recipients}",
            transient=not _refusal_is_permanent(exc.recipients),
        ) from exc
    except smtplib.SMTPDataError as exc:
        # 5xx after DATA: this message was rejected (content, size); 4xx: later.
        raise DeliveryError(f"SMTP: {exc}", transient=exc.smtp_code < 500) from exc
    except (OSError, smtplib.SMTPException) as exc:
        # A dropped connection, an unreachable server, a refused login or sender
        # (our configuration, to be fixed while the message waits): retry later.
        raise DeliveryError(f"SMTP: {exc}", transient=True) from exc
    except ValueError as exc:
        # An address Django cannot encode, or a header with a newline in it.
        raise DeliveryError(f"Invalid message: {exc}", transient=False) from exc
    return ""


def status_callback_url(message: Message) -> str:
    """Where Twilio reports the SMS's delivery. It names the message, so that a
    callback arriving before the worker has saved Twilio's SID still finds it
    (Twilio's signature covers the whole URL: the id cannot be forged)."""
    return f"{settings.SITE_URL}{reverse('notifications:twilio_status')}?m={message.pk}"


def send_sms(message: Message) -> str:
    callback = status_callback_url(message)
    try:
        return get_backend().send(message.to, message.body, status_callback=callback)
    except SmsError as exc:
        raise DeliveryError(str(exc), transient=exc.transient) from exc


def find_sent(message: Message, since: datetime) -> list[str]:
    """The provider IDs of SMS already sent for ``message`` since ``since`` (see
    ``BaseSmsBackend.find_sent``). A failed look-up is a transient error: sending
    without knowing could send twice."""
    try:
        return get_backend().find_sent(message.to, message.body, since)
    except SmsError as exc:
        raise DeliveryError(str(exc), transient=True) from exc


def deliver(message: Message) -> str:
    """Send ``message``; return the provider's ID (empty for email)."""
    if message.channel == Channel.EMAIL:
        return send_email(message)
    return send_sms(message)
