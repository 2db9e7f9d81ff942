"""What volunteers are told, and on which channel. Delivery is notifications' job.

Every message is about an assignment (its generic subject) or, for a new link,
about the volunteer. Messages go out only while the election is active and
never to someone marked "do not contact"; the caller dispatches on commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts import organisation
from elections.models import Election, Shift
from notifications.models import Message, subject_of
from notifications.services import (
    Draft,
    cancel_queued,
    dispatch_on_commit,
    queue_message,
    queue_messages,
)
from staffing.custom_texts import CustomTexts
from staffing.links import issue_link, issue_links, link_url
from staffing.models import Assignment, SeatOffer
from volunteers.models import Volunteer

# Message kinds; each has templates in templates/emails/ and templates/sms/, and
# an entry in the registry (staffing.message_kinds) that lets an office write its
# own text for it (staffing.custom_texts finds that text as a message is made).
INVITATION = "invitation"
ACCEPTED = "accepted"
DECLINED = "declined"
WITHDRAWN = "withdrawn"
REMOVED = "removed"
MOVED = "moved"
SHIFT_CHANGED = "shift_changed"
NEW_LINK = "new_link"
INVITATION_REMINDER = "invitation_reminder"
SHIFT_REMINDER = "shift_reminder"
SHIFT_MORNING = "shift_morning"  # SMS only
EXPIRED = "expired"  # the answer-by date passed: the seat went back
INVITATION_WITHDRAWN = "invitation_withdrawn"  # the election closed before an answer
SEAT_OFFER = "seat_offer"  # a freed seat offered to someone on standby: a claim link
OFFER_TAKEN = "offer_taken"  # someone else claimed the offered seat first
SIGNUP_HELD = "signup_held"  # a sign-up waits for the office's approval
SIGNUP_REFUSED = "signup_refused"  # the office did not approve a sign-up

# The idempotency key of a message sent on the other channel after one failed
# for good is this and the failed message's id (staffing.services.fallback).
FALLBACK_PREFIX = "fallback:"

_CONFIRMATION_KIND = {
    Assignment.Status.ACCEPTED: ACCEPTED,
    Assignment.Status.DECLINED: DECLINED,
    Assignment.Status.WITHDRAWN: WITHDRAWN,
}


def respond_by(assignment: Assignment) -> datetime:
    """When the invitation expires: after the election's response days, or when
    the shift starts, whichever comes first."""
    shift = assignment.shift
    local_invite = timezone.localtime(assignment.invited_at)  # calendar days, as in the text
    return min(local_invite + timedelta(days=shift.election.response_days), shift.starts_at)


def shift_context(shift: Shift, prefix: str = "") -> dict[str, Any]:
    """Role, station, address and times of a shift, for a template."""
    station = shift.station
    return {
        f"{prefix}role": shift.role.name,
        f"{prefix}station": station.name,
        f"{prefix}station_address": station.full_address,
        f"{prefix}starts_at": timezone.localtime(shift.starts_at),
        f"{prefix}ends_at": timezone.localtime(shift.ends_at),
    }


def assignment_context(
    assignment: Assignment, token: str, *, shared: dict[tuple, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """What a template says about ``assignment``, with the link for ``token``.
    ``shared``: a dict kept across the calls of one round, where the part that
    is the same for everyone invited to a shift at one time is made once."""
    key = (assignment.shift_id, assignment.invited_at)
    common = shared.get(key) if shared is not None else None
    if common is None:
        shift = assignment.shift
        common = {
            "election": shift.election.name,
            **shift_context(shift),
            "respond_by": timezone.localtime(respond_by(assignment)),
            "municipality": organisation.current().name,
        }
        if shared is not None:
            shared[key] = common
    return {**common, "first_name": assignment.volunteer.first_name, "link": link_url(token)}


def may_message(volunteer: Volunteer, election: Election) -> bool:
    """Messages go out only for an active election, and never to "do not contact"."""
    return election.is_active and not volunteer.do_not_contact


def draft_about(
    assignment: Assignment,
    token: str,
    kind: str,
    key: str,
    *,
    channel: str = "",
    shared: dict[tuple, dict[str, Any]] | None = None,
    texts: CustomTexts | None = None,
) -> Draft:
    """A message of ``kind`` about ``assignment`` holding the personal link
    ``token``, on the volunteer's preferred channel unless ``channel`` is given
    (``shared``: see assignment_context), in the office's own text if it has one
    (``texts``: kept across a round, so that they are looked up once)."""
    volunteer = assignment.volunteer
    channel = channel or volunteer.preferred_channel
    texts = texts if texts is not None else CustomTexts()
    return Draft(
        channel,
        volunteer.address_on(channel),
        kind,
        volunteer.language,
        assignment_context(assignment, token, shared=shared),
        key,
        *subject_of(assignment),
        custom=texts.about(assignment, kind, channel),
    )


def queue_invitations(invited: list[tuple[Assignment, str]]) -> list[Message]:
    """One invitation per (assignment, token), each holding the volunteer's
    personal link, stored in one INSERT. The caller dispatches them on commit."""
    shared: dict[tuple, dict[str, Any]] = {}
    texts = CustomTexts()
    return queue_messages(
        [
            draft_about(
                a, token, INVITATION, f"assignment:{a.pk}:invitation", shared=shared, texts=texts
            )
            for a, token in invited
        ]
    )


def queue_notices(assignments: list[Assignment], kind: str) -> list[Message]:
    """A notice of ``kind`` about each assignment (keyed ``assignment:<id>:<kind>``,
    so once each), with a fresh personal link, in one INSERT; none to people
    marked "do not contact" or reached by post only. Whether the election may
    still send is the caller's decision (closing an election tells its open
    invitations so as it closes). The caller dispatches them on commit."""
    reachable = [
        a for a in assignments if not (a.volunteer.do_not_contact or a.volunteer.unreachable)
    ]
    tokens = issue_links([(a.volunteer, a.shift.election) for a in reachable])
    shared: dict[tuple, dict[str, Any]] = {}
    texts = CustomTexts()
    return queue_messages(
        [
            draft_about(a, token, kind, f"assignment:{a.pk}:{kind}", shared=shared, texts=texts)
            for a, token in zip(reachable, tokens, strict=True)
        ]
    )


def _queue_one(
    assignment: Assignment, kind: str, key: str, *, channel: str = "", **extra: Any
) -> Message | None:
    """A message about ``assignment`` with a fresh personal link, dispatched on
    commit: on the volunteer's preferred channel unless ``channel`` says otherwise."""
    volunteer = assignment.volunteer
    if not may_message(volunteer, assignment.shift.election):
        return None
    channel = channel or volunteer.preferred_channel
    token = issue_link(volunteer, assignment.shift.election)
    message = queue_message(
        channel=channel,
        to=volunteer.address_on(channel),
        kind=kind,
        language=volunteer.language,
        context={**assignment_context(assignment, token), **extra},
        idempotency_key=key,
        subject=assignment,
        dispatch=False,
        custom=CustomTexts().about(assignment, kind, channel),
    )
    dispatch_on_commit([message.pk])
    return message


