"""Retention: personal data an election no longer needs goes on schedule, and the
counts stay.

``RETENTION_DAYS_AFTER_CLOSE`` days (90) after an election closed (``closed_at``,
set when its status becomes closed; archiving keeps it, reopening clears it):

- decline reasons of its assignments are blanked;
- its messages (about its assignments, and its reissued links) keep channel,
  kind, language, status, attempts and dates, but not the recipient, subject,
  bodies, error text or provider reference; one still queued is cancelled first,
  one being sent is left for the next run;
- its personal links are deleted.

Volunteers with no assignment in an election still open (draft, active, or
closed less than N days ago) and no activity for ``RETENTION_INACTIVE_MONTHS``
(24) go too: someone who never held a seat is deleted; someone with assignment
history is anonymised in place (assignments point at them with PROTECT, and the
fill counts, rosters and answer statistics of past elections need those rows):
no name, contact, address, birth date, diet, notes, teams or skills, and
"do not contact", so nothing can ever be sent to them. Activity is the latest
of: the volunteer created or edited, any assignment's invitation, answer or
check-in, and any personal link issued or used (links of elections being
cleared here are about to go, so they do not count).

An election is cleared in one transaction, under its row lock (a reopening
waits for it); volunteers a batch of BATCH per transaction, their rows locked and
checked again (an invitation may have come in). Large updates and deletes go
BATCH rows at a time, so memory and statements stay small at national scale.
Each transaction writes its audit entry (actor: system) with counts, never the
data removed. A dry run computes the same counts and writes nothing. Running
again changes nothing more: what is done no longer matches.

The audit log itself is left to its own retention (``AUDIT_RETENTION_MONTHS``):
it is append-only evidence of who did what, and a log the system rewrites is no
evidence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import ActorKind, User
from accounts.retention import months_before
from elections.models import Election
from notifications.models import Message
from notifications.services import cancel_queued
from staffing.messaging import NEW_LINK
from staffing.models import Assignment, PersonalLink
from volunteers.models import Volunteer

log = logging.getLogger(__name__)

# Rows per UPDATE/DELETE and per volunteer transaction: bounded memory and
# statements at national scale (100,000 volunteers, 100,000 messages).
BATCH = 1000

# What retention leaves, language-neutral: the markers are how a later run (and
# a reader) knows the work is done, whatever the language of the run.
REMOVED = "[removed]"
MESSAGE_SCRUBBED = {
    "to": REMOVED,
    "subject": "",
    "body": REMOVED,
    "body_html": "",
    "last_error": "",
    "provider_id": "",
}
# The .invalid top-level domain never resolves (RFC 2606): the model needs an
# address for its channel, and this one can neither be delivered nor identify.
ANONYMISED_EMAIL = "anonymised@pollcrew.invalid"
ANONYMISED_BIRTH_DATE = date(1900, 1, 1)

CLOSED_STATUSES = (Election.Status.CLOSED, Election.Status.ARCHIVED)
ASSIGNMENT_TYPE = Assignment._meta.label_lower
VOLUNTEER_TYPE = Volunteer._meta.label_lower


# --- what is due ------------------------------------------------------------------------


def close_cutoff(now: datetime) -> datetime:
    """Elections closed at or before this are cleared."""
    return now - timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSE)


def inactive_cutoff(now: datetime) -> datetime:
    """Volunteers with no activity since this may go."""
    return months_before(now, settings.RETENTION_INACTIVE_MONTHS)


def _due(cutoff: datetime) -> Q:
    # An election closed before closed_at existed got one in its migration;
    # one without (written around the services) is treated as still open.
    return Q(status__in=CLOSED_STATUSES, closed_at__lte=cutoff)


def due_elections(now: datetime) -> QuerySet[Election]:
    """Elections closed at least N days ago: what they no longer need goes."""
    return Election.objects.filter(_due(close_cutoff(now))).order_by("closed_at", "pk")


def open_elections(now: datetime) -> QuerySet[Election]:
    """Draft, active, or closed less than N days ago: their people are kept."""
    return Election.objects.exclude(_due(close_cutoff(now)))


def _pending(messages: QuerySet[Message]) -> QuerySet[Message]:
    """Messages not yet emptied, and not in a worker's hands right now."""
    return messages.exclude(to=REMOVED).exclude(status=Message.Status.SENDING)


def _about_assignments(assignments: Any) -> Q:
    """Messages about these assignments (ids or a subquery of ids)."""
    return Q(subject_type=ASSIGNMENT_TYPE, subject_id__in=assignments)


