"""Group messages, read side: who a filter reaches, the placeholders of the text,
the preview for one real recipient with the SMS cost, and the result of a sent one.

Recipients are the volunteers holding (or invited to, as the status filter says)
seats in the election that match the filters, each once: a person with two
seats gets one message, about their earliest seat. People marked "do not
contact" are left out altogether; people reached by post only (or with no
address on their channel) are counted as "no address" and get nothing.

The text is the coordinator's plain text with a small fixed set of placeholders
(``{first_name}``…), filled in here for each person before the message
templates (``templates/emails/group_message.*``, ``templates/sms/group_message.txt``)
wrap it: the coordinator's text is never a template itself, and the HTML email
escapes it.

Writes (drafts, sending, the job) are in ``staffing.services.group_messages``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import organisation
from accounts.models import User
from accounts.scopes import Capability
from elections.models import Election, Role, Shift
from notifications import gsm
from notifications.models import Channel, Message
from notifications.rendering import Rendered, render_message
from notifications.templating import fill, syntax_errors
from polling_stations.models import Area, PollingStation
from staffing import access
from staffing.links import TOKEN_BYTES, link_url
from staffing.models import Assignment, GroupMessage
from volunteers.models import Team, Volunteer

KIND = "group_message"
# Who may write to a group: those who manage the election's seats.
NEED = Capability.MANAGE

# --- placeholders ---------------------------------------------------------------------------

PLACEHOLDERS: dict[str, Any] = {
    "first_name": gettext_lazy("The person's first name"),
    "election": gettext_lazy("The election's name"),
    "role": gettext_lazy("The role of their seat"),
    "station": gettext_lazy("The polling station of their seat"),
    "station_address": gettext_lazy("The polling station's address"),
    "when": gettext_lazy("The day and times of their seat"),
    "link": gettext_lazy("Their personal link (made for each person when sending)"),
}


def placeholder_errors(text: str) -> list[str]:
    """What is wrong with the placeholders of ``text`` (nothing: an empty list)."""
    return syntax_errors(text, PLACEHOLDERS)


def uses_link(*texts: str) -> bool:
    return any("{link}" in text for text in texts)


# --- filters ---------------------------------------------------------------------------------

STATUSES = (
    Assignment.Status.INVITED,
    Assignment.Status.ACCEPTED,
    Assignment.Status.CHECKED_IN,
)


@dataclass(frozen=True)
class Filters:
    """Which seats of the election the message is for (empty: no filter)."""

    area: int | None = None
    station: int | None = None
    role: int | None = None
    team: int | None = None
    day: date | None = None
    statuses: tuple[str, ...] = tuple(STATUSES)

    def as_json(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "station": self.station,
            "role": self.role,
            "team": self.team,
            "day": self.day.isoformat() if self.day else None,
            "statuses": list(self.statuses),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Filters:
        day = data.get("day")
        statuses = tuple(s for s in data.get("statuses") or STATUSES if s in STATUSES)
        return cls(
            area=data.get("area"),
            station=data.get("station"),
            role=data.get("role"),
            team=data.get("team"),
            day=date.fromisoformat(day) if day else None,
            statuses=statuses or tuple(STATUSES),
        )

    def shifts(self, shifts: QuerySet[Shift]) -> QuerySet[Shift]:
        if self.area:
            shifts = shifts.filter(station__area_id=self.area)
        if self.station:
            shifts = shifts.filter(station_id=self.station)
        if self.role:
            shifts = shifts.filter(role_id=self.role)
        if self.team:
            shifts = shifts.filter(team_id=self.team)
        if self.day:
            shifts = shifts.on_day(self.day)
        return shifts


def seats(election: Election, filters: Filters) -> QuerySet[Assignment]:
    """The seats the filter covers whose holders may be contacted."""
    shifts = filters.shifts(Shift.objects.filter(election=election))
    return Assignment.objects.filter(
        shift__in=shifts.values("pk"),
        status__in=filters.statuses,
        volunteer__do_not_contact=False,
    )


def describe(filters: Filters) -> list[str]:
    """The filter in words ("Area: Nord", …): a query per kind of filter set."""
    parts = []
    for label, model, pk in (
        (_("Area"), Area, filters.area),
        (_("Polling station"), PollingStation, filters.station),
        (_("Role"), Role, filters.role),
        (_("Team"), Team, filters.team),
    ):
        if pk:
            name = model.objects.filter(pk=pk).values_list("name", flat=True).first()
            parts.append(f"{label}: {name or '?'}")
    if filters.day:
        parts.append(f"{_('Day')}: {formats.date_format(filters.day, 'DATE_FORMAT')}")
    labels = dict(Assignment.Status.choices)
    states = ", ".join(str(labels[s]).lower() for s in filters.statuses)
    parts.append(_("Seats that are %(states)s") % {"states": states})
    return parts


def group_seats(group: GroupMessage) -> QuerySet[Assignment]:
    return seats(group.election, Filters.from_json(group.filters))


def _reachable_by(channel: str) -> Q:
    address = "phone" if channel == Channel.SMS else "email"
    return Q(preferred_channel=channel, unreachable=False) & ~Q(**{address: ""})


@dataclass(frozen=True)
class Counts:
    people: int = 0
    sms: int = 0
    email: int = 0

    @property
    def no_address(self) -> int:
        return self.people - self.sms - self.email


def count(assignments: QuerySet[Assignment]) -> Counts:
    """People, SMS and emails for these seats, each person once: one query."""
    people = Volunteer.objects.filter(pk__in=assignments.values("volunteer_id")).order_by()
    totals = people.aggregate(
        people=Count("pk"),
        sms=Count("pk", filter=_reachable_by(Channel.SMS)),
        email=Count("pk", filter=_reachable_by(Channel.EMAIL)),
    )
    return Counts(**totals)


def channel_of(volunteer: Volunteer) -> str:
    """The channel a group message goes on, or "" for no address."""
    channel = volunteer.preferred_channel
    if volunteer.unreachable or not volunteer.address_on(channel):
        return ""
    return channel


# --- what each person reads ------------------------------------------------------------------


def _when(shift: Shift, language: str) -> str:
    with translation.override(language):
        text = render_to_string(
            "emails/_when.txt",
            {
                "starts_at": timezone.localtime(shift.starts_at),
                "ends_at": timezone.localtime(shift.ends_at),
            },
        )
    return " ".join(text.split())


def values_for(assignment: Assignment, link: str, when_cache: dict | None = None) -> dict[str, str]:
    """The placeholders' values for the person holding ``assignment``."""
    shift = assignment.shift
    language = assignment.volunteer.language
    key = (shift.pk, language)
    cache = when_cache if when_cache is not None else {}
    if key not in cache:
        cache[key] = _when(shift, language)
    return {
        "first_name": assignment.volunteer.first_name,
        "election": shift.election.name,
        "role": shift.role.name,
        "station": shift.station.name,
        "station_address": shift.station.full_address,
        "when": cache[key],
        "link": link,
    }


