"""Group messages, write side: saving a draft, sending it, and the job that
queues its messages (``staffing.tasks.queue_group_message``).

Sending only stores the counts the coordinator confirmed and dispatches the job
on commit, so 10,000 recipients do not hold up the request. The job works a
chunk of people at a time (``CHUNK``), each chunk one transaction: their
personal links in one INSERT (only if the text has ``{link}``), their messages
in one INSERT through the outbox (each keyed ``group:<id>:<volunteer id>``), a
``GroupRecipient`` row per person and the group's progress; the messages are
dispatched when the chunk commits. A job that stops, or a redelivered one, goes
on with the people who have no row yet: nobody gets the message twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from elections.models import Election
from notifications.models import Message, subject_of
from notifications.services import Draft, dispatch_on_commit, queue_messages
from pollcrew.refusals import Refused
from staffing import group_messages as groups
from staffing import rules
from staffing.links import issue_links, link_url
from staffing.models import Assignment, GroupMessage, GroupRecipient

log = logging.getLogger(__name__)

Status = GroupMessage.Status
CHUNK = 500
# A queued or sending group with no progress for this long has lost its job (a
# worker died, the broker lost the task): sending again dispatches it again.
# A second job on the same group is harmless.
STALLED_AFTER = timedelta(minutes=2)


def stalled(group: GroupMessage, now: datetime | None = None) -> bool:
    if group.status not in (Status.QUEUED, Status.SENDING):
        return False
    return group.updated_at < (now or timezone.now()) - STALLED_AFTER


def message_key(group: GroupMessage | int, volunteer_id: int) -> str:
    pk = group if isinstance(group, int) else group.pk
    return f"group:{pk}:{volunteer_id}"


def save_draft(
    election: Election,
    *,
    filters: groups.Filters,
    subject: str,
    body: str,
    by: User | None,
    group: GroupMessage | None = None,
) -> GroupMessage:
    """A new draft, or ``group`` changed (only while it is a draft)."""
    with transaction.atomic():
        if group is None:
            group = GroupMessage(election=election, created_by=by)
            action = "staffing.group_message_draft"
        else:
            group = GroupMessage.objects.select_for_update().get(pk=group.pk)
            if group.status != Status.DRAFT:
                raise Refused(
                    "already_sent", _("This message has been sent: it cannot be changed.")
                )
            action = "staffing.group_message_change"
        group.filters = filters.as_json()
        group.subject = subject
        group.body = body
        group.full_clean()
        group.save()
        audit.record(action, group, by=by, election_id=election.pk, detail={"group": group.pk})
    return group


def send_group_message(group: GroupMessage, *, by: User | None) -> GroupMessage:
    """Send a draft: store who it reaches now (people, SMS, emails, no address)
    and queue the job. A group that was sent already is returned as it is (a
    second click on the button sends nothing more), its job dispatched again if
    it has stalled."""
    with transaction.atomic():
        group = GroupMessage.objects.select_for_update().select_related("election").get(pk=group.pk)
        if group.status != Status.DRAFT:
            if stalled(group):
                group.save(update_fields=["updated_at"])
                audit.record(
                    "staffing.group_message_resume",
                    group,
                    by=by,
                    election_id=group.election_id,
                    detail={"group": group.pk, "queued": group.queued},
                )
                _dispatch(group.pk)
            return group
        rules.check_election_active(group.election)
        counts = groups.count(groups.group_seats(group))
        if not counts.people:
            raise Refused("nobody", _("Nobody holds a seat that matches the filter."))
        group.status = Status.QUEUED
        group.recipients, group.sms, group.email = counts.people, counts.sms, counts.email
        group.no_address = counts.no_address
        group.sent_by, group.sent_at = by, timezone.now()
        group.save()
        audit.record(
            "staffing.group_message_send",
            group,
            by=by,
            election_id=group.election_id,
            detail={
                "group": group.pk,
                "filters": group.filters,
                "people": counts.people,
                "sms": counts.sms,
                "email": counts.email,
                "no_address": counts.no_address,
            },
        )
        _dispatch(group.pk)
    return group


def _dispatch(group_id: int) -> None:
    from staffing.tasks import queue_group_message  # the task module imports the services

    transaction.on_commit(lambda: queue_group_message.delay(group_id))


# --- the job ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    volunteer_id: int
    assignment_id: int
    channel: str  # "" for no address


def plan(group: GroupMessage) -> list[Planned]:
    """Everyone the group is for, once, with their earliest seat: one query."""
    rows = (
        groups.group_seats(group)
        .order_by("volunteer_id", "shift__starts_at", "pk")
        .values_list(
            "volunteer_id",
            "pk",
            "volunteer__preferred_channel",
            "volunteer__unreachable",
            "volunteer__email",
            "volunteer__phone",
        )
    )
    planned: dict[int, Planned] = {}
    for volunteer_id, assignment_id, channel, unreachable, email, phone in rows:
        if volunteer_id in planned:
            continue
        address = phone if channel == "sms" else email
        reachable = not unreachable and bool(address)
        planned[volunteer_id] = Planned(volunteer_id, assignment_id, channel if reachable else "")
    return list(planned.values())


class _Stop(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _claim(group_id: int) -> GroupMessage | None:
    with transaction.atomic():
        group = GroupMessage.objects.select_for_update().filter(pk=group_id).first()
        if group is None or group.finished or group.status == Status.DRAFT:
            return None
        if group.status == Status.QUEUED:
            group.status = Status.SENDING
            group.started_at = group.started_at or timezone.now()
            group.save(update_fields=["status", "started_at", "updated_at"])
        return group


def _fail(group_id: int, message: str) -> None:
    now = timezone.now()
    GroupMessage.objects.filter(pk=group_id, status__in=[Status.QUEUED, Status.SENDING]).update(
        status=Status.FAILED, error=message, finished_at=now, updated_at=now
    )


def process(group_id: int, *, chunk_size: int | None = None) -> GroupMessage | None:
    """The job: queue the group's messages a chunk at a time (``CHUNK`` people)
    until everyone has been handled. Returns the group as it ended (None: nothing to do)."""
    chunk_size = chunk_size or CHUNK
    group = _claim(group_id)
    if group is None:
        return None
    try:
        work = plan(group)
        for start in range(0, len(work), chunk_size):
            if not _chunk(group_id, work[start : start + chunk_size]):
                break
        else:
            _finish(group_id)
    except (_Stop, Refused) as stop:
        _fail(group_id, stop.message)
    except Exception:
        log.exception("group message %s stopped by an error", group_id)
        _fail(group_id, _("Stopped by an error."))
    return GroupMessage.objects.get(pk=group_id)


def _finish(group_id: int) -> None:
    now = timezone.now()
    GroupMessage.objects.filter(pk=group_id, status=Status.SENDING).update(
        status=Status.DONE, finished_at=now, updated_at=now
    )


_SEAT_RELATED = ("volunteer", "shift__election", "shift__station", "shift__role")


def _chunk(group_id: int, batch: list[Planned]) -> bool:
    """One transaction: the people of ``batch`` who have no row yet (a job
    before this one may have handled some), their messages and rows, and the
    group's progress. A fixed number of queries whatever the batch's size.
    Returns whether to go on (False: the group was stopped or finished meanwhile)."""
    with transaction.atomic():
        group = GroupMessage.objects.select_for_update().select_related("election").get(pk=group_id)
        if group.status != Status.SENDING:
            return False
        if not group.election.is_active:
            raise _Stop(rules.not_active_reason(group.election))
        handled = set(
            group.rows.filter(volunteer_id__in=[p.volunteer_id for p in batch]).values_list(
                "volunteer_id", flat=True
            )
        )
        todo = [p for p in batch if p.volunteer_id not in handled]
        if not todo:
            return True
        reached = [p for p in todo if p.channel]
        seats = (
            Assignment.objects.filter(pk__in=[p.assignment_id for p in reached])
            .select_related(*_SEAT_RELATED)
            .in_bulk()
        )
        keys = {p.volunteer_id: message_key(group_id, p.volunteer_id) for p in reached}
        stored = dict(
            Message.objects.filter(idempotency_key__in=list(keys.values())).values_list(
                "idempotency_key", "pk"
            )
        )
        fresh = [p for p in reached if keys[p.volunteer_id] not in stored]
        queued = _queue(group, fresh, seats, keys)
        ids = {**stored, **{m.idempotency_key: m.pk for m in queued}}
        GroupRecipient.objects.bulk_create(
            [
                GroupRecipient(
                    group=group,
                    volunteer_id=p.volunteer_id,
                    assignment_id=p.assignment_id,
                    channel=p.channel,
                    message_id=ids.get(keys[p.volunteer_id]) if p.channel else None,
                )
                for p in todo
            ]
        )
        group.queued += len(queued)
        group.save(update_fields=["queued", "updated_at"])
        dispatch_on_commit([m.pk for m in queued])
        return True


def _queue(
    group: GroupMessage, people: list[Planned], seats: dict[int, Assignment], keys: dict[int, str]
) -> list[Message]:
    """The messages for ``people`` (each on their channel, about their seat) in
    one INSERT, with personal links in one more if the text has ``{link}``."""
    if not people:
        return []
    with_link = groups.uses_link(group.subject, group.body)
    tokens = (
        issue_links([(seats[p.assignment_id].volunteer, group.election) for p in people])
        if with_link
        else [""] * len(people)
    )
    when_cache: dict = {}
    drafts = []
    for person, token in zip(people, tokens, strict=True):
        seat = seats[person.assignment_id]
        values = groups.values_for(seat, link_url(token) if token else "", when_cache)
        drafts.append(
            Draft(
                person.channel,
                seat.volunteer.address_on(person.channel),
                groups.KIND,
                seat.volunteer.language,
                groups.context_for(group, values),
                keys[person.volunteer_id],
                *subject_of(seat),
            )
        )
    return queue_messages(drafts)
