"""Standby lists and the offers that refill freed seats from them
(``staffing.services.standby``).

Imported by ``staffing.models`` so that Django and the migrations see it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elections.models import Election, Shift
from polling_stations.models import PollingStation
from volunteers.models import Volunteer


class StandbyEntry(models.Model):
    """Someone waiting for a seat: on one full shift, or on any shift of a
    station on a day. The list's order is ``created_at`` (then id)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        SEATED = "seated", _("Got a seat")
        LEFT = "left", _("Left the list")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="standby", verbose_name=_("election")
    )
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="standby", verbose_name=_("volunteer")
    )
    shift = models.ForeignKey(
        Shift,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="standby",
        verbose_name=_("shift"),
    )
    station = models.ForeignKey(
        PollingStation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("polling station"),
    )
    day = models.DateField(_("day"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.WAITING
    )
    created_at = models.DateTimeField(_("joined"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("standby entry")
        verbose_name_plural = _("standby entries")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shift__isnull=False)
                | (Q(station__isnull=False) & Q(day__isnull=False)),
                name="standbyentry_shift_or_station_day",
                violation_error_message=_("A standby entry is for a shift, or a station on a day."),
            ),
            models.UniqueConstraint(
                fields=["volunteer", "shift"],
                condition=Q(status="waiting", shift__isnull=False),
                name="standbyentry_once_per_shift",
                violation_error_message=_("This person is on the shift's standby list already."),
            ),
            models.UniqueConstraint(
                fields=["volunteer", "station", "day"],
                condition=Q(status="waiting", shift__isnull=True),
                name="standbyentry_once_per_station_day",
                violation_error_message=_(
                    "This person is on the station's standby list for the day already."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["election", "status", "created_at"], name="standby_election_idx"),
            models.Index(fields=["volunteer", "status"], name="standby_volunteer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id} · {self.shift_id or (self.station_id, self.day)}"


class SeatOffer(models.Model):
    """A freed seat offered to someone on standby: a claim link with a deadline.
    The first claim of an open offer for a shift with a free seat gets it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Offered")
        CLAIMED = "claimed", _("Claimed")
        TAKEN = "taken", _("Taken by someone else")
        EXPIRED = "expired", _("Not claimed in time")
        CANCELLED = "cancelled", _("Withdrawn")

    entry = models.ForeignKey(
        StandbyEntry,
        on_delete=models.CASCADE,
        related_name="offers",
        verbose_name=_("standby entry"),
    )
    shift = models.ForeignKey(
        Shift, on_delete=models.CASCADE, related_name="offers", verbose_name=_("shift")
    )
    token_hash = models.CharField(_("token hash"), max_length=64, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("offered"), default=timezone.now)
    deadline = models.DateTimeField(_("claim by"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("seat offer")
        verbose_name_plural = _("seat offers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["token_hash"],
                name="seatoffer_unique_token_hash",
                violation_error_message=_("This claim link exists already."),
            ),
            models.UniqueConstraint(
                fields=["entry", "shift"],
                condition=Q(status="open"),
                name="seatoffer_one_open_per_entry_shift",
                violation_error_message=_("This person has an open offer for this shift already."),
            ),
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("created_at")),
                name="seatoffer_deadline_after_offer",
                violation_error_message=_("The claim deadline must be after the offer."),
            ),
        ]
        indexes = [
            models.Index(fields=["shift", "status"], name="seatoffer_shift_status_idx"),
            models.Index(fields=["status", "deadline"], name="seatoffer_status_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} → {self.shift_id} ({self.status})"
