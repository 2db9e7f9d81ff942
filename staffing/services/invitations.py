"""Inviting volunteers, seating someone directly, and expiring old invitations."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import audit
from accounts.models import User
from elections.models import Election, Shift
from notifications.services import dispatch_on_commit
from pollcrew.bulk import bulk_insert
from staffing import messaging, rules
from staffing.links import issue_links
from staffing.models import Assignment
from staffing.rules import RuleViolation
from staffing.services import standby, webhook_events
from staffing.services._common import (
    assignment_entry,
    check_no_overlap,
    lock_shift,
    lock_volunteer,
    new_assignment_rows,
    record_assignment,
)
from volunteers.models import Volunteer

Status = Assignment.Status


@dataclass
class InviteResult:
    invited: list[Assignment] = field(default_factory=list)
    refused: list[tuple[Volunteer, RuleViolation]] = field(default_factory=list)


def invite(shift: Shift, volunteers: Iterable[Volunteer], *, by: User | None) -> InviteResult:
    """Invite volunteers to a shift, as many as there are free seats.

    Refusals are per volunteer (with the reason); only an inactive election or a
    started shift refuses the whole invite."""
    wanted = sorted({v.pk for v in volunteers})
    result = InviteResult()
    with transaction.atomic():
        shift = lock_shift(shift.pk)
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        locked = list(
            Volunteer.objects.select_for_update(no_key=True)
            .filter(pk__any_of=wanted)
            .order_by("pk")
        )
        held = shift.assignments.holding_seat().count()
        on_shift, earlier_declines = rules.shift_history(shift, wanted)
        clashes = rules.clashing_shifts(shift, wanted)
        members = rules.team_member_ids(shift, wanted)
        may_name = rules.may_name_for(by)
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
                    may_name=may_name,
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
        result.invited = bulk_insert(to_create)
        # Everyone on one shift: its label (dates formatted) once, not once per person.
        label = f"{shift} ({Status.INVITED.label})"
        audit.record_many(
            rows=new_assignment_rows("staffing.invite", result.invited, by=by, label=label)
        )
        tokens = issue_links([(a.volunteer, shift.election) for a in result.invited])
        messages = messaging.queue_invitations(list(zip(result.invited, tokens, strict=True)))
        dispatch_on_commit([m.pk for m in messages])
    return result


def assign(shift: Shift, volunteer: Volunteer, *, by: User | None) -> Assignment:
    """Seat someone who already said yes (by phone, at the office): an accepted
    seat with no invitation, and a confirmation with their link. An open
    invitation to the same shift is accepted on their behalf instead."""
    with transaction.atomic():
        shift = lock_shift(shift.pk)
        volunteer = lock_volunteer(volunteer.pk)
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        live = shift.assignments.holding_seat().filter(volunteer=volunteer).first()
        if live is not None and live.status != Status.INVITED:
            return live  # already seated: nothing more to do or send
        rules.check_age(shift, volunteer)
        rules.check_team(shift, volunteer, rules.team_member_ids(shift, [volunteer.pk]))
        exclude = live.pk if live is not None else None
        clashes = rules.clashing_shifts(shift, [volunteer.pk], exclude_assignment=exclude)
        check_no_overlap(shift, volunteer, clashes, by)
        now = timezone.now()
        if live is None:
            rules.check_capacity(shift, shift.assignments.holding_seat().count())
            assignment = Assignment.objects.create(
                shift=shift,
                volunteer=volunteer,
                status=Status.ACCEPTED,
                invited_at=now,
                invited_by=by,
                responded_at=now,
            )
            before = None
        else:
            assignment = live
            before = {"status": assignment.status, "responded_at": None}
            assignment.status = Status.ACCEPTED
            assignment.responded_at = now
            assignment.save(update_fields=["status", "responded_at", "updated_at"])
        assignment.shift, assignment.volunteer = shift, volunteer
        record_assignment("staffing.assign", assignment, by=by, before=before)
        standby.note_seated(volunteer.pk, shift.pk)
        messaging.queue_confirmation(assignment)
    return assignment


def expire_invitations(now: datetime | None = None) -> int:
    """Invitations unanswered for the election's response_days, or whose shift has
    started, expire and free their seats (the system's doing, audited). A sign-up
    awaiting the office's approval waits for the office, until the shift starts."""
    now = now or timezone.now()
    expired = 0
    for election in Election.objects.filter(status=Election.Status.ACTIVE):
        cutoff = timezone.localtime(now) - timedelta(days=election.response_days)
        with transaction.atomic():
            # skip_locked: a seat another service holds right now (an answer, a
            # removal) is left for the next sweep; the sweep never waits, so it
            # cannot deadlock with the services' shift → volunteer → seat order.
            due = list(
                Assignment.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(shift__election=election, status=Status.INVITED)
                .filter(
                    Q(invited_at__lt=cutoff, awaiting_approval=False) | Q(shift__starts_at__lte=now)
                )
                .select_related("shift__election", "shift__role", "shift__station", "volunteer")
                .order_by("pk")
            )
            if not due:
                continue
            Assignment.objects.filter(pk__in=[a.pk for a in due]).update(
                status=Status.EXPIRED, updated_at=now
            )
            entries = []
            for assignment in due:
                assignment.status = Status.EXPIRED
                entries.append(
                    assignment_entry(
                        "staffing.expire", assignment, by=None, before={"status": Status.INVITED}
                    )
                )
            audit.record_many(entries)
            # Told when the answer-by date passed; a shift that has begun needs no word.
            notices = messaging.queue_notices(
                [a for a in due if a.shift.starts_at > now], messaging.EXPIRED
            )
            dispatch_on_commit([m.pk for m in notices])
            # The freed seats go to the standby lists (shifts not begun).
            for shift in {a.shift_id: a.shift for a in due}.values():
                standby.schedule_offers(shift)
            webhook_events.seats_freed(due)
            expired += len(due)
    return expired
