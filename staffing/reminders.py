"""Reminders: invitations left unanswered, and shifts coming up.

Run by the beat task ``staffing.tasks.send_reminders`` (every 15 minutes). Each
reminder has an idempotency key naming what it reminds of, and one election is
done at a time under a row lock on it: running the job twice, or two beat
processes at once, sends nothing twice.

- **Invitation reminder**: an invitation still unanswered N days after it was
  sent, and again every N days, at most K times, while it can still be answered
  (N and K per election; a role may set its own, 0 for none). A reminder the
  job could not send in time (beat stopped for days) is skipped, not sent late
  in a burst: the key is the reminder's number counted from the invitation.
- **Shift reminder**: D days before the shift, to everyone holding the seat,
  unless they took it within those D days (their confirmation is fresher) or the
  role has reminders turned off. Keyed on the shift's start: a shift moved to
  another time is reminded of again.
- **Morning SMS** (if the election wants it): at 6 in the morning on the day of
  the shift (or two hours before a shift starting earlier), by SMS to everyone
  holding the seat with a mobile number, whatever their preferred channel.

Every message holds a fresh personal link, in the volunteer's language; people
marked "do not contact" or reached by post only get none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from elections.models import Election
from notifications.models import Channel, Message, subject_of
from notifications.services import Draft, dispatch_on_commit, queue_messages
from staffing import messaging
from staffing.custom_texts import CustomTexts
from staffing.links import issue_links
from staffing.models import FILLED_STATUSES, Assignment

MORNING = time(6, 0)
MORNING_LEAD = timedelta(hours=2)  # a shift starting before 8: two hours before it


@dataclass
class Sent:
    """How many reminders of each kind one run queued."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _reachable(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return assignments.filter(
        volunteer__do_not_contact=False, volunteer__unreachable=False
    ).select_related("volunteer", "shift__election", "shift__role", "shift__station")


def _stored_keys(kind: str, assignments: list[Assignment]) -> set[str]:
    assignment_type, _unused = subject_of(Assignment(pk=0))
    return set(
        Message.objects.filter(
            subject_type=assignment_type,
            subject_id__in=[a.pk for a in assignments],
            kind=kind,
        ).values_list("idempotency_key", flat=True)
    )


def reminder_number(assignment: Assignment, now: datetime) -> int | None:
    """Which invitation reminder is due now (1, 2…), or None: the last one whose
    time has come, if the role's or election's settings allow that many and the
    invitation can still be answered after it."""
    role, election = assignment.shift.role, assignment.shift.election
    every = role.invitation_reminder_days
    if every is None:
        every = election.invitation_reminder_days
    most = role.invitation_reminders_max
    if most is None:
        most = election.invitation_reminders_max
    if not every or not most or assignment.invited_at is None:
        return None
    number = min(int((now - assignment.invited_at) / timedelta(days=every)), most)
    if number < 1 or messaging.respond_by(assignment) <= now:
        return None
    return number


def _invitation_reminders(election: Election, now: datetime) -> list[tuple[Assignment, str]]:
    open_ = _reachable(
        Assignment.objects.filter(
            shift__election=election,
            status=Assignment.Status.INVITED,
            awaiting_approval=False,  # the person said yes: the office is to answer
            shift__starts_at__gt=now,
        )
    )
    due = [(a, n) for a in open_ if (n := reminder_number(a, now)) is not None]
    stored = _stored_keys(messaging.INVITATION_REMINDER, [a for a, _n in due])
    keys = [(a, f"assignment:{a.pk}:invitation_reminder:{n}") for a, n in due]
    return [(a, key) for a, key in keys if key not in stored]


def _shift_reminders(election: Election, now: datetime) -> list[tuple[Assignment, str]]:
    if not election.shift_reminder_days:
        return []
    ahead = timedelta(days=election.shift_reminder_days)
    seats = _reachable(
        Assignment.objects.filter(
            shift__election=election,
            status__in=FILLED_STATUSES,
            shift__role__reminders_enabled=True,
            shift__starts_at__gt=now,
            shift__starts_at__lte=now + ahead,
        )
    )
    due = [a for a in seats if a.responded_at is None or a.responded_at < a.shift.starts_at - ahead]
    stored = _stored_keys(messaging.SHIFT_REMINDER, due)
    keys = [(a, f"assignment:{a.pk}:shift_reminder:{a.shift.starts_at:%Y%m%dT%H%M%z}") for a in due]
    return [(a, key) for a, key in keys if key not in stored]


def morning_time(starts_at: datetime) -> datetime:
    """When the morning SMS of a shift goes: 6:00 on its day, or two hours before
    a shift that starts before 8."""
    local = timezone.localtime(starts_at)
    six = datetime.combine(local.date(), MORNING, tzinfo=local.tzinfo)
    return min(six, starts_at - MORNING_LEAD)


def _morning_sms(election: Election, now: datetime) -> list[tuple[Assignment, str]]:
    if not election.shift_morning_sms:
        return []
    seats = _reachable(
        Assignment.objects.filter(
            shift__election=election,
            status__in=FILLED_STATUSES,
            shift__role__reminders_enabled=True,
            shift__starts_at__gt=now,
            shift__starts_at__lte=now + timedelta(days=1),
        ).exclude(volunteer__phone="")
    )
    due = [a for a in seats if morning_time(a.shift.starts_at) <= now]
    stored = _stored_keys(messaging.SHIFT_MORNING, due)
    keys = [
        (a, f"assignment:{a.pk}:shift_morning:{timezone.localdate(a.shift.starts_at)}") for a in due
    ]
    return [(a, key) for a, key in keys if key not in stored]


def _drafts(kind: str, due: list[tuple[Assignment, str]], channel: str = "") -> list[Draft]:
    tokens = issue_links([(a.volunteer, a.shift.election) for a, _key in due])
    shared: dict[tuple, dict[str, Any]] = {}
    texts = CustomTexts()
    return [
        messaging.draft_about(a, token, kind, key, channel=channel, shared=shared, texts=texts)
        for (a, key), token in zip(due, tokens, strict=True)
    ]


def remind_election(election_id: int, now: datetime | None = None) -> Sent:
    """Queue the reminders of one election that are due (dispatched on commit)."""
    now = now or timezone.now()
    sent = Sent()
    with transaction.atomic():
        # Two runs at once take turns here; the second finds the first's keys.
        election = Election.objects.select_for_update().filter(pk=election_id).first()
        if election is None or not election.is_active:
            return sent
        batches = [
            (messaging.INVITATION_REMINDER, _invitation_reminders(election, now), ""),
            (messaging.SHIFT_REMINDER, _shift_reminders(election, now), ""),
            (messaging.SHIFT_MORNING, _morning_sms(election, now), Channel.SMS),
        ]
        ids: list[int] = []
        for kind, due, channel in batches:
            queued = queue_messages(_drafts(kind, due, channel)) if due else []
            ids += [m.pk for m in queued]
            sent.add(kind, len(queued))
        dispatch_on_commit(ids)
    return sent


def send_reminders(now: datetime | None = None) -> Sent:
    """Every active election's due reminders, one election per transaction."""
    now = now or timezone.now()
    sent = Sent()
    active = Election.objects.filter(status=Election.Status.ACTIVE).order_by("pk")
    for election_id in active.values_list("pk", flat=True):
        for kind, n in remind_election(election_id, now).counts.items():
            sent.add(kind, n)
    return sent
