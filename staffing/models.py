"""Seats being filled: who was invited to which shift, how they answered, and the
personal links volunteers answer through."""

from __future__ import annotations

import hashlib
from datetime import datetime

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
    # When a letter for this seat was last printed (documents): "only not yet printed".
    invitation_printed_at = models.DateTimeField(
        _("invitation letter printed"), null=True, blank=True, editable=False
    )
    appointment_printed_at = models.DateTimeField(
        _("appointment letter printed"), null=True, blank=True, editable=False
    )
    # Signed up through an open sign-up link (staffing.signup), and, for a role
    # that needs it, held for the office's approval: the seat is kept (status
    # invited), never expires or is reminded, and the office approves or refuses.
    # The flag means "held" only while the seat is invited.
    signup_link = models.ForeignKey(
        "staffing.SignupLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("signed up through"),
    )
    awaiting_approval = models.BooleanField(_("awaiting approval"), default=False)
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
    def usable(self, now: datetime | None = None) -> PersonalLinkQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


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
                violation_error_message=_(
                    "A shift cannot have fewer than no people awaiting an answer or accepted."
                ),
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
    # Hours since 1970-01-01 00:00 UTC: read by the thousand, compared as integers.
    hour = models.BigIntegerField(_("hour"))
    n = models.IntegerField(_("number"))

    class Meta:
        verbose_name = _("election tally")
        verbose_name_plural = _("election tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["election", "kind", "hour"],
                name="electiontally_one_per_hour",
                violation_error_message=_("An election has one tally of each kind per hour."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.election_id} {self.kind} {self.hour}: {self.n}"


class VolunteerSeats(models.Model):
    """A volunteer's seats in an election by state (awaiting an answer, accepted
    or checked in, declined), kept by triggers like ``SeatFill``: what the
    volunteer list's "status in this election" filter reads for a user who sees
    the whole election, one indexed row per person instead of their assignments."""

    election = models.ForeignKey(
        Election,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # volunteerseats_one_per_election starts with it
        verbose_name=_("election"),
    )
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="+", verbose_name=_("volunteer")
    )
    invited = models.IntegerField(_("awaiting answer"), default=0)
    accepted = models.IntegerField(_("accepted"), default=0)
    declined = models.IntegerField(_("declined"), default=0)

    class Meta:
        verbose_name = _("volunteer's seats")
        verbose_name_plural = _("volunteers' seats")
        constraints = [
            models.UniqueConstraint(
                fields=["election", "volunteer"],
                name="volunteerseats_one_per_election",
                violation_error_message=_("A volunteer has one count of seats per election."),
            ),
        ]
        # No check that counts stay >= 0: PostgreSQL checks the row an upsert
        # proposes (an answer: invited -1, accepted +1) before it finds the row
        # to add it to. The recount test keeps them right.

    def __str__(self) -> str:
        counts = f"{self.invited}/{self.accepted}/{self.declined}"
        return f"{self.election_id}/{self.volunteer_id}: {counts}"


class ReinviteRun(models.Model):
    """One round of inviting the previous election's accepted volunteers into a
    copy (``staffing.reinvite``), done by a Celery job a chunk at a time.

    The run's counts and its rows are written in the same transaction as each
    chunk's invitations, so the page shows progress and a job that stops (a
    crash, a redelivery) goes on where the last chunk ended. At most one run per
    election is queued or running (``reinviterun_one_active_per_election``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped")

    election = models.ForeignKey(
        Election,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # reinviterun_election_idx starts with it
        verbose_name=_("election"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    # The requester's language: the reasons are written in it (see ReinviteRow.reason).
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total = models.IntegerField(_("people to invite"), null=True, blank=True)
    invited = models.IntegerField(_("invited"), default=0)
    not_invited = models.IntegerField(_("not invited"), default=0)
    error = models.TextField(_("why it stopped"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("re-invitation run")
        verbose_name_plural = _("re-invitation runs")
        constraints = [
            # A second request while one is queued or running shows that one.
            models.UniqueConstraint(
                fields=["election"],
                condition=Q(status__in=["queued", "running"]),
                name="reinviterun_one_active_per_election",
                violation_error_message=_("Previous volunteers are already being invited."),
            ),
            models.CheckConstraint(
                condition=Q(invited__gte=0) & Q(not_invited__gte=0),
                name="reinviterun_counts_not_negative",
                violation_error_message=_("A re-invitation run cannot count fewer than no people."),
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(finished_at__isnull=False),
                name="reinviterun_done_has_time",
                violation_error_message=_(
                    "A finished re-invitation run needs the time it finished."
                ),
            ),
        ]
        indexes = [
            # The election's latest run (the reinvite page).
            models.Index(fields=["election", "-created_at"], name="reinviterun_election_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.election_id} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def processed(self) -> int:
        return self.invited + self.not_invited


class ReinviteRow(models.Model):
    """What a run did for one accepted seat of the previous election: the shift it
    matched in the copy (none when there is no such seat), and whether the person
    was invited, or why not.

    The reason is kept as written then, in the requester's language, with its
    code: the rules word it with what held at that moment (which other seat
    clashed, the team, the age on the new date), which a later rendering could
    not recover; the code groups and counts the rows in any language."""

    class Outcome(models.TextChoices):
        INVITED = "invited", _("Invited")
        NOT_INVITED = "not_invited", _("Not invited")

    run = models.ForeignKey(
        ReinviteRun,
        on_delete=models.CASCADE,
        related_name="rows",
        db_index=False,  # reinviterow_outcome_idx starts with it
        verbose_name=_("run"),
    )
    # CASCADE: a record merged into another, or deleted by retention, takes its rows along.
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="+", verbose_name=_("volunteer")
    )
    previous_shift = models.ForeignKey(
        Shift, on_delete=models.CASCADE, related_name="+", verbose_name=_("previous shift")
    )
    shift = models.ForeignKey(
        Shift,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("new shift"),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    reason_code = models.CharField(_("reason code"), max_length=32, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("re-invitation row")
        verbose_name_plural = _("re-invitation rows")
        constraints = [
            # Each previous seat is handled once per run: a resumed job skips it.
            models.UniqueConstraint(
                fields=["run", "volunteer", "previous_shift"],
                name="reinviterow_one_per_previous_seat",
                violation_error_message=_(
                    "Each previous seat is handled once per re-invitation run."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(outcome="invited") & Q(reason_code=""))
                | (Q(outcome="not_invited") & ~Q(reason_code="")),
                name="reinviterow_reason_iff_not_invited",
                violation_error_message=_(
                    "A person not invited again needs the reason, and only they have one."
                ),
            ),
        ]
        indexes = [
            # The result page: a run's rows by outcome and reason (the groups and their pages).
            models.Index(fields=["run", "outcome", "reason_code"], name="reinviterow_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.volunteer_id} {self.outcome} {self.reason_code}"


# Calendar feeds, group messages and message texts live in modules of their own;
# imported here so that Django sees them.
from staffing.models_calendar import CalendarFeed  # noqa: E402, F401
from staffing.models_group_messages import GroupMessage, GroupRecipient  # noqa: E402, F401
from staffing.models_message_texts import MessageText  # noqa: E402, F401
from staffing.models_preferences import Preference  # noqa: E402, F401
from staffing.models_signup import SignupLink  # noqa: E402, F401
from staffing.models_standby import SeatOffer, StandbyEntry  # noqa: E402, F401
