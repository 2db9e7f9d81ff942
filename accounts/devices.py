"""Browsers staff users sign in from: a random id in a signed, long-lived,
HttpOnly cookie, and its hash per user (``KnownDevice``)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import KnownDevice, User

_SALT = "accounts.devices"
MAX_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days


def cookie_name() -> str:
    """Over https the cookie is "__Host-" prefixed: the browser then keeps it to
    this host alone (no Domain, Path=/, Secure), so a sibling *.kommune.dk site
    cannot set or overwrite it."""
    return "__Host-pc_device" if settings.SESSION_COOKIE_SECURE else "pc_device"


def device_id(request: HttpRequest) -> str | None:
    """The id this browser carries (a cookie signed by us), or None."""
    raw = request.COOKIES.get(cookie_name())
    if not raw:
        return None
    try:
        return signing.loads(raw, salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None


def _hash(device: str) -> str:
    return hashlib.sha256(device.encode()).hexdigest()


def is_known(user: User, request: HttpRequest) -> bool:
    device = device_id(request)
    return (
        bool(device) and KnownDevice.objects.filter(user=user, device_hash=_hash(device)).exists()
    )


def remember(user: User, request: HttpRequest) -> bool:
    """Record a successful sign-in from this browser; True if it was new for the
    user. A browser without our cookie gets one (set by DeviceCookieMiddleware)."""
    device = device_id(request)
    if device is None:
        device = secrets.token_urlsafe(24)
        request._pc_new_device = device  # type: ignore[attr-defined]
    agent = request.META.get("HTTP_USER_AGENT", "")[:200]
    known, created = KnownDevice.objects.get_or_create(
        user=user, device_hash=_hash(device), defaults={"user_agent": agent}
    )
    if not created:
        KnownDevice.objects.filter(pk=known.pk).update(last_seen=timezone.now())
    return created


def forget(user: User, *, keep: HttpRequest | None = None) -> int:
    """The user's browsers are no longer known (sign out everywhere, a new password,
    a reset second factor), but for the one of ``keep``'s request, if given."""
    devices = KnownDevice.objects.filter(user=user)
    current = device_id(keep) if keep is not None else None
    if current:
        devices = devices.exclude(device_hash=_hash(current))
    deleted, _unused = devices.delete()
    return deleted


class DeviceCookieMiddleware:
    """Sets the device cookie a sign-in asked for (a signal cannot set cookies)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        device = getattr(request, "_pc_new_device", None)
        if device:
            response.set_cookie(
                cookie_name(),
                signing.dumps(device, salt=_SALT),
                max_age=MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
