"""Open sign-up: links a coordinator hands out (a poster, a web page, a team
leader) through which people sign themselves up (``staffing.signup``).

Imported by ``staffing.models`` so that Django and the migrations see it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elections.models import Election, Role
from polling_stations.models import Area, PollingStation
from volunteers.models import Team


class SignupLinkQuerySet(models.QuerySet["SignupLink"]):
    def usable(self) -> SignupLinkQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class SignupLink(models.Model):
    """A public link of one election. ``seats``: the open seats it matches
    (optionally only an area, a station, a role, a team's seats or a day), up to
    ``seat_cap`` sign-ups. ``team``: a team leader's link that registers people
    into ``team`` (no seat). Only the token's hash is kept."""

    class Kind(models.TextChoices):
        SEATS = "seats", _("Sign-up for open seats")
        TEAM = "team", _("Join a team")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="signup_links", verbose_name=_("election")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.SEATS)
    label = models.CharField(
        _("label"),
        max_length=100,
        help_text=_("For the office: where the link is used, e.g. “Library poster”."),
    )
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("area"),
    )
    station = models.ForeignKey(
        PollingStation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("polling station"),
    )
    role = models.ForeignKey(
        Role,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("role"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signup_links",
        verbose_name=_("team"),
    )
    day = models.DateField(_("day"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    seat_cap = models.PositiveIntegerField(_("at most this many sign-ups"), null=True, blank=True)
    token_hash = models.CharField(_("token hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Sign-ups through the link so far (seats claimed or held, people joining a team).
    used = models.PositiveIntegerField(_("sign-ups"), default=0)

    objects = SignupLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("sign-up link")
        verbose_name_plural = _("sign-up links")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["token_hash"],
                name="signuplink_unique_token_hash",
                violation_error_message=_("This link exists already."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="team") | Q(team__isnull=False),
                name="signuplink_team_link_has_team",
                violation_error_message=_("A team join link needs its team."),
            ),
            models.CheckConstraint(
                condition=Q(seat_cap__isnull=True) | Q(seat_cap__gt=0),
                name="signuplink_seat_cap_positive",
                violation_error_message=_("Allow at least one sign-up, or leave it empty."),
            ),
        ]
        indexes = [
            models.Index(fields=["election", "-created_at"], name="signuplink_election_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )

    @property
    def full(self) -> bool:
        return self.seat_cap is not None and self.used >= self.seat_cap
