"""Answers by SMS: a volunteer replies "JA" or "NEJ" (or "YES"/"NO", any case,
with or without accents, with text after it) to the invitation we sent.

The reply answers the sender's one open invitation through the same services as
the personal page (by=None: the volunteer's own answer, audited; the services
queue the confirmation). Several open invitations, or a text that is neither yes
nor no, get a short reply with the personal link; a refused answer (the seat was
taken meanwhile) gets the reason and the link. An unknown number gets nothing:
no reply can tell a stranger whose number it is or what they were asked.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts import organisation
from elections.models import Election
from notifications.inbound import Answer, InboundSms, Outcome, parse_answer
from notifications.models import Channel, InboundMessage, subject_of
from notifications.services import dispatch_on_commit, queue_message
from staffing import messaging
from staffing.links import issue_link, link_url
from staffing.models import Assignment
from staffing.rules import RuleViolation
from staffing.services.answers import accept, decline
from volunteers.models import Volunteer

Result = InboundMessage.Outcome
SMS_REPLY = "sms_reply"  # templates/sms/sms_reply.txt


def open_invitations(volunteers: QuerySet[Volunteer]) -> list[Assignment]:
    """Invitations the volunteers may still answer, soonest shift first: the
    election is active, the shift has not started and the answer-by time the
    invitation gave has not passed."""
    now = timezone.now()
    rows = (
        Assignment.objects.filter(
            volunteer__in=volunteers,
            status=Assignment.Status.INVITED,
            shift__election__status=Election.Status.ACTIVE,
            shift__starts_at__gt=now,
        )
        .select_related("volunteer", "shift__election", "shift__role", "shift__station")
        .order_by("shift__starts_at", "pk")
    )
    return [a for a in rows if messaging.respond_by(a) > now]


def answer_sms(sms: InboundSms) -> Outcome:
    """INBOUND_SMS_HANDLER: answer one incoming SMS (called once per provider ID,
    inside the transaction that records it)."""
    volunteers = Volunteer.objects.filter(phone=sms.sender)
    if not sms.sender or not volunteers.exists():
        return Outcome(Result.UNKNOWN_SENDER)
    invitations = open_invitations(volunteers)
    answer, rest = parse_answer(sms.body)
    if len(invitations) == 1 and answer is not None:
        return _answer(sms, invitations[0], answer, rest)
    if invitations:
        case = "choose" if len(invitations) > 1 else "unclear"
        return _reply(sms, invitations[0], case, count=len(invitations))
    latest = _latest_seat(volunteers)
    if latest is None:
        return Outcome(Result.IGNORED, *subject_of(volunteers.order_by("pk").first()))
    return _reply(sms, latest, "none")


def _answer(sms: InboundSms, invitation: Assignment, answer: Answer, rest: str) -> Outcome:
    volunteer = invitation.volunteer
    with translation.override(volunteer.language):
        try:
            if answer == Answer.YES:
                accept(invitation, by=None)
            else:
                decline(invitation, reason=rest, by=None)
        except RuleViolation as refusal:
            return _reply(sms, invitation, "refused", reason=str(refusal.message))
    done = Result.ACCEPTED if answer == Answer.YES else Result.DECLINED
    return Outcome(done, *subject_of(invitation))


def _latest_seat(volunteers: QuerySet[Volunteer]) -> Assignment | None:
    """The volunteer's latest seat or invitation in an active election: where a
    reply with no open invitation points them."""
    return (
        Assignment.objects.filter(
            volunteer__in=volunteers, shift__election__status=Election.Status.ACTIVE
        )
        .select_related("volunteer", "shift__election", "shift__role", "shift__station")
        .order_by("-shift__starts_at", "-pk")
        .first()
    )


def _reply(sms: InboundSms, assignment: Assignment, case: str, **extra: object) -> Outcome:
    """A short SMS back to the sender with a fresh personal link, through the
    outbox, keyed on the incoming SMS (one reply per SMS, whatever happens)."""
    volunteer = assignment.volunteer
    election = assignment.shift.election
    if not messaging.may_message(volunteer, election):
        return Outcome(Result.IGNORED, *subject_of(assignment))
    token = issue_link(volunteer, election)
    starts = timezone.localtime(assignment.shift.starts_at)
    with translation.override(volunteer.language):
        when = date_format(starts, "SHORT_DATE_FORMAT") + " " + date_format(starts, "H:i")
    message = queue_message(
        channel=Channel.SMS,
        to=sms.sender,
        kind=SMS_REPLY,
        language=volunteer.language,
        context={
            "case": case,
            "municipality": organisation.current().name,
            "first_name": volunteer.first_name,
            "role": assignment.shift.role.name,
            "station": assignment.shift.station.name,
            "when": when,
            "link": link_url(token),
            **extra,
        },
        idempotency_key=f"inbound:{sms.provider_id}:reply",
        subject=assignment,
        dispatch=False,
    )
    dispatch_on_commit([message.pk])
    outcome = Result.REFUSED if case == "refused" else Result.HELP
    return Outcome(outcome, *subject_of(assignment))
