"""Open sign-up, the writes: the office's sign-up links, and people signing
themselves up through one (``by=None``, audited as the volunteer's own acts).

A sign-up proves a phone number or an email address with a one-time code
(``notifications.codes``) before anything is written. Whoever already has that
number or address is recognised and not made twice; a newcomer becomes a
volunteer. Then, under the shift's lock, they take the seat (a role needing
approval holds it for the office), or join its standby list, or, through a
team's link, join the team. The page says the same whether a number is known
or not until the code is proved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, organisation
from accounts.models import ActorKind, User
from elections.models import Election, Role, Shift
from notifications import codes
from notifications.models import Channel, OneTimeCode
from pollcrew.refusals import Refused
from polling_stations.models import Area, PollingStation
from staffing import messaging, rules
from staffing import signup as reading
from staffing.links import issue_link
from staffing.models import Assignment, SignupLink, hash_token
from staffing.rules import RuleViolation
from staffing.services import webhook_events
from staffing.services._common import (
    check_no_overlap,
    lock_assignment,
    lock_shift,
    lock_volunteer,
    own_seat,
    record_assignment,
)
from staffing.services.answers import accept
from staffing.services.standby import join_standby, note_seated, schedule_offers
from volunteers.models import Team, Volunteer
from volunteers.services import create_volunteer

Status = Assignment.Status
# A double tap on "confirm" sends the code twice: the second is let through this
# long, and finds the seat taken by the first.
CODE_GRACE = timedelta(minutes=2)
LINK_FIELDS = ("kind", "label", "area", "station", "role", "team", "day", "expires_at", "seat_cap")


# --- the office's links -----------------------------------------------------------------------


def create_signup_link(
    election: Election,
    *,
    by: User | None,
    label: str,
    kind: str = SignupLink.Kind.SEATS,
    area: Area | None = None,
    station: PollingStation | None = None,
    role: Role | None = None,
    team: Team | None = None,
    day: date | None = None,
    expires_at: datetime | None = None,
    seat_cap: int | None = None,
) -> SignupLink:
    """A new link; its address is ``staffing.signup.link_url(link)``."""
    if kind == SignupLink.Kind.TEAM and team is None:
        raise Refused("team_needed", _("A team join link needs its team."))
    if role is not None and role.invite_only:
        raise Refused(
            "invite_only",
            _("%(role)s is invite only: it is never open for sign-up.") % {"role": role.name},
        )
    link = SignupLink(
        election=election,
        kind=kind,
        label=label.strip()[:100],
        area=area,
        station=station,
        role=role,
        team=team,
        day=day,
        expires_at=expires_at,
        seat_cap=seat_cap,
        created_by=by,
    )
    with transaction.atomic():
        link.full_clean(exclude=["token_hash"])
        link.save(force_insert=True)
        link.token_hash = hash_token(reading.link_token(link))
        link.save(update_fields=["token_hash"])
        audit.record(
            "staffing.create_signup_link",
            link,
            by=by,
            election_id=election.pk,
            changes={name: [None, getattr(link, name)] for name in LINK_FIELDS},
        )
    return link


def revoke_signup_link(link: SignupLink, *, by: User | None) -> SignupLink:
    """The link stops working at once, for good."""
    with transaction.atomic():
        link = SignupLink.objects.select_for_update().get(pk=link.pk)
        if link.revoked_at is None:
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
            audit.record("staffing.revoke_signup_link", link, by=by, election_id=link.election_id)
    return link


# --- signing up ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Details:
    """What a person types in: proved is the channel whose address gets the code."""

    first_name: str
    last_name: str
    birth_date: date
    phone: str
    email: str
    language: str
    proved: str  # Channel.SMS or Channel.EMAIL

    @property
    def address(self) -> str:
        return self.phone if self.proved == Channel.SMS else self.email

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "birth_date": self.birth_date.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Details:
        return cls(**{**data, "birth_date": date.fromisoformat(data["birth_date"])})


@dataclass(frozen=True)
class Place:
    """A station on a day: its standby list waits for any of its seats."""

    station_id: int
    day: date


def _purpose(
    link: SignupLink, shift_id: int | None, standby: bool, place: Place | None = None
) -> str:
    """A code proves the address for one sign-up: this link, this shift (or
    place, or the team), a seat or the standby list; it opens nothing else."""
    what = f"p{place.station_id}-{place.day:%Y%m%d}" if place else str(shift_id or 0)
    return f"signup:{link.pk}:{what}:{int(standby)}"


def send_signup_code(
    link: SignupLink,
    details: Details,
    *,
    shift_id: int | None = None,
    standby: bool = False,
    place: Place | None = None,
) -> None:
    """A code to the address to prove; refused past the address's hourly limit,
    and past the link's (``SIGNUP_CODES_PER_LINK_PER_HOUR``: each code is an SMS
    the municipality pays for, and a link on a poster is public)."""
    since = timezone.now() - timedelta(hours=1)
    sent = OneTimeCode.objects.filter(
        purpose__startswith=f"signup:{link.pk}:", created_at__gte=since
    ).count()
    if sent >= settings.SIGNUP_CODES_PER_LINK_PER_HOUR:
        raise Refused(
            "link_busy",
            _("Very many people are signing up right now. Please try again in a little while."),
        )
    codes.send_code(
        channel=details.proved,
        to=details.address,
        purpose=_purpose(link, shift_id, standby, place),
        language=details.language,
        context={"municipality": organisation.current().name},
    )


@dataclass
class Outcome:
    """What a proved sign-up came to. ``state``: "seated", "held" (awaiting
    approval), "standby", "joined" (a team), or "refused" (``message`` says why:
    the seat went meanwhile, the link is used up…). ``token``: the person's new
    personal link, None for a team join or when nothing was done."""

    state: str
    volunteer: Volunteer
    message: str = ""
    assignment: Assignment | None = None
    token: str | None = None


class WrongCode(Refused):
    def __init__(self) -> None:
        super().__init__(
            "wrong_code", _("That code is wrong or too old. Check it, or ask for a new one.")
        )


def sign_up(
    link: SignupLink,
    details: Details,
    code: str,
    *,
    shift_id: int | None = None,
    standby: bool = False,
    place: Place | None = None,
) -> Outcome:
    """Prove the code, then take the seat of ``shift_id`` (or, ``standby``, join
    its standby list, or the list of a ``place``; or, through a team's link,
    join the team). Raises WrongCode; a refusal after the code is proved is an
    Outcome ("refused"), so that the person, now known, still gets their
    personal link."""
    with transaction.atomic():
        # The code's row stays locked to the end: a twin request (a double tap)
        # waits, then finds the person and the seat this one made.
        proved = codes.check_code(
            channel=details.proved,
            to=details.address,
            purpose=_purpose(link, shift_id, standby, place),
            code=code,
            grace=CODE_GRACE,
        )
        if proved:
            return _after_the_code(link, details, shift_id, standby, place)
    # Raised only now: the wrong guess is counted (committed) against the code.
    raise WrongCode


def _after_the_code(
    link: SignupLink,
    details: Details,
    shift_id: int | None,
    standby: bool,
    place: Place | None,
) -> Outcome:
    volunteer = _recognise(details)
    if link.kind == SignupLink.Kind.TEAM:
        return _join_team(link, volunteer)
    if place is not None:
        return _wait_at(link, place, volunteer)
    shift = reading.signup_shift(link, shift_id) if shift_id else None
    if shift is None:
        return _refused(volunteer, link, _("This shift is no longer open for sign-up."))
    if standby:
        return _join_standby(link, shift, volunteer)
    return _take_seat(link, shift, volunteer)


def _recognise(details: Details) -> Volunteer:
    """The volunteer with the proved phone number or email address (the oldest,
    if there are several), else a new one with that address. Only the proved
    address is stored, and nothing of someone known is changed: an address
    typed but not proved could be anyone's (whoever later proved it would be
    recognised as this person). Their page lets them add the other, with a code."""
    if details.proved == Channel.SMS:
        known = Volunteer.objects.filter(phone=details.address)
    else:
        known = Volunteer.objects.filter(email__iexact=details.address)
    volunteer = known.order_by("pk").first()
    if volunteer is not None:
        return volunteer
    return create_volunteer(
        by=None,
        first_name=details.first_name,
        last_name=details.last_name,
        birth_date=details.birth_date,
        phone=details.phone if details.proved == Channel.SMS else "",
        email=details.email if details.proved == Channel.EMAIL else "",
        language=details.language,
        preferred_channel=details.proved,
    )


def _refused(volunteer: Volunteer, link: SignupLink, message: str) -> Outcome:
    return Outcome("refused", volunteer, message, token=issue_link(volunteer, link.election))


def _lock_link(link: SignupLink) -> SignupLink | str:
    """The link, locked, or why it takes no more sign-ups."""
    link = SignupLink.objects.select_for_update().get(pk=link.pk)
    if not link.usable:
        return _("This sign-up link has ended.")
    if link.full:
        return _("This sign-up link has had all the sign-ups it takes.")
    return link


def _count_use(link: SignupLink) -> None:
    SignupLink.objects.filter(pk=link.pk).update(used=F("used") + 1)


def _join_team(link: SignupLink, volunteer: Volunteer) -> Outcome:
    volunteer = lock_volunteer(volunteer.pk)
    if volunteer.teams.filter(pk=link.team_id).exists():
        return Outcome("joined", volunteer, assignment=None)
    locked = _lock_link(link)
    if isinstance(locked, str):
        return Outcome("refused", volunteer, locked)
    volunteer.teams.add(link.team_id)
    _count_use(locked)
    audit.record(
        "volunteers.join_team",
        volunteer,
        by=None,
        actor=ActorKind.VOLUNTEER,
        election_id=link.election_id,
        detail={"team": link.team_id, "signup_link": link.pk},
    )
    return Outcome("joined", volunteer)


def _in_team_of(link: SignupLink, volunteer: Volunteer) -> None:
    """A link limited to a team's seats makes whoever signs up a member."""
    if link.team_id and not volunteer.teams.filter(pk=link.team_id).exists():
        volunteer.teams.add(link.team_id)
        audit.record(
            "volunteers.join_team",
            volunteer,
            by=None,
            actor=ActorKind.VOLUNTEER,
            election_id=link.election_id,
            detail={"team": link.team_id, "signup_link": link.pk},
        )