# Answering back and forth must not turn into a stream of SMS: at most this many
# confirmations per assignment in an hour (the page itself always shows the state).
MAX_CONFIRMATIONS_PER_HOUR = 3


def queue_confirmation(assignment: Assignment) -> Message | None:
    """Confirm an answer, with a fresh link to change it; dispatched on commit."""
    kind = _CONFIRMATION_KIND[assignment.status]
    recent = (
        Message.objects.about(assignment)
        .filter(created_at__gte=timezone.now() - timedelta(hours=1))
        .exclude(kind=INVITATION)
    )
    if recent.count() >= MAX_CONFIRMATIONS_PER_HOUR:
        return None
    stamp = assignment.responded_at.isoformat() if assignment.responded_at else "-"
    return _queue_one(assignment, kind, f"assignment:{assignment.pk}:{kind}:{stamp}")


def queue_removal_notice(assignment: Assignment) -> Message | None:
    """The office took the volunteer off the shift."""
    stamp = timezone.now().isoformat()
    return _queue_one(assignment, REMOVED, f"assignment:{assignment.pk}:removed:{stamp}")


def queue_signup_held(assignment: Assignment) -> Message | None:
    """We have the sign-up; the election office confirms it (the role needs approval)."""
    return _queue_one(assignment, SIGNUP_HELD, f"assignment:{assignment.pk}:signup_held")


def queue_signup_refused(assignment: Assignment) -> Message | None:
    """The election office could not give the person the seat they signed up for."""
    stamp = timezone.now().isoformat()
    return _queue_one(
        assignment, SIGNUP_REFUSED, f"assignment:{assignment.pk}:signup_refused:{stamp}"
    )


def claim_url(token: str) -> str:
    """The address of a standby offer's claim page (``portal:offer``)."""
    return settings.SITE_URL + reverse("portal:offer", args=[token])


def claim_by(deadline: datetime, language: str) -> dict[str, str]:
    """An offer's deadline in words for ``language``: ``claim_by`` ("2 March at
    14:30") and ``claim_by_short`` ("2/3 14:30", for SMS), on the local clock."""
    local = timezone.localtime(deadline)
    with translation.override(language):
        day = formats.date_format(
            local, pgettext("day-month date format, Django date syntax", "j F")
        )
        time = formats.time_format(local, "H:i")
        return {
            "claim_by": _("%(day)s at %(time)s") % {"day": day, "time": time},
            "claim_by_short": f"{local.day}/{local.month} {time}",
        }


