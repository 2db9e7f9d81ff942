"""Seats being filled: who was invited to which shift, how they answered, and the
personal links volunteers answer through."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elections.models import Election, Role, Shift
from polling_stations.models import PollingStation
from volunteers.models import Volunteer

# Assignment states that hold a seat (count against capacity), and those that fill it.
SEAT_HOLDING_STATUSES = ("invited", "accepted", "checked_in")
FILLED_STATUSES = ("accepted", "checked_in")


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

    # PROTECT: a shift or a volunteer with history cannot disappear by a cascade;
    # the services remove people first and tell them (staffing.services.delete_shift).
    shift = models.ForeignKey(
        Shift, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("shift")
    )
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("volunteer")
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
                violation_error_message=_("This volunteer already holds a seat on this shift."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "declined"]) | Q(responded_at__isnull=False),
                name="assignment_answer_has_time",
                violation_error_message=_("An accepted or declined seat needs the time of answer."),
            ),
            models.CheckConstraint(
                condition=~Q(status="checked_in") | Q(checked_in_at__isnull=False),
                name="assignment_checkin_has_time",
                violation_error_message=_("A checked-in seat needs the time of check-in."),
            ),
        ]
        indexes = [
            # Fill counts per shift (staffing board, capacity check).
            models.Index(fields=["shift", "status"], name="assignment_shift_status_idx"),
            # A volunteer's shifts (personal link page, overlap check).
            models.Index(fields=["volunteer", "status"], name="assignment_vol_status_idx"),
            # Invitation expiry sweep.
            models.Index(fields=["status", "invited_at"], name="assignment_status_invited_idx"),
            # Answers of the last days (the dashboard's declines and withdrawals).
            models.Index(fields=["status", "responded_at"], name="assignment_status_answer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} → {self.shift} ({self.get_status_display()})"

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING_STATUSES


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PersonalLinkQuerySet(models.QuerySet["PersonalLink"]):
    def usable(self) -> PersonalLinkQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class PersonalLink(models.Model):
    """A volunteer's key to their shifts in one election. Only the hash is kept.

    It lives in staffing (not volunteers) because it opens one election's seats:
    it points at an election, and the pages behind it answer assignments."""

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
            models.UniqueConstraint(
                fields=["token_hash"],
                name="personallink_unique_token_hash",
                violation_error_message=_("This link exists already."),
            ),
        ]
        indexes = [
            # Revoking a volunteer's links in an election.
            models.Index(fields=["volunteer", "election"], name="personallink_vol_election_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.election}"

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class SeatFill(models.Model):
    """A shift's seats and who holds them, kept by the database itself.

    One row per shift, written only by triggers (``staffing.counters``) in the
    same transaction as the shift or assignment that changed, whatever wrote it
    (a service, a bulk insert, COPY, the admin, the data generator). The board,
    the dashboard and every fill count read these rows instead of counting the
    assignments each time. ``manage.py recount_fills`` rebuilds them."""

    shift = models.OneToOneField(
        Shift,
        on_delete=models.DO_NOTHING,  # the shift's delete trigger removes the row
        primary_key=True,
        related_name="seat_fill",
        verbose_name=_("shift"),
    )
    election = models.ForeignKey(
        Election,
        on_delete=models.DO_NOTHING,  # its shifts' delete trigger removes the rows first
        related_name="+",
        db_index=False,  # seatfill_election_station_idx starts with it
        verbose_name=_("election"),
    )
    # Copies of the shift's, for grouping without a join; no constraint of their
    # own (the shift's foreign keys hold them).
    station = models.ForeignKey(
        PollingStation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("polling station"),
    )
    role = models.ForeignKey(
        Role,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("role"),
    )
    seats = models.PositiveIntegerField(_("seats"))
    invited = models.IntegerField(_("awaiting answer"), default=0)
    accepted = models.IntegerField(_("accepted"), default=0)

    class Meta:
        verbose_name = _("seat fill")
        verbose_name_plural = _("seat fills")
        constraints = [
            models.CheckConstraint(
                condition=Q(invited__gte=0) & Q(accepted__gte=0),
                name="seatfill_counts_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["election", "station"], name="seatfill_election_station_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.shift_id}: {self.accepted}+{self.invited}/{self.seats}"


class ElectionTally(models.Model):
    """Counts per election, kind and hour, kept by triggers like ``SeatFill``:
    invitations sent (``sent``, by the hour sent), still unanswered (``invited``,
    by the hour sent), accepted, declined and withdrawn (by the hour of the
    answer), and messages about its seats that failed (``failed``, by the hour
    the message was made). The dashboard reads these few rows instead of every
    assignment and message."""

    class Kind(models.TextChoices):
        SENT = "sent", _("Invitations sent")
        INVITED = "invited", _("Awaiting answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        FAILED = "failed", _("Messages failed")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="+", verbose_name=_("election")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    hour = models.DateTimeField(_("hour"))
    n = models.IntegerField(_("number"))

    class Meta:
        verbose_name = _("election tally")
        verbose_name_plural = _("election tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["election", "kind", "hour"], name="electiontally_one_per_hour"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.election_id} {self.kind} {self.hour:%Y-%m-%d %H}: {self.n}"