def _for_you(refusal: RuleViolation, shift: Shift) -> str:
    """A rule's refusal in words for the person themselves (the rules speak to
    the office, naming the person)."""
    words = {
        "full": _("Sorry, the last seat on this shift was just taken."),
        "too_young": _("You must be at least %(age)d on the day of the shift to be %(role)s.")
        % {"age": shift.role.min_age, "role": shift.role.name},
        "overlap": _("You already have another shift at that time."),
        "team_reserved": _("The seats on this shift are reserved for a team."),
        "election_not_active": _("This election is not open for sign-up now."),
        "shift_started": _("This shift has begun."),
    }
    return words.get(refusal.code, refusal.message)


def _take_seat(link: SignupLink, shift: Shift, volunteer: Volunteer) -> Outcome:
    shift = lock_shift(shift.pk)
    volunteer = lock_volunteer(volunteer.pk)
    if volunteer.do_not_contact:
        return _refused(
            volunteer,
            link,
            _("We cannot take your sign-up online. Please contact the election office."),
        )
    live = shift.assignments.holding_seat().filter(volunteer=volunteer).first()
    if live is not None and live.status == Status.INVITED and not live.awaiting_approval:
        try:  # invited already, and now says yes
            live = accept(live)
        except RuleViolation as refusal:
            return _refused(volunteer, link, _for_you(refusal, shift))
    if live is not None:  # signed up already (a double tap), or invited and accepted
        state = "held" if live.awaiting_approval and live.status == Status.INVITED else "seated"
        token = issue_link(volunteer, link.election)
        return Outcome(state, volunteer, assignment=live, token=token)
    locked = _lock_link(link)
    if isinstance(locked, str):
        return _refused(volunteer, link, locked)
    if shift.assignments.filter(volunteer=volunteer, status=Status.REMOVED).exists():
        # The office took them off (or refused them): not theirs to undo online.
        return _refused(
            volunteer,
            link,
            _("We cannot take your sign-up online. Please contact the election office."),
        )
    try:
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        rules.check_age(shift, volunteer)
        check_no_overlap(shift, volunteer, rules.clashing_shifts(shift, [volunteer.pk]), None)
        # Seats offered to the standby list are theirs until the offers end.
        rules.check_capacity(
            shift, shift.assignments.holding_seat().count() + reading.offered_seats(shift)
        )
        _in_team_of(link, volunteer)  # only once the seat can be theirs
        rules.check_team(shift, volunteer, rules.team_member_ids(shift, [volunteer.pk]))
    except RuleViolation as refusal:
        return _refused(volunteer, link, _for_you(refusal, shift))
    seat = own_seat(shift, volunteer, now=timezone.now(), signup_link=locked)
    held = seat.awaiting_approval
    _count_use(locked)
    record_assignment(
        "staffing.sign_up",
        seat,
        by=None,
        actor=ActorKind.VOLUNTEER,
        detail={"signup_link": locked.pk, "awaiting_approval": held},
    )
    note_seated(volunteer.pk, shift.pk)
    if held:
        messaging.queue_signup_held(seat)
    else:
        messaging.queue_confirmation(seat)
    return Outcome(
        "held" if held else "seated",
        volunteer,
        assignment=seat,
        token=issue_link(volunteer, link.election),
    )