def context_for(group: GroupMessage, values: dict[str, str]) -> dict[str, Any]:
    """The message templates' context: the coordinator's text filled in for one person."""
    return {
        "subject": fill(group.subject, values),
        "body": fill(group.body, values),
        "municipality": organisation.current().name,
    }


# --- preview ---------------------------------------------------------------------------------

# The preview shows a link of the real length (what the SMS counts), not a real link:
# links are made for each person when the message is sent.
SAMPLE_TOKEN = ("personal-link-" * 4)[: -(-TOKEN_BYTES * 4 // 3)]  # 43 characters, as a token


@dataclass(frozen=True)
class SmsCost:
    characters: int = 0
    unicode: bool = False
    segments: int = 0  # for the sample
    total_segments: int = 0  # for every SMS of the group

    @property
    def encoding(self) -> str:
        return "UCS-2" if self.unicode else "GSM-7"


@dataclass
class Preview:
    counts: Counts
    assignment: Assignment | None = None
    channel: str = ""
    email: Rendered | None = None
    sms: str = ""
    cost: SmsCost = field(default_factory=SmsCost)


def first_recipient(assignments: QuerySet[Assignment]) -> Assignment | None:
    """The first person by name (Danish order) that the message reaches, with
    their earliest seat; anyone, if nobody has an address."""
    people = Volunteer.objects.filter(pk__in=assignments.values("volunteer_id"))
    first = (
        people.filter(_reachable_by(Channel.SMS) | _reachable_by(Channel.EMAIL))
        .order_by("sort_name", "pk")
        .values_list("pk", flat=True)
        .first()
    ) or people.order_by("sort_name", "pk").values_list("pk", flat=True).first()
    if first is None:
        return None
    return (
        assignments.filter(volunteer_id=first)
        .select_related("volunteer", "shift__election", "shift__station", "shift__role")
        .order_by("shift__starts_at", "pk")
        .first()
    )


def _sms_frame(group: GroupMessage, language: str) -> tuple[str, str]:
    """The SMS template around the text (the municipality's name), as text before
    and after it, so that many texts are costed without rendering each one."""
    marker = "\x00BODY\x00"
    rendered = render_message(
        KIND, Channel.SMS, language, {"subject": "", "body": marker, **_org()}
    ).body
    before, _sep, after = rendered.partition(marker)
    return before, after


def _org() -> dict[str, str]:
    return {"municipality": organisation.current().name}


def _segments(text: str) -> tuple[str, int]:
    sms = gsm.to_gsm7(text.strip())
    return sms, gsm.segments(sms)


def total_sms_segments(group: GroupMessage, assignments: QuerySet[Assignment]) -> int:
    """The segments of every SMS the group would send: each person's text filled
    in and costed (one query; the same text is costed once)."""
    rows = (
        assignments.filter(
            volunteer__in=Volunteer.objects.filter(_reachable_by(Channel.SMS)).values("pk")
        )
        .select_related("volunteer", "shift__election", "shift__station", "shift__role")
        .only(
            "volunteer__first_name",
            "volunteer__language",
            "shift__starts_at",
            "shift__ends_at",
            "shift__election__name",
            "shift__role__name",
            "shift__station__name",
            "shift__station__address",
            "shift__station__postal_code",
            "shift__station__city",
        )
        .order_by("volunteer_id", "shift__starts_at", "pk")
    )
    link = link_url(SAMPLE_TOKEN)
    frames: dict[str, tuple[str, str]] = {}
    costs: dict[str, int] = {}
    when_cache: dict = {}
    seen: set[int] = set()
    total = 0
    for seat in rows:
        if seat.volunteer_id in seen:
            continue
        seen.add(seat.volunteer_id)
        language = seat.volunteer.language
        if language not in frames:
            frames[language] = _sms_frame(group, language)
        before, after = frames[language]
        text = before + fill(group.body, values_for(seat, link, when_cache)) + after
        if text not in costs:
            costs[text] = _segments(text)[1]
        total += costs[text]
    return total


def preview(group: GroupMessage) -> Preview:
    """The group's counts, and its message as the first recipient by name would
    get it: the email, and the SMS with its characters, encoding and segments."""
    assignments = group_seats(group)
    counts = count(assignments)
    seat = first_recipient(assignments)
    if seat is None:
        return Preview(counts)
    volunteer = seat.volunteer
    context = context_for(group, values_for(seat, link_url(SAMPLE_TOKEN)))
    email = render_message(KIND, Channel.EMAIL, volunteer.language, context)
    sms = render_message(KIND, Channel.SMS, volunteer.language, context).body
    cost = SmsCost(
        characters=len(sms),
        unicode=not gsm.is_gsm7(sms),
        segments=gsm.segments(sms),
        total_segments=total_sms_segments(group, assignments) if counts.sms else 0,
    )
    return Preview(counts, seat, channel_of(volunteer), email, sms, cost)


# --- access and results ----------------------------------------------------------------------


def get_group_message_for_user(user: User, election_id: int, group_id: int) -> GroupMessage:
    """The access helper for a group message: its election managed by the user
    (``NEED``), else the uniform 404."""
    election = access.get_election_for_user(user, election_id, NEED)
    group = (
        GroupMessage.objects.select_related("sent_by")
        .filter(pk=group_id, election=election)
        .first()
    )
    if group is None:
        raise Http404
    group.election = election
    return group


@dataclass(frozen=True)
class Result:
    """What became of a group's messages, from the outbox."""

    sent: int = 0  # sent or delivered
    delivered: int = 0
    failed: int = 0
    waiting: int = 0  # queued or being sent
    cancelled: int = 0


_SENT = (Message.Status.SENT, Message.Status.DELIVERED)
_WAITING = (Message.Status.QUEUED, Message.Status.SENDING)


def result(group: GroupMessage) -> Result:
    """The group's messages by state: one aggregate query."""
    if group.status == GroupMessage.Status.DRAFT:
        return Result()
    status = "message__status"
    totals = group.rows.filter(message__isnull=False).aggregate(
        sent=Count("pk", filter=Q(**{f"{status}__in": _SENT})),
        delivered=Count("pk", filter=Q(**{status: Message.Status.DELIVERED})),
        failed=Count("pk", filter=Q(**{status: Message.Status.FAILED})),
        waiting=Count("pk", filter=Q(**{f"{status}__in": _WAITING})),
        cancelled=Count("pk", filter=Q(**{status: Message.Status.CANCELLED})),
    )
    return Result(**totals)


def latest(election: Election, limit: int = 20) -> QuerySet[GroupMessage]:
    return GroupMessage.objects.filter(election=election).order_by("-created_at", "-pk")[:limit]
