"""Sign-ins, failed sign-ins and sign-outs go into the audit log."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import audit, devices, limits, notices, sessions
from accounts.models import ActorKind, User


def _ip(request: HttpRequest | None) -> str | None:
    return audit.client_ip(request) if request is not None else None


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    new_browser = False
    if request is not None and hasattr(request, "session"):
        sessions.mark_active(request.session)
    if request is not None:
        had_devices = user.devices.exists()
        new_browser = devices.remember(user, request)
        if new_browser and had_devices:
            notices.queue_new_sign_in(user, request)
    audit.record("auth.login", user, by=user, ip=_ip(request), detail={"new_browser": new_browser})


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        audit.record("auth.logout", user, by=user, ip=_ip(request))


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django passes the credentials with the password already masked; keep the
    # name only, and only if it looks like an email address: a password typed
    # into the email field must not end up in the log.
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:254]
    if "@" not in attempted:
        attempted = ""
    known = User.objects.filter(email__iexact=attempted).first() if attempted else None
    audit.record(
        "auth.login_failed",
        known,
        by=None,
        actor=ActorKind.SYSTEM,
        ip=_ip(request),
        detail={"attempted": attempted},
    )


@receiver(password_reset, dispatch_uid="signin_password_reset")
def _password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Through the emailed link: the owner holds the mailbox. The account's
    sign-in window starts again, and other browsers must prove themselves anew."""
    limits.clear_account(user.email, user.pk)
    forgotten = devices.forget(user, keep=request)
    audit.record(
        "accounts.password_reset",
        user,
        by=user,
        ip=_ip(request),
        detail={"browsers_forgotten": forgotten},
    )


@receiver(password_changed, dispatch_uid="signin_password_changed")
def _password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    forgotten = devices.forget(user, keep=request)
    audit.record(
        "accounts.password_changed",
        user,
        by=user,
        ip=_ip(request),
        detail={"browsers_forgotten": forgotten},
    )