def _wait_at(link: SignupLink, place: Place, volunteer: Volunteer) -> Outcome:
    station = reading.signup_place(link, place.station_id, place.day)
    if station is None:
        return _refused(volunteer, link, _("This shift is no longer open for sign-up."))
    try:
        join_standby(volunteer, election=link.election, station=station, day=place.day, by=None)
    except Refused as refusal:
        return _refused(volunteer, link, refusal.message)
    return Outcome("standby", volunteer, token=issue_link(volunteer, link.election))


def _join_standby(link: SignupLink, shift: Shift, volunteer: Volunteer) -> Outcome:
    try:
        join_standby(volunteer, election=link.election, shift=shift, by=None)
    except Refused as refusal:
        return _refused(volunteer, link, refusal.message)
    return Outcome("standby", volunteer, token=issue_link(volunteer, link.election))


# --- the office's answer to a held sign-up ------------------------------------------------


def _lock_held(assignment: Assignment) -> tuple[Shift, Volunteer, Assignment]:
    shift = lock_shift(assignment.shift_id)
    volunteer = lock_volunteer(assignment.volunteer_id)
    current = lock_assignment(assignment.pk)
    held = current.awaiting_approval and current.status == Status.INVITED
    if not held or current.shift_id != shift.pk:
        raise Refused(
            "not_awaiting",
            _("This sign-up was answered meanwhile."),
        )
    current.shift, current.volunteer = shift, volunteer
    return shift, volunteer, current


