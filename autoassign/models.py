"""Auto-assign: the election's weights and seat rules, and the proposals the
optimiser makes (rows, seats it left open and people it left out, with why)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elections.models import Election, Role, Shift
from polling_stations.models import Area, PollingStation
from staffing.models import Assignment
from volunteers.models import Skill, Volunteer


class Weights(models.Model):
    """How much each wish counts, per election (points per seat; filling a seat
    always counts for more than any wishes: seats are maximised first)."""

    election = models.OneToOneField(
        Election, on_delete=models.CASCADE, related_name="autoassign_weights"
    )
    preferred_station = models.PositiveSmallIntegerField(_("preferred station"), default=40)
    preferred_area = models.PositiveSmallIntegerField(_("preferred area"), default=20)
    near_home = models.PositiveSmallIntegerField(
        _("near home"),
        default=30,
        help_text=_("Full points at the volunteer's postal code, none at the farthest distance."),
    )
    last_placement = models.PositiveSmallIntegerField(
        _("same station and role as last election"), default=25
    )
    wanted_role = models.PositiveSmallIntegerField(_("role wanted"), default=20)
    experience = models.PositiveSmallIntegerField(
        _("experience in the role"),
        default=15,
        help_text=_("Has held this role in an earlier election (chairs above all)."),
    )
    max_km = models.PositiveSmallIntegerField(
        _("farthest distance (km)"),
        default=25,
        help_text=_(
            "People with a known postal code are proposed for stations this close, "
            "or ones they prefer."
        ),
    )
    nearest_stations = models.PositiveSmallIntegerField(
        _("nearest stations considered"),
        default=8,
        help_text=_("Of the stations within the distance, this many nearest (besides preferred)."),
    )
    default_max_shifts = models.PositiveSmallIntegerField(
        _("most shifts per person"), default=1, help_text=_("Unless the person says otherwise.")
    )
    wave_size = models.PositiveIntegerField(_("invitations per wave"), default=2000)
    next_wave_at = models.PositiveSmallIntegerField(
        _("next wave when answered (%)"),
        default=0,
        help_text=_("0: only by hand."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("auto-assign weights")
        verbose_name_plural = _("auto-assign weights")
        constraints = [
            models.CheckConstraint(
                condition=Q(next_wave_at__lte=100),
                name="weights_next_wave_percent",
                violation_error_message=_("The share answered is a percentage: 0 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(nearest_stations__gte=1, default_max_shifts__gte=1, wave_size__gte=1),
                name="weights_limits_positive",
                violation_error_message=_(
                    "Stations considered, most shifts and invitations per wave must be at least 1."
                ),
            ),
        ]

    def __str__(self) -> str:
        return str(self.election)


class SeatRule(models.Model):
    """A rule on who sits together at each station: at least N people with a skill
    (e.g. a language) in a role, or at most K members of any one party in a role."""

    class Kind(models.TextChoices):
        AT_LEAST_SKILL = "min_skill", _("at least N with a skill")
        AT_MOST_PER_PARTY = "max_party", _("at most K from one party")

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="seat_rules", verbose_name=_("election")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    count = models.PositiveSmallIntegerField(_("number"))
    skill = models.ForeignKey(
        Skill, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("skill")
    )
    role = models.ForeignKey(
        Role,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("role"),
        help_text=_("Empty: all roles."),
    )
    station = models.ForeignKey(
        PollingStation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("polling station"),
        help_text=_("Empty: every station."),
    )

    class Meta:
        verbose_name = _("seat rule")
        verbose_name_plural = _("seat rules")
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="min_skill", skill__isnull=False, count__gte=1)
                    | Q(kind="max_party", skill__isnull=True)
                ),
                name="seatrule_skill_matches_kind",
                violation_error_message=_(
                    "“At least N with a skill” needs a skill and N of 1 or more; "
                    "“at most K from one party” takes no skill."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.count}"


class ProposalQuerySet(models.QuerySet["Proposal"]):
    def in_progress(self) -> ProposalQuerySet:
        return self.filter(status__in=Proposal.IN_PROGRESS)


class Proposal(models.Model):
    """One run of the optimiser: who it proposes for which open seat. Not yet
    invitations: the coordinator reviews it, then sends it in waves."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Working")
        READY = "ready", _("Ready to review")
        FAILED = "failed", _("Failed")
        ACCEPTED = "accepted", _("Accepted")
        DISCARDED = "discarded", _("Discarded")

    IN_PROGRESS = (Status.QUEUED, Status.RUNNING)

    election = models.ForeignKey(
        Election, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("election")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("area")
    )
    station = models.ForeignKey(
        PollingStation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("polling station"),
    )
    role = models.ForeignKey(
        Role, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("role")
    )
    day = models.DateField(_("day"), null=True, blank=True)
    time_limit = models.PositiveSmallIntegerField(_("time limit (seconds)"), default=60)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=100, blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    # The figures of the run (see autoassign.solver.Result).
    open_seats = models.IntegerField(_("open seats"), null=True, blank=True)
    filled = models.IntegerField(_("seats filled"), null=True, blank=True)
    seat_bound = models.IntegerField(_("most seats possible"), null=True, blank=True)
    score = models.FloatField(_("wish score"), null=True, blank=True)
    score_bound = models.FloatField(_("best possible wish score"), null=True, blank=True)
    greedy_filled = models.IntegerField(
        _("seats filled by the simple method"), null=True, blank=True
    )
    greedy_score = models.FloatField(_("wish score of the simple method"), null=True, blank=True)
    stats = models.JSONField(_("figures"), default=dict, blank=True)
    waves_sent = models.PositiveSmallIntegerField(_("waves sent"), default=0)
    wave_running = models.BooleanField(_("wave being sent"), default=False)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One run at a time per election (start_proposal refuses a second).
            models.UniqueConstraint(
                fields=["election"],
                condition=Q(status__in=("queued", "running")),
                name="proposal_one_running_per_election",
                violation_error_message=_("An auto-assign run for this election is under way."),
            ),
        ]
        indexes = [
            # The election's proposal list and "the latest ready proposal".
            models.Index(
                fields=["election", "status", "-created_at"], name="proposal_election_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.election} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def gap(self) -> float | None:
        """Relative distance of the wish score from the solver's bound."""
        if self.score is None or self.score_bound is None:
            return None
        if self.score_bound <= self.score:
            return 0.0
        return (self.score_bound - self.score) / max(abs(self.score_bound), 1.0)


class ProposalRow(models.Model):
    """One proposed seat: this volunteer on this shift."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        INVITED = "invited", _("Invited")
        REFUSED = "refused", _("Could not be invited")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="rows")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="+")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("wish score"), default=0)
    # Which wishes the seat meets: codes of autoassign.explain.WISHES.
    wishes = models.JSONField(_("wishes met"), default=list, blank=True)
    locked = models.BooleanField(_("locked"), default=False)
    dropped = models.BooleanField(_("dropped"), default=False)
    by_hand = models.BooleanField(_("changed by hand"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PROPOSED
    )
    wave = models.PositiveSmallIntegerField(_("wave"), null=True, blank=True)
    assignment = models.ForeignKey(
        Assignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    refusal = models.TextField(_("why not invited"), blank=True)

    class Meta:
        verbose_name = _("proposed seat")
        verbose_name_plural = _("proposed seats")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "shift", "volunteer"],
                name="proposalrow_unique_seat",
                violation_error_message=_("This person is proposed for this shift already."),
            ),
        ]
        indexes = [
            # The review page, per station: rows of a proposal by shift.
            models.Index(fields=["proposal", "shift"], name="proposalrow_shift_idx"),
            # The next wave: proposed rows in order.
            models.Index(fields=["proposal", "state", "wave"], name="proposalrow_wave_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} → {self.shift}"


class OpenSeat(models.Model):
    """Seats of a shift the proposal leaves open, and why, in a code the page words."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="open_seats_left")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="+")
    seats = models.PositiveIntegerField(_("seats"))
    code = models.CharField(_("reason"), max_length=30)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("seat left open")
        verbose_name_plural = _("seats left open")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "shift"],
                name="openseat_unique_shift",
                violation_error_message=_("This shift is listed already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shift}: {self.seats}"


class LeftOut(models.Model):
    """A willing volunteer the proposal did not place, and why."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="left_out")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("reason"), max_length=30)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("volunteer left out")
        verbose_name_plural = _("volunteers left out")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "volunteer"],
                name="leftout_unique_volunteer",
                violation_error_message=_("This volunteer is listed already."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.volunteer)
