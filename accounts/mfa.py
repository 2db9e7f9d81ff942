"""Multi-factor sign-in for staff (allauth.mfa): who must use it, the enrolment it
forces, the adapter, the Django admin's way in, and the audit log entries for
every change of a second factor.

``settings.MFA_REQUIRED`` (on by default in production) makes admins and
coordinators use a second factor: once signed in without one, every page but
the enrolment pages (and logout, the volunteers' /v/ pages, the Twilio webhook)
sends them to set up an authenticator app, the Django admin included. The
receivers below are connected when this module is imported, which the
middleware's import at startup guarantees (and AccountsConfig.ready may too).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa import signals as mfa_signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.webauthn.views import RemoveWebAuthnView
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import transaction
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_htmx.http import HttpResponseClientRedirect

from accounts import audit, notices, services
from accounts.models import ActorKind, AuditEntry, StaffRole, User
from accounts.scopes import scope_of
from pollcrew.service_admin import ReadOnlyAdmin

# What signs a user in as a second factor; recovery codes only stand in for one.
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
# The roles that must use a second factor when settings.MFA_REQUIRED is on.
MFA_ROLES = frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR})

# What a user who must enrol may still open (URL names, and whole namespaces).
ENROLMENT_PAGES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_reauthenticate",
        "mfa_add_webauthn",  # security keys, should MFA_SUPPORTED_TYPES include them
        "mfa_list_webauthn",
        "mfa_reauthenticate_webauthn",
        "account_reauthenticate",
        "account_login",
        "account_logout",
        "set_language",
        "notifications:twilio_status",  # Twilio's delivery reports
    }
)
OPEN_NAMESPACES = frozenset({"portal"})  # the volunteers' personal-link pages


def must_use_mfa(user: User | Any) -> bool:
    """Whether this user's roles require a second factor (admins and coordinators,
    when settings.MFA_REQUIRED is on)."""
    if not getattr(settings, "MFA_REQUIRED", False) or not user.is_authenticated:
        return False
    return bool(MFA_ROLES.intersection(scope_of(user).roles()))


def has_second_factor(user: User | Any) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def needs_enrolment(user: User | Any) -> bool:
    """Must use a second factor and has none yet."""
    return must_use_mfa(user) and not has_second_factor(user)


def _allowed_while_enrolling(request: HttpRequest) -> bool:
    path = request.path_info
    if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.view_name in ENROLMENT_PAGES or bool(OPEN_NAMESPACES & set(match.namespaces))


SIGN_IN_METHODS = ("password", "mfa", "socialaccount")


def _signed_in_at(request: HttpRequest | None) -> float | None:
    """When this session's user last signed in (password, a code or the IdP)."""
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return None
    moments = [
        record["at"]
        for record in get_authentication_records(request, user)
        if record.get("method") in SIGN_IN_METHODS and "at" in record
    ]
    return max(moments, default=None)


def signed_in_moments_ago(request: HttpRequest | None) -> bool:
    """Whether the user of this session signed in (password, a code, or the IdP)
    within ACCOUNT_REAUTHENTICATION_TIMEOUT. The account adapter then lets a user
    who has no second factor yet set one up without being asked again: someone
    sent to enrol right after signing in is not asked for the password they have
    just typed (and a user of single sign-on has none to type). Every change to
    an existing second factor (turning it off, new recovery codes, another key)
    asks again, as allauth does."""
    at = _signed_in_at(request)
    return at is not None and time.time() - at < account_settings.REAUTHENTICATION_TIMEOUT


def just_enrolled(request: HttpRequest | None) -> bool:
    """Whether this session, signed in moments ago, has just set up the user's
    second factor (its recovery codes are newer than the sign-in): the codes
    may then be shown and downloaded without a confirmation."""
    if not signed_in_moments_ago(request):
        return False
    at = _signed_in_at(request)
    return Authenticator.objects.filter(
        user_id=request.user.pk,  # type: ignore[union-attr]
        type=Authenticator.Type.RECOVERY_CODES,
        created_at__gte=datetime.fromtimestamp(at, tz=UTC),  # type: ignore[arg-type]
    ).exists()


