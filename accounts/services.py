"""Writes to staff users and their roles. Every function takes the acting admin
as ``by`` and leaves an audit entry in the same transaction."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts import audit, devices, logos, organisation
from accounts.models import GrantScope, Organisation, RoleGrant, ScopeKind, StaffRole, User
from pollcrew.refusals import Refused
from pollcrew.text import strip_controls

ROLE_NAMES = tuple(StaffRole.values)


def _admin_count() -> int:
    """Active admins, their rows locked: two admins demoting each other at the
    same moment cannot both pass the "not the last one" check."""
    return len(
        User.objects.select_for_update()
        .filter(is_superuser=True, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _scopes_of(grant: RoleGrant | None) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {kind: [] for kind in ScopeKind.values}
    if grant is not None:
        for kind, object_id in grant.scopes.order_by("kind", "object_id").values_list(
            "kind", "object_id"
        ):
            found[kind].append(object_id)
    return found


def _check_role(role: str) -> None:
    if role not in ROLE_NAMES:
        raise Refused(
            "unknown_role",
            _("Unknown role “%(role)s”. Choose one of: %(roles)s.")
            % {"role": role, "roles": ", ".join(ROLE_NAMES)},
        )


def _check_scope(role: str, elections: list[int], stations: list[int], teams: list[int]) -> None:
    _check_role(role)
    if role == StaffRole.ADMIN and (elections or stations or teams):
        raise Refused("admin_unscoped", _("The admin role covers everything; it has no scope."))
    if role == StaffRole.STATION_MANAGER and not stations:
        raise Refused("needs_station", _("A station manager needs at least one polling station."))
    if role == StaffRole.TEAM_LEADER and not teams:
        raise Refused("needs_team", _("A team leader needs at least one team."))
    if role in (StaffRole.COORDINATOR, StaffRole.VIEWER) and (stations or teams):
        raise Refused(
            "elections_only",
            _("Coordinators and viewers are limited by elections only (or cover all)."),
        )
    if role == StaffRole.STATION_MANAGER and teams:
        raise Refused("stations_only", _("A station manager is limited by stations, not teams."))
    if role == StaffRole.TEAM_LEADER and stations:
        raise Refused("teams_only", _("A team leader is limited by teams, not stations."))


def grant_role(
    user: User,
    role: str,
    *,
    elections: Iterable[int] = (),
    stations: Iterable[int] = (),
    teams: Iterable[int] = (),
    by: User | None,
) -> RoleGrant | None:
    """Give ``user`` the role with exactly this scope (granting it again replaces
    the scope). Coordinators and viewers without elections cover every election.
    Returns the grant (None for admin, which is the superuser flag)."""
    wanted = {
        ScopeKind.ELECTION: sorted(set(elections)),
        ScopeKind.STATION: sorted(set(stations)),
        ScopeKind.TEAM: sorted(set(teams)),
    }
    _check_scope(role, *wanted.values())
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if role == StaffRole.ADMIN:
            before = {"is_superuser": user.is_superuser, "is_staff": user.is_staff}
            if user.is_superuser and user.is_staff:
                return None
            user.is_superuser = user.is_staff = True
            user.save(update_fields=["is_superuser", "is_staff"])
            audit.record(
                "accounts.grant_role",
                user,
                by=by,
                changes=audit.changes_between(before, {"is_superuser": True, "is_staff": True}),
                detail={"role": role},
            )
            return None
        grant = RoleGrant.objects.filter(user=user, role=role).first()
        before = _scopes_of(grant)
        if grant is not None and before == wanted:
            return grant  # granted again as it is: nothing changes, nothing to record
        created = grant is None
        if grant is None:
            grant = RoleGrant.objects.create(user=user, role=role, granted_by=by)
        else:
            grant.scopes.all().delete()
        GrantScope.objects.bulk_create(
            GrantScope(grant=grant, kind=kind, object_id=object_id)
            for kind, ids in wanted.items()
            for object_id in ids
        )
        changes = audit.changes_between(
            {f"{kind}s": ids for kind, ids in before.items()},
            {f"{kind}s": ids for kind, ids in wanted.items()},
        )
        if created:
            changes["role"] = [None, role]
        audit.record("accounts.grant_role", user, by=by, changes=changes, detail={"role": role})
    return grant


def revoke_role(user: User, role: str, *, by: User | None) -> bool:
    """Take the role away. Returns False if the user did not have it. The last
    active admin cannot lose the admin role (nobody could grant it back)."""
    _check_role(role)
    with transaction.atomic():
        admins = _admin_count() if role == StaffRole.ADMIN else 0
        user = User.objects.select_for_update().get(pk=user.pk)
        if role == StaffRole.ADMIN:
            if not user.is_superuser:
                return False
            if user.is_active and admins <= 1:
                raise Refused(
                    "last_admin",
                    _("%(user)s is the last admin; make someone else admin first.")
                    % {"user": user.email},
                )
            user.is_superuser = user.is_staff = False
            user.save(update_fields=["is_superuser", "is_staff"])
            audit.record(
                "accounts.revoke_role",
                user,
                by=by,
                changes={"is_superuser": [True, False], "is_staff": [True, False]},
                detail={"role": role},
            )
            return True
        grant = RoleGrant.objects.filter(user=user, role=role).first()
        if grant is None:
            return False
        scopes = _scopes_of(grant)
        grant.delete()
        audit.record(
            "accounts.revoke_role",
            user,
            by=by,
            changes={f"{kind}s": [ids, None] for kind, ids in scopes.items() if ids},
            detail={"role": role},
        )
    return True


def forget_scope_object(kind: str, object_id: int, *, by: User | None) -> int:
    """A station, election or team is gone: no grant covers it any more.

    A grant that was limited to it alone would cover nothing now (no stations,
    no teams), or, for elections, would read as "every election": such a grant
    is revoked, never widened. Returns how many grants changed."""
    with transaction.atomic():
        scopes = list(
            GrantScope.objects.filter(kind=kind, object_id=object_id)
            .select_related("grant__user")
            .select_for_update(of=("self",))
        )
        if not scopes:
            return 0
        GrantScope.objects.filter(pk__in=[s.pk for s in scopes]).delete()
        left = set(
            GrantScope.objects.filter(grant__in=[s.grant_id for s in scopes], kind=kind)
            .values_list("grant_id", flat=True)
            .distinct()
        )
        entries = []
        for scope in scopes:
            grant = scope.grant
            emptied = grant.pk not in left
            if emptied:
                grant.delete()
            entries.append(
                audit.entry(
                    "accounts.revoke_role" if emptied else "accounts.forget_scope",
                    grant.user,
                    by=by,
                    changes={f"{kind}s": [[object_id], None if emptied else []]},
                    detail={"role": grant.role, "reason": f"{kind} {object_id} deleted"},
                )
            )
        audit.record_many(entries)
    return len(scopes)


def create_staff_user(
    email: str, *, first_name: str = "", last_name: str = "", by: User | None
) -> User:
    """A new staff user with no usable password and no role yet: they set a
    password through the reset link, and an admin grants roles."""
    email = User.objects.normalize_email(email).strip().lower()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise Refused(
                "email_taken", _("A staff user with this email exists already."), names=[email]
            )
        user = User.objects.create_user(
            email=email,
            password=None,
            first_name=strip_controls(first_name),
            last_name=strip_controls(last_name),
        )
        audit.record(
            "accounts.create_user",
            user,
            by=by,
            changes=audit.created(user, ["email", "first_name", "last_name"]),
        )
    return user


def set_active(user: User, active: bool, *, by: User | None) -> User:
    """Deactivate (sign-in refused, history kept) or reactivate a staff user."""
    with transaction.atomic():
        admins = _admin_count() if not active else 0
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            return user
        if not active and by is not None and user.pk == by.pk:
            raise Refused("self", _("You cannot deactivate yourself."))
        if not active and user.is_superuser and admins <= 1:
            raise Refused("last_admin", _("%(user)s is the last admin.") % {"user": user.email})
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(
            "accounts.set_active", user, by=by, changes={"is_active": [not active, active]}
        )
    return user


def sign_out_everywhere(user: User, *, by: User | None) -> User:
    """End every session of the user, on every browser (theirs, or an admin's
    decision): the session hash changes, so each session fails its next check."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.session_salt = secrets.token_hex(16)
        user.save(update_fields=["session_salt"])
        # Every browser proves itself again (and is no longer exempt from the
        # account-wide sign-in limit).
        forgotten = devices.forget(user)
        audit.record(
            "accounts.sign_out_everywhere", user, by=by, detail={"browsers_forgotten": forgotten}
        )
    return user


