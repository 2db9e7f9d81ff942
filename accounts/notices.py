"""Security notices to staff users themselves, through the outbox."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from accounts import organisation
from accounts.audit import client_ip
from accounts.models import User
from notifications.models import Channel
from notifications.services import queue_message

NEW_SIGN_IN = "account_new_sign_in"
MFA_RESET = "account_mfa_reset"
WRONG_CODES = "account_wrong_codes"


def queue_new_sign_in(user: User, request: HttpRequest) -> None:
    """ "Someone signed in as you from a browser we have not seen": the owner
    checks, and signs out everywhere if it was not them."""
    queue_message(
        channel=Channel.EMAIL,
        to=user.email,
        kind=NEW_SIGN_IN,
        language=(get_language() or settings.LANGUAGE_CODE)[:2],
        context={
            "name": user.get_full_name() or user.email,
            "when": timezone.localtime(),
            "browser": request.META.get("HTTP_USER_AGENT", "")[:200],
            "ip": client_ip(request) or "",
            "link": settings.SITE_URL + reverse("me:page"),
            "municipality": organisation.current().name,
        },
        idempotency_key=f"{NEW_SIGN_IN}:{user.pk}:{uuid.uuid4().hex}",
        subject=user,
    )


def queue_mfa_reset(user: User, *, by: User | None) -> None:
    """ "An administrator reset your two-step verification": the owner learns of
    it at once, even when it was not asked for."""
    queue_message(
        channel=Channel.EMAIL,
        to=user.email,
        kind=MFA_RESET,
        language=(get_language() or settings.LANGUAGE_CODE)[:2],
        context={
            "name": user.get_full_name() or user.email,
            "when": timezone.localtime(),
            "admin": (by.get_full_name() or by.email) if by is not None else "",
            "link": settings.SITE_URL + reverse("account_login"),
            "municipality": organisation.current().name,
        },
        idempotency_key=f"{MFA_RESET}:{user.pk}:{uuid.uuid4().hex}",
        subject=user,
    )


def queue_wrong_codes(user: User) -> None:
    """ "Your password was right, then wrong codes were typed": if it was not the
    owner, someone has their password."""
    queue_message(
        channel=Channel.EMAIL,
        to=user.email,
        kind=WRONG_CODES,
        language=(get_language() or settings.LANGUAGE_CODE)[:2],
        context={
            "name": user.get_full_name() or user.email,
            "when": timezone.localtime(),
            "link": settings.SITE_URL + reverse("account_reset_password"),
            "municipality": organisation.current().name,
        },
        idempotency_key=f"{WRONG_CODES}:{user.pk}:{uuid.uuid4().hex}",
        subject=user,
    )
