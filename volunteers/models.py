from __future__ import annotations

import hashlib
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elections.models import FILLED_STATUSES, SEAT_HOLDING_STATUSES, Election, Shift


class Team(models.Model):
    class Kind(models.TextChoices):
        PARTY = "party", _("Political party")
        DEPARTMENT = "department", _("Department")
        VOLUNTEER_GROUP = "volunteer_group", _("Volunteer group")

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=20, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.VOLUNTEER_GROUP
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="skill_unique_name")]

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    class Language(models.TextChoices):
        DA = "da", _("Danish")
        EN = "en", _("English")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(
        _("mobile phone"),
        max_length=20,
        blank=True,
        help_text=_("In international format, e.g. +4520123456."),
    )
    birth_date = models.DateField(_("date of birth"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.DA
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=8, choices=Channel.choices, default=Channel.SMS
    )
    teams = models.ManyToManyField(
        Team, blank=True, related_name="members", verbose_name=_("teams")
    )
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="volunteers", verbose_name=_("skills")
    )
    diet = models.CharField(_("diet"), max_length=200, blank=True)
    do_not_contact = models.BooleanField(
        _("do not contact"),
        default=False,
        help_text=_("Never send this person messages or invitations."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone=""), name="volunteer_has_email_or_phone"
            ),
            models.CheckConstraint(
                condition=(Q(preferred_channel="email") & ~Q(email=""))
                | (Q(preferred_channel="sms") & ~Q(phone="")),
                name="volunteer_channel_has_address",
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__startswith="+"), name="volunteer_phone_e164"
            ),
        ]
        indexes = [
            # Coordinator search and duplicate checks on import.
            models.Index(fields=["last_name", "first_name"], name="volunteer_name_idx"),
            models.Index(fields=["email"], name="volunteer_email_idx"),
            models.Index(fields=["phone"], name="volunteer_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def contact_address(self) -> str:
        """Where messages go on the preferred channel."""
        return self.email if self.preferred_channel == self.Channel.EMAIL else self.phone


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def holding_seat(self) -> AssignmentQuerySet:
        return self.filter(status__in=SEAT_HOLDING_STATUSES)

    def filled(self) -> AssignmentQuerySet:
        return self.filter(status__in=FILLED_STATUSES)


class Assignment(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REMOVED = "removed", _("Removed")
        NO_SHOW = "no_show", _("No-show")
        CHECKED_IN = "checked_in", _("Checked in")

    shift = models.ForeignKey(
        Shift, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("shift")
    )
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("volunteer")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.INVITED
    )
    invited_at = models.DateTimeField(_("invited"), default=timezone.now)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-invited_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "volunteer"],
                condition=Q(status__in=SEAT_HOLDING_STATUSES),
                name="assignment_one_live_per_shift_volunteer",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "declined"]) | Q(responded_at__isnull=False),
                name="assignment_answer_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="checked_in") | Q(checked_in_at__isnull=False),
                name="assignment_checkin_has_time",
            ),
        ]
        indexes = [
            # Fill counts per shift (staffing board, capacity check).
            models.Index(fields=["shift", "status"], name="assignment_shift_status_idx"),
            # A volunteer's shifts (personal link page, overlap check).
            models.Index(fields=["volunteer", "status"], name="assignment_vol_status_idx"),
            # Invitation expiry sweep.
            models.Index(fields=["status", "invited_at"], name="assignment_status_invited_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} → {self.shift} ({self.get_status_display()})"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PersonalLinkQuerySet(models.QuerySet["PersonalLink"]):
    def usable(self) -> PersonalLinkQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class PersonalLink(models.Model):
    """A volunteer's key to their shifts in one election. Only the hash is kept."""

    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="links", verbose_name=_("volunteer")
    )
    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="links", verbose_name=_("election")
    )
    token_hash = models.CharField(_("token hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = PersonalLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal link")
        verbose_name_plural = _("personal links")
        ordering = ["-created_at"]
        constraints = [
            # Every request to /v/<token>/ looks the link up by this hash.
            models.UniqueConstraint(fields=["token_hash"], name="personallink_unique_token_hash"),
        ]
        indexes = [
            # Revoking a volunteer's links in an election.
            models.Index(fields=["volunteer", "election"], name="personallink_vol_election_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.election}"