class RequireMFAEnrolment:
    """Sends a signed-in user who must use a second factor and has none to the
    enrolment page, from every page but the few they need on the way there (and
    right after signing in, since the page the login goes to is one of them)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        required = bool(user is not None and user.is_authenticated and needs_enrolment(user))
        request.mfa_enrolment_required = required  # type: ignore[attr-defined]
        if required and not _allowed_while_enrolling(request):
            target = reverse("mfa_activate_totp")
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(target)
            return HttpResponseRedirect(target)
        return self.get_response(request)


class StaffMFAAdapter(DefaultMFAAdapter):
    """allauth.mfa, Pollcrew's way: the last second factor of a user who must use
    one cannot be removed (an admin can reset it in the Django admin)."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Your role requires two-step verification, so it cannot be turned off. "
            "If you have lost your authenticator, an admin can reset it."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type not in SECOND_FACTORS or not must_use_mfa(authenticator.user):
            return True
        others = Authenticator.objects.filter(
            user_id=authenticator.user_id, type__in=SECOND_FACTORS
        ).exclude(pk=authenticator.pk)
        return others.exists()


class RemoveKey(RemoveWebAuthnView):
    """allauth's page to remove a security key or passkey, which (unlike turning
    off the app) does not ask the adapter: here it does, so the last second
    factor of a user who must use one stays (mfa_remove_webauthn, pollcrew.urls)."""

    def _refusal(self, authenticator: Authenticator) -> str:
        adapter = get_mfa_adapter()
        if adapter.can_delete_authenticator(authenticator):
            return ""
        return str(adapter.error_messages["cannot_delete_authenticator"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["cannot_remove"] = self._refusal(self.object)
        return context

    def form_valid(self, form: forms.Form) -> HttpResponse:
        refusal = self._refusal(self.get_object())
        if refusal:
            messages.error(self.request, refusal)
            return HttpResponseRedirect(reverse("mfa_list_webauthn"))
        return super().form_valid(form)


remove_key = RemoveKey.as_view()


def _code_field(field: forms.Field, label: str, help_text: str = "") -> None:
    field.label = label
    field.help_text = help_text
    field.widget.attrs = {
        "autocomplete": "one-time-code",
        "inputmode": "numeric",
        "autocapitalize": "off",
        "spellcheck": "false",
    }


class SignInCodeForm(AuthenticateForm):
    """The second step of signing in: a code from the app or a recovery code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _code_field(
            self.fields["code"],
            _("Code"),
            _("6 digits from your authenticator app, or one of your recovery codes."),
        )


class ConfirmCodeForm(ReauthenticateForm):
    """Confirming access (before changing sign-in settings) with a code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _code_field(
            self.fields["code"],
            _("Code"),
            _("6 digits from your authenticator app, or one of your recovery codes."),
        )


class ActivateAppForm(ActivateTOTPForm):
    """Enrolment: the first code the new app shows proves it has the key."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _code_field(self.fields["code"], _("Code from the app"))


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The Django admin's login page (``admin.site.login``): allauth's login, with
    its second step, instead of a form that would sign in with a password alone."""
    target = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if admin.site.has_permission(request):
            return HttpResponseRedirect(target)
        raise Http404  # signed in, but the admin is for admins only
    query = urlencode({REDIRECT_FIELD_NAME: target})
    return HttpResponseRedirect(f"{reverse('account_login')}?{query}")


# --- Resetting a user's second factor (a lost phone) ------------------------------


def reset_second_factor(user: User, *, by: User | None) -> int:
    """Removes every authenticator of ``user`` (app, keys, recovery codes): they
    sign in with their password alone and, if their role requires it, enrol again
    right after. Whoever holds a session of theirs is signed out (a reset is what
    someone who took over the account would ask for), and the owner is emailed.
    Audited. Returns how many authenticators went."""
    with transaction.atomic():
        removed = list(
            Authenticator.objects.select_for_update()
            .filter(user_id=user.pk)
            .values_list("type", flat=True)
        )
        if not removed:
            return 0
        Authenticator.objects.filter(user_id=user.pk).delete()
        audit.record("auth.mfa_reset_by_admin", user, by=by, detail={"types": sorted(removed)})
        services.sign_out_everywhere(user, by=by)
        notices.queue_mfa_reset(user, by=by)
    return len(removed)


class AuthenticatorAdmin(ReadOnlyAdmin):
    """Who has which second factor, never its secret (the TOTP key, the recovery
    codes' seed): shown read-only, with one action to reset a user's."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields
    actions = ["reset"]

    @admin.action(description=_("Reset two-step verification of the selected users"))
    def reset(self, request: HttpRequest, queryset) -> None:
        users = User.objects.filter(pk__in=queryset.values("user_id"))
        done = sum(1 for user in users if reset_second_factor(user, by=request.user))
        messages.success(
            request,
            ngettext(
                "Two-step verification was reset for %(count)d user.",
                "Two-step verification was reset for %(count)d users.",
                done,
            )
            % {"count": done},
        )


# --- Audit log --------------------------------------------------------------------


def _record(action: str, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    ip = audit.client_ip(request) if request is not None else None
    audit.record(action, user, ip=ip, **kwargs)


@receiver(mfa_signals.authenticator_added, dispatch_uid="audit_mfa_added")
def _added(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kw: Any):
    _record("auth.mfa_added", request, user, by=user, detail={"type": authenticator.type})


@receiver(mfa_signals.authenticator_removed, dispatch_uid="audit_mfa_removed")
def _removed(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kw):
    _record("auth.mfa_removed", request, user, by=user, detail={"type": authenticator.type})


@receiver(mfa_signals.authenticator_reset, dispatch_uid="audit_mfa_reset")
def _reset(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kw):
    # New recovery codes: the old ones stop working.
    _record("auth.mfa_reset", request, user, by=user, detail={"type": authenticator.type})


@receiver(mfa_signals.authenticator_used, dispatch_uid="audit_mfa_recovery_code")
def _used(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kw):
    # A sign-in is recorded as auth.login; using up a recovery code is worth its own.
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        fresh = Authenticator.objects.get(pk=authenticator.pk)  # the code is marked used there
        left = len(fresh.wrap().get_unused_codes())
        _record("auth.mfa_recovery_code_used", request, user, by=user, detail={"left": left})


@receiver(mfa_signals.authentication_failed, dispatch_uid="audit_mfa_failed")
def _failed(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **kw):
    # A wrong code (the password was right, or the user is confirming access).
    _record(
        "auth.mfa_failed",
        request,
        user,
        by=None,
        actor=ActorKind.SYSTEM,
        detail={"reauthentication": bool(kw.get("reauthentication"))},
    )
    if not kw.get("reauthentication"):
        _warn_after_repeated_wrong_codes(user)


WRONG_CODES_WARNING = 3  # wrong codes at sign-in, within ...
WRONG_CODES_WINDOW = timedelta(minutes=15)


def _warn_after_repeated_wrong_codes(user: User) -> None:
    """Wrong codes at sign-in come after a right password: if it was not the owner
    typing, someone has their password. The owner is emailed once per burst (the
    third wrong code in a quarter of an hour); allauth refuses codes after five."""
    recent = AuditEntry.objects.filter(
        action="auth.mfa_failed",
        object_type="accounts.user",
        object_id=user.pk,
        at__gte=timezone.now() - WRONG_CODES_WINDOW,
        detail__reauthentication=False,
    ).count()
    if recent == WRONG_CODES_WARNING:
        notices.queue_wrong_codes(user)