def _reissued_links(election_ids: list[int]) -> Q:
    """Reissued-link messages for these elections: about the volunteer, with the
    election in the idempotency key (``volunteer:<id>:new_link:<election>:<time>``,
    staffing.messaging.queue_new_link)."""
    found = Q(pk__in=[])
    for pk in election_ids:
        found |= Q(
            subject_type=VOLUNTEER_TYPE,
            kind=NEW_LINK,
            idempotency_key__startswith="volunteer:",
            idempotency_key__contains=f":{NEW_LINK}:{pk}:",
        )
    return found


def _election_messages(election_ids: list[int]) -> Q:
    """Messages belonging to these elections: about one of their assignments, or a
    link reissued for one of them."""
    if not election_ids:
        return Q(pk__in=[])
    assignments = Assignment.objects.filter(shift__election__in=election_ids).values("pk")
    return _about_assignments(assignments) | _reissued_links(election_ids)


def _volunteer_messages(volunteers: Any, assignments: Any = None) -> Q:
    """Messages about these volunteers or their assignments (ids or subqueries)."""
    if assignments is None:
        assignments = Assignment.objects.filter(volunteer__in=volunteers).values("pk")
    return _about_assignments(assignments) | Q(
        subject_type=VOLUNTEER_TYPE, subject_id__in=volunteers
    )


def volunteers_due(now: datetime) -> QuerySet[Volunteer]:
    """Volunteers to anonymise (with assignment history) or delete (without):
    not anonymised yet, no assignment in an open election, no activity for M months."""
    since = inactive_cutoff(now)
    due_ids = due_elections(now).values("pk")
    volunteer = OuterRef("pk")
    in_open_election = Assignment.objects.filter(
        volunteer=volunteer, shift__election__in=open_elections(now).values("pk")
    )
    seen_on_a_seat = Assignment.objects.filter(volunteer=volunteer).filter(
        Q(invited_at__gte=since) | Q(responded_at__gte=since) | Q(checked_in_at__gte=since)
    )
    used_a_link = (
        PersonalLink.objects.filter(volunteer=volunteer)
        .exclude(election__in=due_ids)
        .filter(Q(created_at__gte=since) | Q(last_used_at__gte=since))
    )
    return (
        Volunteer.objects.exclude(email=ANONYMISED_EMAIL)
        .filter(created_at__lt=since, updated_at__lt=since)
        .filter(~Exists(in_open_election), ~Exists(seen_on_a_seat), ~Exists(used_a_link))
    )


def _has_history() -> Exists:
    return Exists(Assignment.objects.filter(volunteer=OuterRef("pk")))


# --- counts -------------------------------------------------------------------------------


