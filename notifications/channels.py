"""Deliver one Message on its channel. Raises DeliveryError on failure."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from notifications.models import Channel, Message
from notifications.sms import SmsError, get_backend


class DeliveryError(Exception):
    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def send_email(message: Message) -> str:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={"Auto-Submitted": "auto-generated", "X-Pollcrew-Message": message.idempotency_key},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"Recipient refused: {exc.recipients}", transient=False) from exc
    except (OSError, smtplib.SMTPException) as exc:
        # A 4xx answer, a dropped connection or an unreachable server: retry later.
        raise DeliveryError(f"SMTP: {exc}", transient=True) from exc
    return ""


def send_sms(message: Message) -> str:
    callback = settings.SITE_URL + reverse("notifications:twilio_status")
    try:
        return get_backend().send(message.to, message.body, status_callback=callback)
    except SmsError as exc:
        raise DeliveryError(str(exc), transient=exc.transient) from exc


def deliver(message: Message) -> str:
    """Send ``message``; return the provider's ID (empty for email)."""
    if message.channel == Channel.EMAIL:
        return send_email(message)
    return send_sms(message)
