"""Staff users. Volunteers never get an account: they use personal links."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StaffUserManager(UserManager["User"]):
    """Users are identified by email address; there is no username."""

    def _create_user(self, username, email, password, **extra_fields):  # type: ignore[override]
        if not email:
            raise ValueError("Staff users need an email address.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(None, email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


# The staff pages' languages (settings.LANGUAGES), named in their own language.
STAFF_LANGUAGES = [("da", "Dansk"), ("en", "English")]


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    # Stored lower-cased (see save), so unique means unique regardless of case.
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    # Part of the session hash: changing it signs the user out everywhere
    # (accounts.services.sign_out_everywhere) without touching the password.
    session_salt = models.CharField(max_length=32, blank=True, default="", editable=False)
    # The language the user chose for the staff pages ("" until they choose;
    # then settings.LANGUAGE_CODE applies). Set by the language switch.
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=STAFF_LANGUAGES
    )

    objects = StaffUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs) -> None:
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's session hash, with the session salt in it (empty: the same
        hash as Django's, so sessions survive the upgrade)."""
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(
            key_salt, self.password + self.session_salt, secret=secret, algorithm="sha256"
        ).hexdigest()


class StaffRole(models.TextChoices):
    """What a staff user may do. Admin is Django's superuser flag (kept in step
    by accounts.services); the other roles are grants with scopes."""

    ADMIN = "admin", _("Admin")
    COORDINATOR = "coordinator", _("Coordinator")
    STATION_MANAGER = "station_manager", _("Station manager")
    TEAM_LEADER = "team_leader", _("Team leader")
    VIEWER = "viewer", _("Viewer")


class ScopeKind(models.TextChoices):
    ELECTION = "election", _("Election")
    STATION = "station", _("Polling station")
    TEAM = "team", _("Team")


class RoleGrant(models.Model):
    """A role given to a staff user, limited by the scope rows below it.

    Coordinators and viewers without an election scope cover every election;
    station managers need stations, team leaders need teams (and may be limited
    to elections too). Granted and revoked through accounts.services only."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="grants", verbose_name=_("staff user")
    )
    role = models.CharField(
        pgettext_lazy("staff permission", "role"), max_length=20, choices=StaffRole.choices
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    granted_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        ordering = ["user", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role"],
                name="rolegrant_unique_user_role",
                violation_error_message=_("This user has this role already."),
            ),
            # Admin is the superuser flag, never a grant row.
            models.CheckConstraint(
                condition=~Q(role="admin"),
                name="rolegrant_not_admin",
                violation_error_message=_("The admin role is not a scoped grant."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class GrantScope(models.Model):
    """One election, station or team a grant covers.

    The object is referenced by id, not by a foreign key: accounts sits below
    the domain apps (which point at its users), so it cannot point back at them.
    The domain's delete services remove scope rows of what they delete
    (accounts.services.forget_scope_object); a row for a missing object grants
    nothing, since ids are never reused."""

    grant = models.ForeignKey(
        RoleGrant, on_delete=models.CASCADE, related_name="scopes", verbose_name=_("grant")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ScopeKind.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))

    class Meta:
        verbose_name = _("grant scope")
        verbose_name_plural = _("grant scopes")
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "kind", "object_id"],
                name="grantscope_unique_object",
                violation_error_message=_("The grant covers this already."),
            ),
        ]
        indexes = [
            # Forgetting a deleted station/election/team in every grant.
            models.Index(fields=["kind", "object_id"], name="grantscope_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_id}"


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff user")
    VOLUNTEER = "volunteer", _("Volunteer via personal link")
    SYSTEM = "system", _("System")


class AuditLogIsAppendOnly(Exception):
    """Audit entries are written once and never changed or deleted (but by retention)."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs):  # type: ignore[override]
        raise AuditLogIsAppendOnly("Audit entries cannot be changed.")

    def delete(self):  # type: ignore[override]
        raise AuditLogIsAppendOnly("Audit entries cannot be deleted (retention does that).")

    def bulk_update(self, *args, **kwargs):  # type: ignore[override]
        raise AuditLogIsAppendOnly("Audit entries cannot be changed.")

    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[override]
        if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
            raise AuditLogIsAppendOnly("Audit entries are inserted, never upserted.")
        return super().bulk_create(objs, *args, **kwargs)

    def purge_before(self, cutoff) -> int:
        """Retention: delete entries older than ``cutoff``. The only way to delete."""
        stale = self.filter(at__lt=cutoff)
        return stale._raw_delete(stale.db)