@dataclass
class Counts:
    def __add__(self, other: Counts) -> Counts:
        return type(self)(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


@dataclass
class ElectionCounts(Counts):
    reasons: int = 0  # decline reasons blanked
    messages: int = 0  # messages emptied (recipient, subject, bodies)
    cancelled: int = 0  # of those, still queued and cancelled first
    links: int = 0  # personal links deleted


@dataclass
class VolunteerCounts(Counts):
    anonymised: int = 0
    deleted: int = 0
    messages: int = 0
    cancelled: int = 0
    links: int = 0


@dataclass
class ElectionResult:
    election_id: int
    name: str
    closed_at: datetime | None  # never None for a due election; typed as the field is
    counts: ElectionCounts


@dataclass
class RetentionReport:
    dry_run: bool
    now: datetime
    closed_before: datetime
    inactive_since: datetime
    elections: list[ElectionResult] = field(default_factory=list)
    volunteers: VolunteerCounts = field(default_factory=VolunteerCounts)

    @property
    def changed(self) -> bool:
        return self.volunteers.any or any(e.counts.any for e in self.elections)

    def totals(self) -> dict[str, int]:
        elections = sum((e.counts for e in self.elections), ElectionCounts())
        return {
            "decline_reasons": elections.reasons,
            "messages": elections.messages + self.volunteers.messages,
            "cancelled": elections.cancelled + self.volunteers.cancelled,
            "links": elections.links + self.volunteers.links,
            "volunteers_anonymised": self.volunteers.anonymised,
            "volunteers_deleted": self.volunteers.deleted,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe (the beat task's result)."""
        return {
            "dry_run": self.dry_run,
            "now": self.now.isoformat(),
            "closed_before": self.closed_before.isoformat(),
            "inactive_since": self.inactive_since.isoformat(),
            "elections": [
                {
                    "id": e.election_id,
                    "name": e.name,
                    "closed_at": e.closed_at.isoformat() if e.closed_at else None,
                    **asdict(e.counts),
                }
                for e in self.elections
            ],
            "volunteers": asdict(self.volunteers),
            "totals": self.totals(),
        }


# --- batches --------------------------------------------------------------------------------


def _in_batches(queryset: QuerySet[Any], action: Callable[[list[int]], int]) -> int:
    """Apply ``action`` to the ids of ``queryset``, BATCH at a time, in id order
    (a cursor, so a row the action leaves matching is not taken again)."""
    done, last = 0, 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return done
        done += action(ids)
        last = ids[-1]


def _id_windows(model: type[models.Model], start: int | None) -> Iterator[tuple[int, int]]:
    """Id ranges of BATCH ids from ``start`` (None: nothing to do) to the end of
    the table: a window is cheap to examine (the database looks at its rows
    only), and a row changed in one is not met again."""
    if start is None:
        return
    high = model._default_manager.aggregate(high=Max("pk"))["high"] or start
    for low in range(start, high + 1, BATCH):
        yield low, low + BATCH


def _empty_messages(pending: QuerySet[Message]) -> tuple[int, int]:
    """Empty the messages (cancelling queued ones first, through the outbox's own
    service). Returns (emptied, cancelled)."""
    cancelled = 0

    def empty(ids: list[int]) -> int:
        nonlocal cancelled
        queued = list(
            Message.objects.filter(pk__in=ids, status=Message.Status.QUEUED).values_list(
                "pk", flat=True
            )
        )
        if queued:
            cancelled += cancel_queued(queued)
        return (
            Message.objects.filter(pk__in=ids)
            .exclude(status__in=[Message.Status.SENDING, Message.Status.QUEUED])
            .update(**MESSAGE_SCRUBBED)
        )

    return _in_batches(pending, empty), cancelled


def _delete(model: type[models.Model]) -> Callable[[list[int]], int]:
    def delete(ids: list[int]) -> int:
        return model.objects.filter(pk__in=ids).delete()[1].get(model._meta.label, 0)

    return delete


# --- elections ------------------------------------------------------------------------------


def _election_work(
    election: Election,
) -> tuple[QuerySet[Assignment], QuerySet[Message], QuerySet[PersonalLink]]:
    reasons = Assignment.objects.filter(shift__election=election).exclude(reason="")
    messages = _pending(Message.objects.filter(_election_messages([election.pk])))
    links = PersonalLink.objects.filter(election=election)
    return reasons, messages, links


def _count_election(election: Election) -> ElectionCounts:
    reasons, messages, links = _election_work(election)
    return ElectionCounts(
        reasons=reasons.count(),
        messages=messages.count(),
        cancelled=messages.filter(status=Message.Status.QUEUED).count(),
        links=links.count(),
    )


def _clear_election(election_id: int, cutoff: datetime, by: User | None) -> ElectionResult | None:
    """One election in one transaction, under its row lock (a reopening waits;
    an election reopened meanwhile is no longer due and is skipped)."""
    with transaction.atomic():
        election = Election.objects.select_for_update().filter(_due(cutoff), pk=election_id).first()
        if election is None:
            return None
        reasons, _messages, links = _election_work(election)
        counts = ElectionCounts()
        counts.reasons = _in_batches(
            reasons, lambda ids: Assignment.objects.filter(pk__in=ids).update(reason="")
        )

        def empty(messages: QuerySet[Message]) -> int:
            emptied, cancelled = _empty_messages(_pending(messages))
            counts.cancelled += cancelled
            return emptied

        # Messages a batch of assignments at a time: each batch is found through
        # the subject index, whatever the size of the outbox.
        counts.messages = _in_batches(
            Assignment.objects.filter(shift__election=election),
            lambda ids: empty(Message.objects.filter(_about_assignments(ids))),
        ) + empty(Message.objects.filter(_reissued_links([election.pk])))
        counts.links = _in_batches(links, _delete(PersonalLink))
        if counts.any:
            audit.record(
                "staffing.retention_election",
                election,
                by=by,
                actor=ActorKind.SYSTEM,
                election_id=election.pk,
                detail={
                    **asdict(counts),
                    "closed_at": election.closed_at,
                    "days_after_close": settings.RETENTION_DAYS_AFTER_CLOSE,
                },
            )
    return ElectionResult(election.pk, str(election), election.closed_at, counts)


# --- volunteers -----------------------------------------------------------------------------


def _anonymous() -> dict[str, Any]:
    # The readable part in the deployment's language (rosters, the admin); the
    # marker that says "done" is the address, which does not depend on it.
    with translation.override(settings.LANGUAGE_CODE):
        name = _("Anonymised")
    return {
        "first_name": "",
        "last_name": name,
        "email": ANONYMISED_EMAIL,
        "phone": "",
        "birth_date": ANONYMISED_BIRTH_DATE,
        "address": "",
        "postal_code": "",
        "city": "",
        "language": Volunteer._meta.get_field("language").get_default(),
        "preferred_channel": Volunteer.Channel.EMAIL,
        "diet": "",
        "do_not_contact": True,
        "notes": "",
    }


def _count_volunteers(now: datetime) -> VolunteerCounts:
    due = volunteers_due(now)
    ids = due.values("pk")
    due_election_ids = list(due_elections(now).values_list("pk", flat=True))
    # What the elections' own step takes first is not counted twice.
    messages = _pending(Message.objects.filter(_volunteer_messages(ids))).exclude(
        _election_messages(due_election_ids)
    )
    return VolunteerCounts(
        anonymised=due.filter(_has_history()).count(),
        deleted=due.filter(~_has_history()).count(),
        messages=messages.count(),
        cancelled=messages.filter(status=Message.Status.QUEUED).count(),
        links=PersonalLink.objects.filter(volunteer__in=ids)
        .exclude(election__in=due_election_ids)
        .count(),
    )


def _clear_volunteers(ids: list[int], now: datetime, by: User | None) -> VolunteerCounts:
    """One batch in one transaction: lock the rows, check again under the lock
    (an invitation may have come in meanwhile), then anonymise or delete."""
    counts = VolunteerCounts()
    with transaction.atomic():
        locked = list(
            Volunteer.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        everyone = list(
            volunteers_due(now).filter(pk__in=locked).order_by("pk").values_list("pk", flat=True)
        )
        if not everyone:
            return counts
        # Their assignments, as ids: found through the indexes, as are their messages.
        seats = dict(
            Assignment.objects.filter(volunteer__in=everyone).values_list("pk", "volunteer_id")
        )
        history = set(seats.values())
        anonymise = [pk for pk in everyone if pk in history]
        delete = [pk for pk in everyone if pk not in history]
        counts.messages, counts.cancelled = _empty_messages(
            _pending(Message.objects.filter(_volunteer_messages(everyone, list(seats))))
        )
        counts.links = (
            PersonalLink.objects.filter(volunteer__in=everyone)
            .delete()[1]
            .get(PersonalLink._meta.label, 0)
        )
        if anonymise:
            counts.anonymised = Volunteer.objects.filter(pk__in=anonymise).update(**_anonymous())
            Volunteer.teams.through.objects.filter(volunteer_id__in=anonymise).delete()
            Volunteer.skills.through.objects.filter(volunteer_id__in=anonymise).delete()
        if delete:
            counts.deleted = _delete(Volunteer)(delete)
        audit.record(
            "staffing.retention_volunteers",
            by=by,
            actor=ActorKind.SYSTEM,
            detail={
                **asdict(counts),
                "inactive_since": inactive_cutoff(now),
                "inactive_months": settings.RETENTION_INACTIVE_MONTHS,
            },
        )
    return counts


# --- the whole run --------------------------------------------------------------------------


def apply_retention(
    *, by: User | None = None, dry_run: bool = False, now: datetime | None = None
) -> RetentionReport:
    """Clear every due election, then every due volunteer. With ``dry_run``,
    count what would go and write nothing (no audit entry either)."""
    now = now or timezone.now()
    report = RetentionReport(
        dry_run=dry_run,
        now=now,
        closed_before=close_cutoff(now),
        inactive_since=inactive_cutoff(now),
    )
    for election in due_elections(now):
        if dry_run:
            result: ElectionResult | None = ElectionResult(
                election.pk, str(election), election.closed_at, _count_election(election)
            )
        elif any(work.exists() for work in _election_work(election)):
            result = _clear_election(election.pk, report.closed_before, by)
        else:
            result = None  # cleared on an earlier run
        if result is not None and result.counts.any:
            report.elections.append(result)

    if dry_run:
        report.volunteers = _count_volunteers(now)
    else:
        first = volunteers_due(now).order_by("pk").values_list("pk", flat=True).first()
        for low, high in _id_windows(Volunteer, first):
            window = volunteers_due(now).filter(pk__gte=low, pk__lt=high).order_by()
            ids = list(window.values_list("pk", flat=True))
            if ids:
                report.volunteers = report.volunteers + _clear_volunteers(ids, now, by)

    if report.changed and not dry_run:
        log.info("retention applied: %s", report.totals())
    return report
