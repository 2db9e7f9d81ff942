from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from elections import window
from polling_stations.models import Area, PollingStation
from volunteers.models import Team


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight of ``day`` in the configured time zone (DST-safe)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


# Reminders of one invitation, at most (a role or an election may ask for fewer;
# the constraints' messages say 5).
MAX_REMINDERS = 5


class Election(models.Model):
    class Kind(models.TextChoices):
        PARLIAMENTARY = "parliamentary", _("Parliamentary election")
        MUNICIPAL_REGIONAL = "municipal_regional", _("Municipal and regional election")
        EU_PARLIAMENT = "eu_parliament", _("European Parliament election")
        REFERENDUM = "referendum", _("Referendum")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.OTHER)
    election_date = models.DateField(_("election date"), validators=[window.check_election_date])
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    lock_days = models.PositiveSmallIntegerField(
        _("lock days"),
        default=3,
        help_text=_("Volunteers cannot change their answer this many days before a shift."),
    )
    response_days = models.PositiveSmallIntegerField(
        _("response days"),
        default=7,
        help_text=_("An invitation not answered within this many days expires."),
    )
    # Reminders (staffing.reminders), each 0 for none; a role may override the
    # invitation reminders (Role.invitation_reminder_days / _max).
    invitation_reminder_days = models.PositiveSmallIntegerField(
        _("invitation reminder after days"),
        default=3,
        help_text=_(
            "Remind people who have not answered after this many days, then again every "
            "this many days. 0: no reminders."
        ),
    )
    invitation_reminders_max = models.PositiveSmallIntegerField(
        _("invitation reminders at most"), default=2
    )
    shift_reminder_days = models.PositiveSmallIntegerField(
        _("shift reminder days before"),
        default=2,
        help_text=_("Remind people with a seat this many days before their shift. 0: none."),
    )
    shift_morning_sms = models.BooleanField(
        _("SMS on the morning of the shift"),
        default=False,
        help_text=_("A short SMS at 6 in the morning on the day, to people with a mobile number."),
    )
    # Standby lists (staffing.services.standby): a freed seat is offered to the
    # people waiting for it, first claim wins.
    standby_enabled = models.BooleanField(
        _("offer freed seats to the standby list"),
        default=False,
        help_text=_(
            "When a seat frees up, the next people on its standby list get a link to claim it."
        ),
    )
    standby_paused = models.BooleanField(
        _("standby offers paused"),
        default=False,
        help_text=_("No new offers go out while paused; open offers can still be claimed."),
    )
    offer_hours = models.PositiveSmallIntegerField(_("hours to claim an offer"), default=12)
    offers_per_seat = models.PositiveSmallIntegerField(
        _("offers per free seat"),
        default=2,
        help_text=_("How many people on standby are offered each free seat at once."),
    )
    election_day_hours = models.PositiveSmallIntegerField(
        _("election-day mode, hours before the shift"),
        default=24,
        help_text=_(
            "From this many hours before a shift, its freed seats go to standby people of the "
            "same station first, then of the area, with a short deadline."
        ),
    )
    election_day_offer_minutes = models.PositiveSmallIntegerField(
        _("minutes to claim an offer on election day"), default=30
    )
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("copied from"),
    )
    areas = models.ManyToManyField(
        Area,
        blank=True,
        related_name="elections",
        verbose_name=_("areas"),
        help_text=_("The areas taking part: every polling station in them is on the board."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # When the election last became closed (set by elections.services.set_election_status,
    # cleared on reopening, kept on archiving). Retention counts its days from here.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        ordering = ["-election_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(response_days__gte=1),
                name="election_response_days_positive",
                violation_error_message=_("Give volunteers at least one day to answer."),
            ),
            models.CheckConstraint(
                condition=Q(invitation_reminders_max__lte=MAX_REMINDERS),
                name="election_invitation_reminders_max_sane",
                violation_error_message=_("At most 5 reminders per invitation."),
            ),
            models.CheckConstraint(
                condition=Q(offer_hours__gte=1)
                & Q(offers_per_seat__gte=1)
                & Q(election_day_offer_minutes__gte=5),
                name="election_standby_offers_sane",
                violation_error_message=_(
                    "Give at least an hour to claim an offer (5 minutes on election day) and "
                    "offer each seat to at least one person."
                ),
            ),
        ]
        indexes = [
            # Election list, newest first, filtered by status.
            models.Index(fields=["status", "-election_date"], name="election_status_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.election_date.isoformat()})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


def _in_language(danish: str, english: str, language: str) -> str:
    return english if language == "en" and english.strip() else danish


class Role(models.Model):
    """A task type: chair, poll clerk, counter, postal-vote receiver…"""

    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=20)
    description = models.TextField(_("description (Danish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    what_to_bring = models.TextField(_("what to bring (Danish)"), blank=True)
    what_to_bring_en = models.TextField(_("what to bring (English)"), blank=True)
    default_start = models.TimeField(_("default start"))
    default_end = models.TimeField(
        _("default end"), help_text=_("Earlier than the start means the next day.")
    )
    pay = models.DecimalField(_("pay"), max_digits=8, decimal_places=2, default=0)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=18)
    invite_only = models.BooleanField(
        _("invite only"),
        default=False,
        help_text=_("Never listed publicly; volunteers can only be invited."),
    )
    requires_approval = models.BooleanField(
        _("sign-ups need approval"),
        default=False,
        help_text=_("Seats taken through a sign-up link are held until the office approves."),
    )
    standby_enabled = models.BooleanField(
        _("refill from standby"),
        default=True,
        help_text=_(
            "Freed seats of this role are offered to the standby list (if the election does)."
        ),
    )
    reminders_enabled = models.BooleanField(_("reminders enabled"), default=True)
    # The election's invitation reminders, unless set here (0: none for this role).
    invitation_reminder_days = models.PositiveSmallIntegerField(
        _("invitation reminder after days"), null=True, blank=True
    )
    invitation_reminders_max = models.PositiveSmallIntegerField(
        _("invitation reminders at most"), null=True, blank=True
    )
    required_skills = models.ManyToManyField(
        "volunteers.Skill",
        blank=True,
        related_name="required_by_roles",
        verbose_name=_("required skills"),
        help_text=_("Everyone in this role must have all of these (e.g. a chair's training)."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                name="role_unique_name",
                violation_error_message=_("A role with this name exists already."),
            ),
            models.CheckConstraint(
                condition=Q(min_age__lte=120),
                name="role_min_age_sane",
                violation_error_message=_("The minimum age must be 120 or less."),
            ),
            models.CheckConstraint(
                condition=Q(invitation_reminders_max__isnull=True)
                | Q(invitation_reminders_max__lte=MAX_REMINDERS),
                name="role_invitation_reminders_max_sane",
                violation_error_message=_("At most 5 reminders per invitation."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def description_in(self, language: str) -> str:
        """The description for a reader of ``language``: the English one for an
        English reader when it is written, else the Danish."""
        return _in_language(self.description, self.description_en, language)

    def what_to_bring_in(self, language: str) -> str:
        return _in_language(self.what_to_bring, self.what_to_bring_en, language)


class ShiftQuerySet(models.QuerySet["Shift"]):
    def local_days(self) -> list[date]:
        """The days (in the configured time zone) on which these shifts start."""
        starts = self.order_by().values_list("starts_at", flat=True).distinct()
        return sorted({timezone.localtime(t).date() for t in starts})

    def on_day(self, day: date) -> ShiftQuerySet:
        """Shifts starting on ``day`` in the configured time zone."""
        start, end = day_bounds(day)
        return self.filter(starts_at__gte=start, starts_at__lt=end)


class Shift(models.Model):
    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("election")
    )
    station = models.ForeignKey(
        PollingStation,
        on_delete=models.PROTECT,
        related_name="shifts",
        verbose_name=_("polling station"),
    )
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("role")
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reserved_shifts",
        verbose_name=_("reserved for team"),
        help_text=_("Seats on this shift are reserved for the team's members."),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("seats"))
    # When its time, station or role last changed (none: as created): calendar
    # entries of the shift take a new sequence number from it.
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True)

    objects = ShiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at", "role__sort_order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="shift_capacity_positive",
                violation_error_message=_("A shift needs at least one seat."),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="shift_ends_after_start",
                violation_error_message=_("A shift must end after it starts."),
            ),
        ]
        indexes = [
            # Staffing board and station page: an election's shifts per station.
            models.Index(
                fields=["election", "station", "starts_at"], name="shift_election_station_idx"
            ),
        ]

    def __str__(self) -> str:
        # As the pages write it, in the current language (never an ISO date).
        starts = date_format(timezone.localtime(self.starts_at), "SHORT_DATETIME_FORMAT")
        ends = date_format(timezone.localtime(self.ends_at), "TIME_FORMAT")
        return f"{self.role} · {self.station} · {starts}\u2013{ends}"

    def clean(self) -> None:
        """A shift falls in its election's window (elections.window)."""
        if self.election_id and self.starts_at and self.ends_at:
            window.check(self.election.election_date, self.starts_at, self.ends_at)