class AuditEntry(models.Model):
    """Who did what to which object, when, and what changed (old → new).

    Written by the services in the same transaction as the change, and by views
    for reads of personal data (a roster, a search that returns contact data).
    Objects are referenced by type and id, not by foreign keys: an entry
    outlives what it is about, and accounts sits below the domain apps."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        User,
        # Staff users with history are deactivated, not deleted.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
    )
    actor_kind = models.CharField(_("who"), max_length=10, choices=ActorKind.choices)
    # The email (or "volunteer 12") at the time: readable after the user changes.
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    election_id = models.PositiveBigIntegerField(_("election id"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [
            # The audit page, newest first, and retention (at < cutoff).
            models.Index(fields=["at"], name="audit_at_idx"),
            # Filters on the audit page: by staff user, action, election.
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
            # The audit page's action filter is a prefix ("staffing."): on
            # PostgreSQL a LIKE 'x%' needs the pattern operator class.
            models.Index(
                fields=["action"], name="audit_action_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["election_id", "at"], name="audit_election_at_idx"),
            # An object's history (a volunteer's timeline).
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or self.actor_kind} {self.action}"

    def save(self, *args, **kwargs) -> None:
        """Always an INSERT: an object carrying an existing id fails (IntegrityError)
        instead of overwriting that entry."""
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AuditLogIsAppendOnly("Audit entries cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit entries cannot be deleted (retention does that).")


class KnownDevice(models.Model):
    """A browser a staff user has signed in from before (a random id in a
    long-lived cookie; only its hash is kept). A sign-in from a browser not known
    for the user is emailed to them; a known browser passes the account-wide
    sign-in limit, so that guessing an account's password elsewhere cannot lock
    its owner out."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="devices", verbose_name=_("staff user")
    )
    device_hash = models.CharField(_("device"), max_length=64)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    first_seen = models.DateTimeField(_("first sign-in"), default=timezone.now)
    last_seen = models.DateTimeField(_("last sign-in"), default=timezone.now)

    class Meta:
        verbose_name = _("known browser")
        verbose_name_plural = _("known browsers")
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "device_hash"],
                name="knowndevice_unique_user_device",
                violation_error_message=_("This browser is known for this user already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.user_agent[:40]}"


# accounts.organisation.current keeps the row in Django's cache under this key
# (per code), for this long at most; saving or deleting the row clears it.
ORGANISATION_CACHE_TIMEOUT = 3600


def organisation_cache_key(code: str) -> str:
    return f"accounts.organisation.{code}"


def _forget_cached_organisation(code: str) -> None:
    from django.core.cache import cache

    cache.delete(organisation_cache_key(code))


class Organisation(models.Model):
    """The municipality running the site: its name, logo and letterhead, shown in
    the page header and on every printed document. Edited by an admin through
    accounts.services.update_organisation; read through accounts.organisation.current
    (cached). One row today, keyed by ``code`` so that several municipalities can
    share a site later; until one is saved, the settings give the defaults."""

    code = models.SlugField(_("code"), max_length=50, default="default", editable=False)
    name = models.CharField(_("name"), max_length=200)
    logo = models.FileField(_("logo"), upload_to="organisation/", blank=True, max_length=200)
    address = models.TextField(
        _("postal address"), blank=True, help_text=_("One line per line of the address.")
    )
    contact_line = models.CharField(
        _("contact line"),
        max_length=300,
        blank=True,
        help_text=_("How people reach the election office (phone, email)."),
    )
    signature_name = models.CharField(_("signature name"), max_length=200, blank=True)
    signature_title = models.CharField(_("signature title"), max_length=200, blank=True)
    letter_footer = models.TextField(_("letter footer"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                name="organisation_unique_code",
                violation_error_message=_("An organisation with this code exists already."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._forget_cached()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._forget_cached()
        return result

    def _forget_cached(self) -> None:
        """Clear the cached copy now and again after the commit: a page read in
        between (another process, the old row) cannot keep the old values."""
        code = self.code
        _forget_cached_organisation(code)
        transaction.on_commit(lambda: _forget_cached_organisation(code))

    @property
    def address_lines(self) -> list[str]:
        """The postal address, one entry per non-empty line."""
        return [line.strip() for line in (self.address or "").splitlines() if line.strip()]

    @property
    def logo_version(self) -> str:
        """Changes with the logo: pages link ``…/organisation-logo/?v=<this>``."""
        return hashlib.sha256(self.logo.name.encode()).hexdigest()[:12] if self.logo else ""

    @property
    def logo_is_svg(self) -> bool:
        return bool(self.logo) and self.logo.name.lower().endswith(".svg")
