"""A volunteer's history, newest first: invitations and answers (from their
assignments), the messages sent to them with their delivery status (the outbox:
messages about their assignments, and about the volunteer, such as a reissued
link), and what staff did (the audit log: entries about the volunteer, about
records merged into them, and about their assignments). Reads of personal data
are not shown.

An invitation or answer and its audit entry are one event: the entry says who
did it (a staff user, or the volunteer on their own link).

Constant queries: the caller passes the assignments it shows; this adds one
query for merged ids, one for messages and one for audit entries, each capped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AuditEntry
from notifications.models import Message
from staffing.models import Assignment
from staffing.services.merge import merged_ids
from volunteers.models import Volunteer

MAX_MESSAGES = 200
MAX_AUDIT = 200
ASSIGNMENT_TYPE = "staffing.assignment"
VOLUNTEER_TYPE = "volunteers.volunteer"

# Audit actions, as people read them (others show their code).
ACTION_LABELS = {
    "volunteers.create_volunteer": gettext_lazy("Record created"),
    "volunteers.update_volunteer": gettext_lazy("Record changed"),
    "volunteers.merged_into": gettext_lazy("Merged into another record"),
    "staffing.merge_volunteers": gettext_lazy("Another record merged into this one"),
    "staffing.merge_move": gettext_lazy("Seat moved here from a merged record"),
    "staffing.merge_drop": gettext_lazy("Duplicate seat removed when merging"),
    "staffing.invite": gettext_lazy("Invited"),
    "staffing.assign": gettext_lazy("Given the seat directly"),
    "staffing.accept": gettext_lazy("Accepted"),
    "staffing.decline": gettext_lazy("Declined"),
    "staffing.expire": gettext_lazy("Invitation expired"),
    "staffing.remove": gettext_lazy("Removed"),
    "staffing.move": gettext_lazy("Moved to another shift"),
    "staffing.replace": gettext_lazy("Replaced"),
    "staffing.reissue_link": gettext_lazy("New link sent"),
    "staffing.resend_message": gettext_lazy("Failed message sent again"),
    "staffing.message_fallback": gettext_lazy("Sent on the other channel after a failure"),
    "volunteers.unreachable": gettext_lazy("Marked as reached by post only"),
    "staffing.standby_claim": gettext_lazy("Took a seat offered from the standby list"),
    "staffing.sign_up": gettext_lazy("Signed up through a sign-up link"),
    "staffing.approve_signup": gettext_lazy("Sign-up approved"),
    "staffing.refuse_signup": gettext_lazy("Sign-up not approved"),
    "volunteers.join_team": gettext_lazy("Joined a team through its link"),
}
MESSAGE_KINDS = {
    "invitation": gettext_lazy("Invitation"),
    "accepted": gettext_lazy("Confirmation of the seat"),
    "declined": gettext_lazy("Confirmation of the decline"),
    "withdrawn": gettext_lazy("Confirmation of the withdrawal"),
    "removed": gettext_lazy("Notice of removal"),
    "moved": gettext_lazy("Notice of a move"),
    "shift_changed": gettext_lazy("Notice of a changed shift"),
    "new_link": gettext_lazy("New personal link"),
    "sms_reply": gettext_lazy("Reply to an SMS"),
    "invitation_reminder": gettext_lazy("Reminder of the invitation"),
    "shift_reminder": gettext_lazy("Reminder of the shift"),
    "shift_morning": gettext_lazy("SMS on the morning of the shift"),
    "group_message": gettext_lazy("Group message"),
    "expired": gettext_lazy("Notice that the invitation expired"),
    "invitation_withdrawn": gettext_lazy("Notice that the invitation is withdrawn"),
    "seat_offer": gettext_lazy("Offer of a freed seat (standby list)"),
    "offer_taken": gettext_lazy("Notice that the offered seat was taken"),
    "signup_held": gettext_lazy("Confirmation that the sign-up awaits approval"),
    "signup_refused": gettext_lazy("Notice that the sign-up was not approved"),
}
# Audit actions that an assignment's own event shows (with who did it).
_FOLDED = {
    "staffing.invite": "invited",
    "staffing.accept": "answered",
    "staffing.decline": "answered",
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def message_label(kind: str) -> str:
    return str(MESSAGE_KINDS.get(kind, kind))


@dataclass
class Event:
    at: datetime
    kind: str  # "invited" | "answered" | "checked_in" | "message" | "staff"
    title: str
    assignment: Assignment | None = None
    message: Message | None = None
    entry: AuditEntry | None = None
    by: str = ""  # who did it, when known
    changed: tuple[str, ...] = ()  # the fields a staff action changed, by their names

    @property
    def sort_key(self) -> tuple[datetime, int]:
        order = {"invited": 0, "message": 1, "answered": 2, "checked_in": 3, "staff": 4}
        return (self.at, order.get(self.kind, 9))


def _assignment_events(assignments: Iterable[Assignment]) -> dict[tuple[int, str], Event]:
    events: dict[tuple[int, str], Event] = {}
    for a in assignments:
        events[(a.pk, "invited")] = Event(a.invited_at, "invited", _("Invited"), assignment=a)
        if a.responded_at is not None and a.status in ("accepted", "declined", "checked_in"):
            title = _("Declined") if a.status == "declined" else _("Accepted")
            events[(a.pk, "answered")] = Event(a.responded_at, "answered", title, assignment=a)
        if a.checked_in_at is not None:
            events[(a.pk, "checked_in")] = Event(
                a.checked_in_at, "checked_in", _("Checked in"), assignment=a
            )
    return events


def _messages(volunteer_ids: list[int], assignment_ids: list[int], *, personal: bool) -> list:
    about = Q(subject_type=ASSIGNMENT_TYPE, subject_id__in=assignment_ids)
    if personal:
        about |= Q(subject_type=VOLUNTEER_TYPE, subject_id__in=volunteer_ids)
    return list(
        Message.objects.filter(about)
        .only(
            "channel",
            "to",
            "kind",
            "status",
            "subject_type",
            "subject_id",
            "last_error",
            "created_at",
            "sent_at",
            "delivered_at",
            "attempts",
        )
        .order_by("-created_at", "-pk")[:MAX_MESSAGES]
    )


def _audit(volunteer_ids: list[int], assignment_ids: list[int]) -> list[AuditEntry]:
    about = Q(object_type=VOLUNTEER_TYPE, object_id__in=volunteer_ids) | Q(
        object_type=ASSIGNMENT_TYPE, object_id__in=assignment_ids
    )
    return list(
        AuditEntry.objects.filter(about)
        .exclude(action__startswith="read.")
        .only(
            "at",
            "actor_kind",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "changes",
            "detail",
        )
        .order_by("-at", "-pk")[:MAX_AUDIT]
    )


def _who(entry: AuditEntry) -> str:
    if entry.actor_label:
        return entry.actor_label
    return str(entry.get_actor_kind_display())


def _field_names(model: type[Model], changes: dict | None) -> tuple[str, ...]:
    names = []
    for name in changes or {}:
        try:
            names.append(str(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            names.append(name)
    return tuple(names)


def timeline(
    volunteer_id: int, assignments: list[Assignment], *, personal: bool = True
) -> list[Event]:
    """The events of a volunteer and of ``assignments`` (those the user may see),
    newest first. ``personal``: also messages about the volunteer themself, not
    tied to a seat."""
    ids = [volunteer_id, *merged_ids(volunteer_id)]
    by_id = {a.pk: a for a in assignments}
    folded = _assignment_events(assignments)
    events = list(folded.values())
    for m in _messages(ids, list(by_id), personal=personal):
        assignment = by_id.get(m.subject_id) if m.subject_type == ASSIGNMENT_TYPE else None
        events.append(Event(m.created_at, "message", message_label(m.kind), assignment, message=m))
    for e in _audit(ids, list(by_id)):
        assignment = by_id.get(e.object_id) if e.object_type == ASSIGNMENT_TYPE else None
        own = folded.get((e.object_id, _FOLDED.get(e.action, ""))) if assignment else None
        if own is not None and not own.by:
            own.by = _who(e)
            continue
        events.append(
            Event(
                e.at,
                "staff",
                action_label(e.action),
                assignment,
                entry=e,
                by=_who(e),
                changed=_field_names(Assignment if assignment else Volunteer, e.changes),
            )
        )
    return sorted(events, key=lambda ev: ev.sort_key, reverse=True)