def approve_signup(assignment: Assignment, *, by: User | None) -> Assignment:
    """The office confirms a held sign-up: the seat is theirs, and they are told."""
    with transaction.atomic():
        shift, _volunteer, current = _lock_held(assignment)
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        before = {"status": current.status, "responded_at": None}
        current.status = Status.ACCEPTED
        current.responded_at = timezone.now()
        current.awaiting_approval = False
        current.save(update_fields=["status", "responded_at", "awaiting_approval", "updated_at"])
        record_assignment(
            "staffing.approve_signup", current, by=by, before=before, detail={"approved": True}
        )
        webhook_events.answered(current, by=by)
        messaging.queue_confirmation(current)
    return current


def refuse_signup(assignment: Assignment, *, by: User | None, reason: str = "") -> Assignment:
    """The office does not take a held sign-up: the seat is freed and they are
    told (the reason is for the audit log, not the message)."""
    with transaction.atomic():
        _shift, _volunteer, current = _lock_held(assignment)
        before = {"status": current.status}
        current.status = Status.REMOVED
        current.awaiting_approval = False
        current.save(update_fields=["status", "awaiting_approval", "updated_at"])
        messaging.cancel_queued_about(current)
        record_assignment(
            "staffing.refuse_signup",
            current,
            by=by,
            before=before,
            detail={"reason": reason.strip()[:500]},
        )
        messaging.queue_signup_refused(current)
        schedule_offers(current.shift)  # the seat is free: the standby list's
        webhook_events.seats_freed([current], reason="signup_refused")
    return current