def set_language(user: User, language: str, *, by: User | None) -> User:
    """The language of the staff pages for ``user`` (one of settings.LANGUAGES)."""
    if language not in dict(settings.LANGUAGES):
        raise Refused("bad_language", _("Choose Danish or English."))
    with transaction.atomic():
        before = User.objects.select_for_update().values_list("language", flat=True).get(pk=user.pk)
        if before == language:
            return user
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
        audit.record("accounts.set_language", user, by=by, changes={"language": [before, language]})
    return user


# --- The organisation (name, logo, letterhead) -------------------------------------

ORGANISATION_TEXT_FIELDS = (
    "name",
    "address",
    "contact_line",
    "signature_name",
    "signature_title",
    "letter_footer",
)


class _Unchanged:
    """A field the caller leaves as it is."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()


def _store_logo(logo: IO[bytes]) -> str:
    """Check the uploaded logo (accounts.logos) and store it under a new random
    name (a new logo gets a new address: no browser shows the old one)."""
    kind, data = logos.check_logo(logo)
    name = f"organisation/logo-{secrets.token_hex(8)}.{kind}"
    return default_storage.save(name, ContentFile(data))


def update_organisation(
    *,
    name: str = UNCHANGED,
    address: str = UNCHANGED,
    contact_line: str = UNCHANGED,
    signature_name: str = UNCHANGED,
    signature_title: str = UNCHANGED,
    letter_footer: str = UNCHANGED,
    logo: IO[bytes] | None = UNCHANGED,
    by: User | None,
    code: str = "default",
) -> Organisation:
    """Change the organisation's details; the first save creates the row from
    the settings' defaults. ``logo``: a new PNG or SVG file (checked by
    accounts.logos), None to remove the logo, or left out to keep it. Raises
    ValidationError (a field's message) and writes nothing if a value is wrong.
    The cached copy (accounts.organisation.current) is cleared on commit."""
    texts = {
        field: value
        for field, value in {
            "name": name,
            "address": address,
            "contact_line": contact_line,
            "signature_name": signature_name,
            "signature_title": signature_title,
            "letter_footer": letter_footer,
        }.items()
        if value is not UNCHANGED
    }
    new_logo = _store_logo(logo) if logo is not UNCHANGED and logo is not None else None
    try:
        # Two admins saving the very first time at once: one INSERT fails on the
        # unique code, and its second try updates the row the other made.
        for attempt in (1, 2):
            try:
                org, old_logo = _write_organisation(
                    code, texts, logo is not UNCHANGED, new_logo or "", by=by
                )
                break
            except IntegrityError:
                if attempt == 2:
                    raise
    except BaseException:
        if new_logo:
            default_storage.delete(new_logo)
        raise
    if old_logo and old_logo != org.logo.name:
        # The old file goes once the change is committed (the row no longer names it).
        transaction.on_commit(lambda: default_storage.delete(old_logo))
    return org


def _write_organisation(
    code: str, texts: dict[str, str], set_logo: bool, logo_name: str, *, by: User | None
) -> tuple[Organisation, str]:
    """The row changed (created from the defaults the first time) and audited;
    with the logo file it named before."""
    with transaction.atomic():
        org = Organisation.objects.select_for_update().filter(code=code).first()
        if org is None:
            org = organisation.defaults(code)
        before = audit.snapshot(org, (*ORGANISATION_TEXT_FIELDS, "logo"))
        old_logo = org.logo.name or ""
        for field, value in texts.items():
            value = strip_controls(value or "").replace("\r\n", "\n")
            if field not in ("address", "letter_footer"):
                value = " ".join(value.split())  # one line
            setattr(org, field, value.strip())
        if set_logo:
            org.logo.name = logo_name
        # Not the unique code: when another admin's first save commits after the
        # lookup above, the INSERT's IntegrityError is what the caller retries on
        # (full_clean would find the row and raise a ValidationError instead).
        org.full_clean(exclude=["code"])
        diff = audit.changes_between(before, audit.snapshot(org, before))
        if diff or org._state.adding:
            org.save()
            audit.record("accounts.update_organisation", org, by=by, changes=diff)
    return org, old_logo
