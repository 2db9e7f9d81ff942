"""Staffing actions. Every write to assignments goes through here.

Each action runs in one transaction holding row locks on the shift and then
the volunteer(s), in that order, so capacity and overlap checks cannot race.
Messages are queued in the same transaction and handed to workers on commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from elections.models import Election, Shift
from notifications.services import dispatch_on_commit
from volunteers import messaging, rules
from volunteers.links import issue_links
from volunteers.models import Assignment, Volunteer
from volunteers.rules import RuleViolation

Status = Assignment.Status


@dataclass
class InviteResult:
    invited: list[Assignment] = field(default_factory=list)
    refused: list[tuple[Volunteer, RuleViolation]] = field(default_factory=list)


# FOR NO KEY UPDATE: serialises the services on these rows, yet lets other
# transactions insert rows that merely reference them (messages, links).
def _lock_shift(shift_id: int) -> Shift:
    return (
        Shift.objects.select_for_update(of=("self",), no_key=True)
        .select_related("election", "role", "station", "team")
        .get(pk=shift_id)
    )


def _lock_volunteer(volunteer_id: int) -> Volunteer:
    return Volunteer.objects.select_for_update(no_key=True).get(pk=volunteer_id)


def invite(shift: Shift, volunteers: Iterable[Volunteer], *, by: User | None) -> InviteResult:
    """Invite volunteers to a shift, as many as there are free seats.

    Refusals are per volunteer (with the reason); only an inactive election
    refuses the whole invite.
    """
    wanted = sorted({v.pk for v in volunteers})
    result = InviteResult()
    with transaction.atomic():
        shift = _lock_shift(shift.pk)
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        locked = list(
            Volunteer.objects.select_for_update(no_key=True).filter(pk__in=wanted).order_by("pk")
        )
        held = shift.assignments.holding_seat().count()
        on_shift, earlier_declines = rules.shift_history(shift, wanted)
        clashes = rules.clashing_shifts(shift, wanted)
        members = rules.team_member_ids(shift, wanted)
        now = timezone.now()
        to_create: list[Assignment] = []
        for volunteer in sorted(locked, key=lambda v: (v.last_name, v.first_name, v.pk)):
            try:
                rules.check_invitable(
                    shift,
                    volunteer,
                    volunteer.pk in on_shift,
                    volunteer.pk in earlier_declines,
                    clashes,
                    members,
                )
                rules.check_capacity(shift, held)
            except RuleViolation as refusal:
                result.refused.append((volunteer, refusal))
                continue
            held += 1
            to_create.append(
                Assignment(
                    shift=shift,
                    volunteer=volunteer,
                    status=Status.INVITED,
                    invited_at=now,
                    invited_by=by,
                )
            )
        result.invited = Assignment.objects.bulk_create(to_create)
        tokens = issue_links([(a.volunteer, shift.election) for a in result.invited])
        messages = messaging.queue_invitations(list(zip(result.invited, tokens, strict=True)))
        dispatch_on_commit([m.pk for m in messages])
    return result


# States a volunteer may accept from. Declined, expired and withdrawn seats were
# given up, so accepting them again must find a free seat.
GIVEN_UP = frozenset({Status.DECLINED, Status.EXPIRED, Status.WITHDRAWN})
_ACCEPTABLE = GIVEN_UP | {Status.INVITED}


def accept(assignment: Assignment, *, by: User | None = None) -> Assignment:
    """Accept a seat. ``by`` is a staff user answering on the volunteer's behalf
    (exempt from the self-service lock); None means the volunteer's own link.

    A first answer to an invitation is possible until the shift starts; taking a
    seat given up earlier is a change, closed lock_days before the shift."""
    with transaction.atomic():
        shift = _lock_shift(assignment.shift_id)
        volunteer = _lock_volunteer(assignment.volunteer_id)
        current = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if current.status in (Status.ACCEPTED, Status.CHECKED_IN):
            return current  # a double click: already done, nothing more to send
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        if current.status not in _ACCEPTABLE:
            raise rules.refusal("not_acceptable", volunteer)
        if current.status != Status.INVITED:
            if by is None:
                rules.check_self_service_open(shift)
            later = Assignment.objects.filter(shift=shift, volunteer=volunteer, pk__gt=current.pk)
            if later.exists():  # superseded: re-invited, or removed by the office
                raise rules.refusal("not_acceptable", volunteer)
            rules.check_capacity(shift, shift.assignments.holding_seat().count())
        rules.check_age(shift, volunteer)
        rules.check_team(shift, volunteer, rules.team_member_ids(shift, [volunteer.pk]))
        clashes = rules.clashing_shifts(shift, [volunteer.pk], exclude_assignment=current.pk)
        rules.check_no_overlap(shift, volunteer, clashes.get(volunteer.pk))
        current.status = Status.ACCEPTED
        current.responded_at = timezone.now()
        current.reason = ""
        current.save(update_fields=["status", "responded_at", "reason", "updated_at"])
        current.shift, current.volunteer = shift, volunteer
        messaging.queue_confirmation(current)
    return current


def decline(assignment: Assignment, *, reason: str = "", by: User | None = None) -> Assignment:
    """Say no: an invitation becomes declined, an accepted seat withdrawn."""
    with transaction.atomic():
        shift = _lock_shift(assignment.shift_id)
        volunteer = _lock_volunteer(assignment.volunteer_id)
        current = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if current.status in (Status.DECLINED, Status.WITHDRAWN):
            return current
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        if current.status == Status.INVITED:
            new_status = Status.DECLINED
        elif current.status == Status.ACCEPTED:
            if by is None:
                rules.check_self_service_open(shift)
            new_status = Status.WITHDRAWN
        else:
            raise rules.refusal("not_declinable", volunteer)
        current.status = new_status
        current.responded_at = timezone.now()
        current.reason = reason.replace("\x00", "").strip()[:1000]
        current.save(update_fields=["status", "responded_at", "reason", "updated_at"])
        current.shift, current.volunteer = shift, volunteer
        messaging.queue_confirmation(current)
    return current


def expire_invitations(now: datetime | None = None) -> int:
    """Invitations unanswered for the election's response_days, or whose shift has
    started, expire and free their seats."""
    now = now or timezone.now()
    expired = 0
    for election in Election.objects.filter(status=Election.Status.ACTIVE):
        cutoff = timezone.localtime(now) - timedelta(days=election.response_days)
        expired += (
            Assignment.objects.filter(shift__election=election, status=Status.INVITED)
            .filter(Q(invited_at__lt=cutoff) | Q(shift__starts_at__lte=now))
            .update(status=Status.EXPIRED, updated_at=now)
        )
    return expired
