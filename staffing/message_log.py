"""The coordinator's message log: the outbox rows of one election, as far as the
user's scope reaches, with the seat and the person each one is about.

A message belongs to an election when it is about an assignment (its generic
subject, ``staffing.assignment``) on one of the election's shifts. Messages about
a volunteer themself (a reissued link) name no seat, so they are not in the log
(the volunteer's page shows them). The scope decides through the assignments:
``scope.filter(assignments, capability)``, so a station manager sees the
messages about their stations' seats and a team leader those about the team's.

A resend is a new message whose idempotency key is ``resend:<original id>``
(``staffing.services.resend``): the original and its resend find each other by
that key, with no column in the outbox for it.

Constant queries: the page's rows are read in one query, their assignments (with
volunteer, station and role) in one more; the delivery statistics are one
aggregate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.scopes import Capability, scope_of
from elections.models import Election
from notifications.models import Channel, Message
from staffing.access import require
from staffing.messaging import FALLBACK_PREFIX
from staffing.models import Assignment
from staffing.volunteer_timeline import ASSIGNMENT_TYPE, MESSAGE_KINDS, message_label
from volunteers import search
from volunteers.models import Volunteer

RESEND_PREFIX = "resend:"


def resend_key(message: Message | int) -> str:
    """The idempotency key of the resend of ``message``."""
    pk = message if isinstance(message, int) else message.pk
    return f"{RESEND_PREFIX}{pk}"


def resent_from_id(message: Message) -> int | None:
    """The id of the message this one resends, if it is a resend."""
    key = message.idempotency_key
    if key.startswith(RESEND_PREFIX) and key[len(RESEND_PREFIX) :].isdigit():
        return int(key[len(RESEND_PREFIX) :])
    return None


def election_assignments(
    user: User, election: Election, capability: str = Capability.VIEW_CONTACT
) -> QuerySet[Assignment]:
    """The election's assignments whose messages the user may see."""
    return scope_of(user).filter(Assignment.objects.filter(shift__election=election), capability)


def about(assignments: QuerySet[Assignment]) -> QuerySet[Message]:
    """The messages about ``assignments`` (a semi-join on the generic subject)."""
    return Message.objects.filter(
        subject_type=ASSIGNMENT_TYPE, subject_id__in=assignments.values("pk")
    )


def get_message_for_user(
    user: User, election: Election, message_id: int, capability: str = Capability.VIEW_CONTACT
) -> tuple[Message, Assignment]:
    """The access helper for one message of the log: outside the user's scope (for
    ``capability``) or not about a seat of ``election``, a 404. With the
    assignment it is about (its volunteer, shift, station, role and election)."""
    require(user, capability)
    message = about(election_assignments(user, election, capability)).filter(pk=message_id).first()
    if message is None:
        raise Http404
    assignment = Assignment.objects.select_related(
        "volunteer", "shift__station", "shift__role", "shift__election", "shift__team"
    ).get(pk=message.subject_id)
    return message, assignment


# --- filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The log's filters, as the form cleaned them (empty: no filter)."""

    kind: str = ""
    channel: str = ""
    status: str = ""
    q: str = ""
    volunteer: int | None = None
    day: date | None = None

    @property
    def narrowed(self) -> bool:
        return any((self.kind, self.channel, self.status, self.q, self.volunteer, self.day))


def _day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
    return start, start + timedelta(days=1)


def filtered(assignments: QuerySet[Assignment], filters: Filters) -> QuerySet[Message]:
    """The messages about ``assignments`` that pass ``filters``, newest first."""
    if filters.volunteer is not None:
        assignments = assignments.filter(volunteer_id=filters.volunteer)
    if filters.q:
        people = search.matching(Volunteer.objects.all(), filters.q)
        assignments = assignments.filter(volunteer__in=people.values("pk"))
    if filters.day is not None:
        start, end = _day_window(filters.day)
        assignments = assignments.filter(shift__starts_at__gte=start, shift__starts_at__lt=end)
    messages = about(assignments)
    if filters.kind:
        messages = messages.filter(kind=filters.kind)
    if filters.channel:
        messages = messages.filter(channel=filters.channel)
    if filters.status:
        messages = messages.filter(status=filters.status)
    return messages.order_by("-created_at", "-pk")


# --- rows -----------------------------------------------------------------------------------

ROW_FIELDS = (
    "created_at",
    "channel",
    "to",
    "kind",
    "status",
    "attempts",
    "last_error",
    "subject_type",
    "subject_id",
    "sent_at",
    "delivered_at",
)


@dataclass
class Row:
    message: Message
    assignment: Assignment | None

    @property
    def kind_label(self) -> str:
        return message_label(self.message.kind)


def rows(messages: Iterable[Message]) -> list[Row]:
    """The page's messages with their assignments: one query for all of them."""
    page = list(messages)
    ids = {m.subject_id for m in page if m.subject_type == ASSIGNMENT_TYPE}
    assignments = (
        Assignment.objects.filter(pk__in=ids)
        .select_related("volunteer", "shift__station", "shift__role")
        .only(
            "status",
            "volunteer__first_name",
            "volunteer__last_name",
            "volunteer__do_not_contact",
            "shift__starts_at",
            "shift__ends_at",
            "shift__station__name",
            "shift__role__name",
        )
        .in_bulk()
        if ids
        else {}
    )
    return [Row(m, assignments.get(m.subject_id)) for m in page]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, str(label)) for kind, label in MESSAGE_KINDS.items()]


# --- delivery statistics --------------------------------------------------------------------

STATUSES = [s for s, _label in Message.Status.choices]


@dataclass
class ChannelStats:
    channel: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def cells(self) -> list[int]:
        return [self.counts.get(s, 0) for s in STATUSES]


@dataclass
class Stats:
    channels: list[ChannelStats]
    # Messages sent on the other channel after one failed for good
    # (staffing.services.fallback), and the people no channel reached.
    fallbacks: int = 0
    unreachable: int = 0

    @property
    def total(self) -> ChannelStats:
        summed = ChannelStats("", "")
        for row in self.channels:
            for status, n in row.counts.items():
                summed.counts[status] = summed.counts.get(status, 0) + n
        return summed

    @property
    def empty(self) -> bool:
        return not any(row.total for row in self.channels)


def delivery_stats(
    messages: QuerySet[Message], assignments: QuerySet[Assignment] | None = None
) -> Stats:
    """Messages by channel and status and the fallbacks among them, in one
    aggregate query; with ``assignments``, one more for how many of their
    volunteers are reached by post only."""
    counts: dict[str, dict[str, int]] = {c: {} for c in Channel.values}
    fallbacks = 0
    grouped = (
        messages.order_by()
        .values("channel", "status")
        .annotate(
            n=Count("pk"),
            fallbacks=Count("pk", filter=Q(idempotency_key__startswith=FALLBACK_PREFIX)),
        )
    )
    for row in grouped:
        counts.setdefault(row["channel"], {})[row["status"]] = row["n"]
        fallbacks += row["fallbacks"]
    unreachable = 0
    if assignments is not None:
        unreachable = (
            Volunteer.objects.filter(
                unreachable=True, pk__in=assignments.order_by().values("volunteer_id")
            )
            .order_by()
            .count()
        )
    labels: dict[str, Any] = dict(Channel.choices)
    return Stats(
        [ChannelStats(c, str(labels.get(c, c)), counts[c]) for c in counts],
        fallbacks=fallbacks,
        unreachable=unreachable,
    )