def _offer_context(offer: SeatOffer, volunteer: Volunteer) -> dict[str, Any]:
    shift = offer.shift
    return {
        "first_name": volunteer.first_name,
        "election": shift.election.name,
        "municipality": organisation.current().name,
        **shift_context(shift),
    }


def _queue_about_offer(
    offer: SeatOffer, kind: str, key: str, extra: dict[str, Any]
) -> Message | None:
    volunteer = offer.entry.volunteer
    shift = offer.shift
    if not may_message(volunteer, shift.election) or volunteer.unreachable:
        return None
    channel = volunteer.preferred_channel
    if not volunteer.address_on(channel):
        return None
    return queue_message(  # dispatched on commit
        channel=channel,
        to=volunteer.address_on(channel),
        kind=kind,
        language=volunteer.language,
        context={**_offer_context(offer, volunteer), **extra},
        idempotency_key=key,
        subject=volunteer,
        custom=CustomTexts().get(
            shift.election_id, shift.role_id, kind, channel, volunteer.language
        ),
    )


def queue_seat_offer(offer: SeatOffer, token: str) -> Message | None:
    """A freed seat is offered: the claim link (``token``) and the deadline."""
    language = offer.entry.volunteer.language
    extra = {"claim_link": claim_url(token), **claim_by(offer.deadline, language)}
    return _queue_about_offer(offer, SEAT_OFFER, f"offer:{offer.pk}:seat_offer", extra)


def queue_offer_taken(offer: SeatOffer) -> Message | None:
    """Someone else claimed the seat first; the person stays on the standby list
    (their personal link, to see it or leave the list)."""
    volunteer = offer.entry.volunteer
    election = offer.shift.election
    if not may_message(volunteer, election) or volunteer.unreachable:
        return None
    extra = {"link": link_url(issue_link(volunteer, election))}
    return _queue_about_offer(offer, OFFER_TAKEN, f"offer:{offer.pk}:offer_taken", extra)


def queue_move_notice(assignment: Assignment, old_shift: Shift) -> Message | None:
    """The office moved the volunteer from ``old_shift`` to the assignment's shift."""
    stamp = timezone.now().isoformat()
    key = f"assignment:{assignment.pk}:moved:{old_shift.pk}-{assignment.shift_id}:{stamp}"
    return _queue_one(assignment, MOVED, key, **shift_context(old_shift, prefix="old_"))


def queue_change_notice(assignment: Assignment, old_shift: Shift) -> Message | None:
    """The shift itself changed (time, place or role): old and new, to everyone on it."""
    stamp = timezone.now().isoformat()
    key = f"assignment:{assignment.pk}:shift_changed:{stamp}"
    return _queue_one(assignment, SHIFT_CHANGED, key, **shift_context(old_shift, prefix="old_"))


def queue_new_link(volunteer: Volunteer, election: Election, token: str) -> Message | None:
    """A reissued personal link (the old ones no longer work)."""
    if not may_message(volunteer, election):
        return None
    stamp = timezone.now().isoformat()
    message = queue_message(
        channel=volunteer.preferred_channel,
        to=volunteer.contact_address,
        kind=NEW_LINK,
        language=volunteer.language,
        context={
            "first_name": volunteer.first_name,
            "election": election.name,
            "link": link_url(token),
            "municipality": organisation.current().name,
        },
        idempotency_key=f"volunteer:{volunteer.pk}:new_link:{election.pk}:{stamp}",
        subject=volunteer,
        dispatch=False,
        custom=CustomTexts().get(
            election.pk, None, NEW_LINK, volunteer.preferred_channel, volunteer.language
        ),
    )
    dispatch_on_commit([message.pk])
    return message


def messages_for_volunteer(volunteer: Volunteer) -> QuerySet[Message]:
    """Every message about the volunteer or any of their assignments."""
    assignment_type, _unused = subject_of(Assignment(pk=0))
    volunteer_type, _unused = subject_of(volunteer)
    return Message.objects.filter(
        Q(
            subject_type=assignment_type,
            subject_id__in=Assignment.objects.filter(volunteer=volunteer).values("pk"),
        )
        | Q(subject_type=volunteer_type, subject_id=volunteer.pk)
    )


def cancel_queued_about(assignment: Assignment) -> int:
    """Messages about the assignment that have not gone out yet (an invitation to
    a seat the office just took back) are cancelled."""
    ids = list(
        Message.objects.about(assignment)
        .filter(status=Message.Status.QUEUED)
        .values_list("pk", flat=True)
    )
    return cancel_queued(ids) if ids else 0
