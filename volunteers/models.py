from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from volunteers import search


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
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                name="team_unique_name",
                violation_error_message=_("A team with this name exists already."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """Something a person can do or has done: a skill, a training course, or a
    language they speak. Roles may require skills; the auto-assigner can ask for
    at least so many speakers of a language per station."""

    class Kind(models.TextChoices):
        SKILL = "skill", _("skill")
        TRAINING = "training", _("training")
        LANGUAGE = "language", _("language")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SKILL)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                name="skill_unique_name",
                violation_error_message=_("A skill with this name exists already."),
            )
        ]

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
    unreachable = models.BooleanField(
        _("reached by post only"),
        default=False,
        help_text=_("SMS and email do not reach this person: invitations are printed as letters."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Computed by the database from the name, email and phone (volunteers.search):
    # every writer keeps them right, bulk loads and anonymisation included.
    search_text = models.GeneratedField(
        expression=search.search_text_expression(),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("search text"),
    )
    sort_name = models.GeneratedField(
        expression=search.sort_name_expression(),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("sort name"),
    )

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone=""),
                name="volunteer_has_email_or_phone",
                violation_error_message=_("Give an email address or a mobile number (or both)."),
            ),
            models.CheckConstraint(
                condition=(Q(preferred_channel="email") & ~Q(email=""))
                | (Q(preferred_channel="sms") & ~Q(phone="")),
                name="volunteer_channel_has_address",
                violation_error_message=_(
                    "The preferred channel needs its address: a mobile number for SMS, "
                    "an email address for email."
                ),
            ),
            # E.164 as stored by the services: "+", no spaces (a number with spaces
            # once reached the SMS provider as typed).
            models.CheckConstraint(
                condition=Q(phone="") | (Q(phone__startswith="+") & ~Q(phone__contains=" ")),
                name="volunteer_phone_e164",
                violation_error_message=_(
                    "Write the mobile number in international format, e.g. +45 20 12 34 56."
                ),
            ),
        ]
        indexes = [
            # Coordinator search and duplicate checks on import.
            models.Index(fields=["last_name", "first_name"], name="volunteer_name_idx"),
            models.Index(fields=["email"], name="volunteer_email_idx"),
            models.Index(fields=["phone"], name="volunteer_phone_idx"),
            # The volunteer list in Danish order, a page at a time (search.in_danish_order).
            # The search itself is served on PostgreSQL by a trigram GIN index on
            # search_text (migration 0005; SQLite has none and scans).
            models.Index(
                search.ByteOrder(models.F("sort_name")), models.F("id"), name="volunteer_sort_idx"
            ),
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
        return self.address_on(self.preferred_channel)

    def address_on(self, channel: str) -> str:
        """The email address or phone number for ``channel`` ("" if none)."""
        return self.email if channel == self.Channel.EMAIL else self.phone
