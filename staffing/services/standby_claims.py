"""Claiming a standby offer (``staffing.services.standby``, which re-exports
``claim_offer`` and ``resolve_offer``): the first claim of an open offer for a
shift with a free seat gets it, under the shift lock; when the shift is then
full, the other open offers are taken and their people told."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import ActorKind
from elections.models import Election, Shift
from staffing import messaging, rules
from staffing.models import Assignment, SeatOffer, StandbyEntry, hash_token
from staffing.rules import RuleViolation
from staffing.services import webhook_events
from staffing.services._common import (
    check_no_overlap,
    lock_shift,
    lock_volunteer,
    own_seat,
    record_assignment,
)
from staffing.services.standby import _expire_due, _refused, schedule_offers
from volunteers.models import Volunteer

Status = Assignment.Status
Waiting = StandbyEntry.Status
Offer = SeatOffer.Status
_MAX_TOKEN_LENGTH = 64


def resolve_offer(token: str) -> SeatOffer | None:
    """The offer behind a claim link, whatever its state, while its shift has not
    started and its election is active; else None (the uniform 404)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    return (
        SeatOffer.objects.select_related(
            "entry__volunteer", "shift__election", "shift__role", "shift__station"
        )
        .filter(
            token_hash=hash_token(token),
            shift__starts_at__gt=timezone.now(),
            shift__election__status=Election.Status.ACTIVE,
        )
        .exclude(status=Offer.CANCELLED)
        .first()
    )


def _seat_of(shift: Shift, volunteer: Volunteer) -> Assignment | None:
    seat = shift.assignments.holding_seat().filter(volunteer=volunteer).first()
    if seat is not None:
        seat.shift, seat.volunteer = shift, volunteer
    return seat


def claim_offer(offer: SeatOffer) -> Assignment:
    """The person takes the offered seat: an accepted seat and a confirmation with
    their personal link, if the offer is open, in time, and the shift has a free
    seat (the staffing rules checked as for any seat). When that fills the shift,
    the others' open offers are taken and they are told. A claim that comes too
    late is refused ("someone was quicker"); a second claim of the same offer
    returns the seat it got."""
    refusal: RuleViolation | None = None
    with transaction.atomic():
        shift = lock_shift(offer.shift_id)
        entry_volunteer = StandbyEntry.objects.values_list("volunteer_id", flat=True).get(
            pk=offer.entry_id
        )
        volunteer = lock_volunteer(entry_volunteer)
        entry = StandbyEntry.objects.select_for_update().get(pk=offer.entry_id)
        current = SeatOffer.objects.select_for_update().get(pk=offer.pk)
        current.entry, current.shift, entry.volunteer = entry, shift, volunteer
        now = timezone.now()
        if current.status == Offer.CLAIMED:
            seat = _seat_of(shift, volunteer)
            if seat is not None:
                return seat  # a double submit: the seat it got
            raise _refused("closed")
        if current.status == Offer.TAKEN:
            raise _refused("quicker")
        if current.status == Offer.EXPIRED:
            raise _refused("too_late")
        if current.status != Offer.OPEN:
            raise _refused("closed")
        rules.check_election_active(shift.election)
        rules.check_not_started(shift)
        if current.deadline <= now:
            _expire_due(shift, now)
            refusal = _refused("too_late")
        else:
            seat = _seat_of(shift, volunteer)
            if seat is None and shift.assignments.holding_seat().count() >= shift.capacity:
                _take(current, now)
                refusal = _refused("quicker")
        if refusal is None:
            assignment = _seat(shift, volunteer, entry, current, now)
    if refusal is not None:
        # The offer's new state is committed; then the person is told why.
        schedule_offers(shift)
        raise refusal
    return assignment


def _seat(
    shift: Shift, volunteer: Volunteer, entry: StandbyEntry, offer: SeatOffer, now: datetime
) -> Assignment:
    """Seat the claimant (the caller holds the locks and has checked the offer)."""
    seat = _seat_of(shift, volunteer)
    if seat is None or seat.status == Status.INVITED:
        rules.check_age(shift, volunteer)
        rules.check_team(shift, volunteer, rules.team_member_ids(shift, [volunteer.pk]))
        exclude = seat.pk if seat is not None else None
        clashes = rules.clashing_shifts(shift, [volunteer.pk], exclude_assignment=exclude)
        check_no_overlap(shift, volunteer, clashes, None)
    if seat is None:
        seat = own_seat(shift, volunteer, now=now)  # held for the office, as a sign-up is
        held = seat.awaiting_approval
        record_assignment(
            "staffing.standby_claim",
            seat,
            by=None,
            actor=ActorKind.VOLUNTEER,
            detail={"offer": offer.pk, "awaiting_approval": held},
        )
        if held:
            messaging.queue_signup_held(seat)
        else:
            messaging.queue_confirmation(seat)
    elif seat.status == Status.INVITED:  # invited meanwhile: the claim is a yes
        before = {"status": seat.status, "responded_at": seat.responded_at}
        seat.status, seat.responded_at = Status.ACCEPTED, now
        seat.save(update_fields=["status", "responded_at", "updated_at"])
        record_assignment(
            "staffing.standby_claim",
            seat,
            by=None,
            actor=ActorKind.VOLUNTEER,
            before=before,
            detail={"offer": offer.pk},
        )
        webhook_events.answered(seat, by=None)
        messaging.queue_confirmation(seat)
    offer.status, offer.answered_at = Offer.CLAIMED, now
    offer.save(update_fields=["status", "answered_at"])
    entry.status = Waiting.SEATED
    entry.save(update_fields=["status", "updated_at"])
    if shift.assignments.holding_seat().count() >= shift.capacity:
        others = (
            SeatOffer.objects.select_for_update()
            .filter(shift=shift, status=Offer.OPEN)
            .select_related("entry__volunteer")
        )
        for other in others:
            other.shift = shift
            _take(other, now)
    return seat


def _take(offer: SeatOffer, now: datetime) -> None:
    """The shift is full: ``offer`` is taken by someone else, and its person told
    (they stay on the list)."""
    offer.status, offer.answered_at = Offer.TAKEN, now
    offer.save(update_fields=["status", "answered_at"])
    messaging.queue_offer_taken(offer)
    audit.record(
        "staffing.standby_offer_taken",
        offer,
        by=None,
        election_id=offer.shift.election_id,
        changes={"status": [Offer.OPEN, Offer.TAKEN]},
        object_repr=f"{offer.entry.volunteer} · {offer.shift}"[:300],
    )
