"""Personal API tokens: a staff user's key to the REST API under /api/v1/.

The token (``secrets.token_urlsafe(32)``: 256 random bits) is shown once, when it
is made; only its SHA-256 hash is kept, with a short visible prefix so that a
person can tell their tokens apart. A token acts as its user, with the user's
role and scope at the moment of each request; it expires (30, 90 or 365 days)
and can be revoked."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    class Lifetime(models.IntegerChoices):
        DAYS_30 = 30, _("30 days")
        DAYS_90 = 90, _("90 days")
        DAYS_365 = 365, _("1 year")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. “payroll export”.")
    )
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Every API request looks its token up by this hash.
            models.UniqueConstraint(
                fields=["token_hash"],
                name="apitoken_unique_token_hash",
                violation_error_message=_("This token exists already."),
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="apitoken_expires_after_created",
                violation_error_message=_("A token must expire after it was made."),
            ),
        ]
        indexes = [
            # The token page: a user's own tokens, newest first.
            models.Index(fields=["user", "-created_at"], name="apitoken_user_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()
