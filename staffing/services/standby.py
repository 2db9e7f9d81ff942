"""Standby lists: people waiting for a seat on a full shift (or at a station on a
day), and the offers that refill freed seats from them by themselves.

When a seat frees up (a decline, a withdrawal, an expired invitation, a removal,
a move, more seats), the freeing service schedules ``offer_free_seats`` for the
shift on commit (``schedule_offers``). Each free seat is offered to the next
``offers_per_seat`` people on the list at once, each with a claim link and a
deadline; the first claim gets the seat (``claim_offer``, under the shift lock),
and when the shift is full the others are told it is taken and stay on the list.
An offer not claimed by its deadline expires (``expire_offers``, a periodic
sweep) and the seat moves on to the next people.

Election-day mode: from ``election_day_hours`` before the shift, a freed seat is
offered to the standby people of the same station first, then of the same area,
with ``election_day_offer_minutes`` to claim it.

Lock order as everywhere (staffing.services._common): shift, then volunteer,
then rows (entries, offers, assignments).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import ActorKind, User
from elections.models import Election, Shift, day_bounds
from polling_stations.models import PollingStation
from staffing import messaging, rules
from staffing.models import Assignment, SeatOffer, StandbyEntry, hash_token
from staffing.rules import RuleViolation
from staffing.services._common import (
    lock_shift,
    lock_volunteer,
)
from volunteers.models import Volunteer

logger = logging.getLogger(__name__)
Status = Assignment.Status
Waiting = StandbyEntry.Status
Offer = SeatOffer.Status
TOKEN_BYTES = 32  # 256 bits, as personal links
_MAX_TOKEN_LENGTH = 64
# Candidates are looked at this many at a time (a station's list may be long).
_CHUNK = 50


def _actor(by: User | None) -> ActorKind:
    return ActorKind.STAFF if by is not None else ActorKind.VOLUNTEER


def _refused(code: str) -> RuleViolation:
    texts = {
        "invite_only": _("This shift is filled by invitation only, so it has no standby list."),
        "no_standby": _("This shift has no standby list."),
        "has_seat": _("You already have a seat on this shift."),
        "do_not_contact": _(
            "You have asked us not to contact you, so we cannot offer you seats. "
            "Please contact the election office to undo it."
        ),
        "other_election": _("This shift belongs to another election."),
        "no_shifts": _("This polling station has no open shifts on that day."),
        "day_passed": _("That day has passed."),
        "quicker": _(
            "Someone was quicker and took the seat. You are still on the standby list, "
            "and we will write again if a seat frees up."
        ),
        "too_late": _(
            "The time to claim this seat has run out. You are still on the standby list."
        ),
        "closed": _("This offer is no longer open."),
    }
    return RuleViolation(code, texts[code])


def _record_entry(action: str, entry: StandbyEntry, *, by: User | None, **detail) -> None:
    audit.record(
        action,
        entry,
        by=by,
        actor=_actor(by),
        election_id=entry.election_id,
        changes={"status": [None, entry.status]} if action.endswith("join") else None,
        detail={
            "shift": entry.shift_id,
            "station": entry.station_id,
            "day": entry.day.isoformat() if entry.day else None,
            **detail,
        },
        object_repr=f"{entry.volunteer} · {entry.shift or entry.station}"[:300],
    )


# --- joining and leaving ---------------------------------------------------------------------


def join_standby(
    volunteer: Volunteer,
    *,
    election: Election,
    shift: Shift | None = None,
    station: PollingStation | None = None,
    day=None,
    by: User | None = None,
) -> StandbyEntry:
    """Put ``volunteer`` on the standby list of ``shift``, or of ``station`` on
    ``day`` (any of its public shifts that day). Idempotent: a waiting entry for
    the same is returned as it is. Refused (RuleViolation) for an invite-only
    shift, a seat the person holds already, an election that is not active, a
    shift that has started, someone marked "do not contact"."""
    if shift is None and (station is None or day is None):
        raise TypeError("join_standby needs a shift, or a station and a day")
    with transaction.atomic():
        if shift is not None:
            shift = lock_shift(shift.pk)
            if shift.election_id != election.pk:
                raise _refused("other_election")
            election = shift.election
        rules.check_election_active(election)
        # The election's offers may be off (a list built up before they go on); a
        # role kept out of standby never has its seats offered.
        if shift is not None:
            rules.check_not_started(shift)
            if shift.role.invite_only:
                raise _refused("invite_only")
            if not shift.role.standby_enabled:
                raise _refused("no_standby")
        else:
            if day < timezone.localdate():
                raise _refused("day_passed")
            start, end = day_bounds(day)
            open_shifts = Shift.objects.filter(
                election=election,
                station=station,
                starts_at__gte=max(start, timezone.now()),
                starts_at__lt=end,
                role__invite_only=False,
            )
            if not open_shifts.exists():
                raise _refused("no_shifts")
        volunteer = lock_volunteer(volunteer.pk)
        if volunteer.do_not_contact:
            raise _refused("do_not_contact")
        waiting = StandbyEntry.objects.select_for_update().filter(
            volunteer=volunteer, status=Waiting.WAITING
        )
        if shift is not None:
            if shift.assignments.holding_seat().filter(volunteer=volunteer).exists():
                raise _refused("has_seat")
            existing = waiting.filter(shift=shift).first()
        else:
            existing = waiting.filter(shift__isnull=True, station=station, day=day).first()
        if existing is not None:
            return existing
        entry = StandbyEntry.objects.create(
            election=election,
            volunteer=volunteer,
            shift=shift,
            station=None if shift is not None else station,
            day=None if shift is not None else day,
        )
        entry.volunteer = volunteer
        _record_entry("staffing.standby_join", entry, by=by)
        # A seat free right now goes to the list at once (first in line first).
        if shift is not None:
            schedule_offers(shift)
        elif election.standby_enabled and not election.standby_paused:
            for pk in open_shifts.filter(role__standby_enabled=True).values_list("pk", flat=True):
                transaction.on_commit(lambda pk=pk: _run_offers(pk))
    return entry


def leave_standby(entry: StandbyEntry, *, by: User | None = None) -> StandbyEntry:
    """Take someone off a standby list (themselves, or the office). Their open
    offers are withdrawn (the claim links stop working) and go to the next people."""
    with transaction.atomic():
        shift_ids = set(
            SeatOffer.objects.filter(entry=entry, status=Offer.OPEN).values_list(
                "shift_id", flat=True
            )
        )
        for pk in sorted(shift_ids):
            lock_shift(pk)
        lock_volunteer(entry.volunteer_id)
        current = (
            StandbyEntry.objects.select_for_update(of=("self",))
            .select_related("volunteer", "shift__role", "shift__station", "station")
            .get(pk=entry.pk)
        )
        if current.status != Waiting.WAITING:
            return current
        now = timezone.now()
        current.status = Waiting.LEFT
        current.save(update_fields=["status", "updated_at"])
        withdrawn = list(
            SeatOffer.objects.select_for_update()
            .filter(entry=current, status=Offer.OPEN)
            .values_list("shift_id", flat=True)
        )
        SeatOffer.objects.filter(entry=current, status=Offer.OPEN).update(
            status=Offer.CANCELLED, answered_at=now
        )
        _record_entry("staffing.standby_leave", current, by=by, offers_withdrawn=len(withdrawn))
        for pk in sorted(set(withdrawn)):
            transaction.on_commit(lambda pk=pk: _run_offers(pk))
    return current


# --- offering free seats ---------------------------------------------------------------------


def standby_on(shift: Shift) -> bool:
    """Whether freed seats of ``shift`` go to its standby list now (no query:
    the shift is loaded with its election and role)."""
    election = shift.election
    return (
        election.is_active
        and election.standby_enabled
        and not election.standby_paused
        and shift.role.standby_enabled
        and shift.starts_at > timezone.now()
    )


def _run_offers(shift_id: int) -> None:
    """Hand the shift to a worker. This runs after a commit, when the caller's
    work is done: nothing may reach the caller. If publishing fails (the broker
    is down), the periodic sweep (``expire_offers``) offers the seat instead."""
    from staffing import tasks  # the tasks import the services

    try:
        tasks.offer_free_seats.delay(shift_id)
    except Exception:
        logger.warning("standby offers for shift %s left for the sweep", shift_id, exc_info=True)


def schedule_offers(shift: Shift) -> None:
    """After the surrounding transaction commits, offer the shift's free seats
    to its standby list (a task). Nothing at all when standby is off for it."""
    if standby_on(shift):
        pk = shift.pk
        transaction.on_commit(lambda: _run_offers(pk))


def note_seated(volunteer_id: int, shift_id: int) -> None:
    """Someone on a shift's standby list got a seat on it another way (invited
    and accepted, seated by the office, signed up): they wait no more, and their
    open offers for it are withdrawn. The caller holds the shift's lock."""
    now = timezone.now()
    entries = StandbyEntry.objects.filter(
        volunteer_id=volunteer_id, shift_id=shift_id, status=Waiting.WAITING
    )
    seated = list(entries.select_for_update())
    if not seated:
        return
    entries.update(status=Waiting.SEATED, updated_at=now)
    withdrawn = SeatOffer.objects.filter(
        entry__volunteer_id=volunteer_id, shift_id=shift_id, status=Offer.OPEN
    ).update(status=Offer.CANCELLED, answered_at=now)
    for entry in seated:
        entry.status = Waiting.SEATED
        _record_entry("staffing.standby_seated", entry, by=None, offers_withdrawn=withdrawn)


def election_day_mode(shift: Shift, now: datetime) -> bool:
    return shift.starts_at - now <= timedelta(hours=shift.election.election_day_hours)


def _deadline(shift: Shift, now: datetime, election_day: bool) -> datetime:
    election = shift.election
    if election_day:
        wait = timedelta(minutes=election.election_day_offer_minutes)
    else:
        wait = timedelta(hours=election.offer_hours)
    return min(now + wait, shift.starts_at)


def _pool(shift: Shift, election_day: bool) -> QuerySet[StandbyEntry]:
    """The waiting entries that may be offered a seat on ``shift``, in order:
    the shift's own list and its station's list for the day; on election day,
    everyone waiting at the same station that day first, then in the same area."""
    day = timezone.localtime(shift.starts_at).date()
    station = shift.station
    waiting = StandbyEntry.objects.filter(election_id=shift.election_id, status=Waiting.WAITING)
    if not election_day:
        return waiting.filter(
            Q(shift=shift) | Q(shift__isnull=True, station=station, day=day)
        ).order_by("created_at", "pk")
    start, end = day_bounds(day)
    same_day = Q(shift__starts_at__gte=start, shift__starts_at__lt=end) | Q(
        shift__isnull=True, day=day
    )
    at_station = Q(shift__station=station) | Q(shift__isnull=True, station=station)
    in_area = Q(shift__station__area_id=station.area_id) | Q(
        shift__isnull=True, station__area_id=station.area_id
    )
    return (
        waiting.filter(same_day & (at_station | in_area))
        .annotate(
            tier=Case(
                When(Q(shift=shift), then=Value(0)),
                When(at_station, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("tier", "created_at", "pk")
    )


def _eligible(shift: Shift, entries: list[StandbyEntry], seen: set[int]) -> list[StandbyEntry]:
    """Of ``entries`` (in list order), one per person who may be offered the
    seat: not on the shift already, not declined it, no clash, old enough, in
    the team of a reserved shift, contactable, and not offered this shift before
    without claiming it in time. ``seen``: people already decided (kept up)."""
    ids = sorted({e.volunteer_id for e in entries} - seen)
    if not ids:
        return []
    on_shift, declined = rules.shift_history(shift, ids)
    clashes = rules.clashing_shifts(shift, ids)
    members = rules.team_member_ids(shift, ids)
    offered = set(
        SeatOffer.objects.filter(
            shift=shift,
            entry__volunteer_id__any_of=ids,
            status__in=[Offer.OPEN, Offer.EXPIRED, Offer.CLAIMED],
        ).values_list("entry__volunteer_id", flat=True)
    )
    chosen = []
    for entry in entries:
        volunteer = entry.volunteer
        if volunteer.pk in seen:
            continue
        seen.add(volunteer.pk)
        if (
            volunteer.do_not_contact
            or volunteer.unreachable
            or not volunteer.address_on(volunteer.preferred_channel)
            or volunteer.pk in on_shift
            or volunteer.pk in declined
            or volunteer.pk in clashes
            or volunteer.pk in offered
        ):
            continue
        try:
            rules.check_age(shift, volunteer)
            rules.check_team(shift, volunteer, members)
        except RuleViolation:
            continue
        chosen.append(entry)
    return chosen


def _expire_due(shift: Shift, now: datetime) -> list[SeatOffer]:
    """The shift's open offers past their deadline expire (the caller holds the
    shift lock). Their people stay on the list."""
    due = list(
        SeatOffer.objects.select_for_update()
        .filter(shift=shift, status=Offer.OPEN, deadline__lte=now)
        .select_related("entry__volunteer")
    )
    if due:
        SeatOffer.objects.filter(pk__in=[o.pk for o in due]).update(
            status=Offer.EXPIRED, answered_at=now
        )
        audit.record_many(
            audit.entry(
                "staffing.standby_offer_expired",
                offer,
                by=None,
                election_id=shift.election_id,
                changes={"status": [Offer.OPEN, Offer.EXPIRED]},
                object_repr=f"{offer.entry.volunteer} · {shift}"[:300],
            )
            for offer in due
        )
    return due


def offer_free_seats(shift_id: int) -> list[SeatOffer]:
    """Offer the shift's free seats to the next people on its standby list, each
    seat to ``offers_per_seat`` people at once, and tell them (a claim link and
    the deadline). Seats already covered by open offers are not offered again.
    Nothing when standby is off for the election or the role, paused, or the
    shift has started. The new offers (each with ``.token``, shown only here)."""
    peek = Shift.objects.select_related("election", "role").filter(pk=shift_id).first()
    if peek is None or not standby_on(peek):
        return []
    made: list[SeatOffer] = []
    with transaction.atomic():
        shift = lock_shift(shift_id)
        if not standby_on(shift):
            return []
        now = timezone.now()
        _expire_due(shift, now)
        election = shift.election
        free = shift.capacity - shift.assignments.holding_seat().count()
        covering = SeatOffer.objects.filter(shift=shift, status=Offer.OPEN).count()
        wanted = free * election.offers_per_seat - covering
        if free <= 0 or wanted <= 0:
            return []
        election_day = election_day_mode(shift, now)
        deadline = _deadline(shift, now, election_day)
        pool = _pool(shift, election_day).select_related("volunteer")
        seen: set[int] = set()
        chosen: list[StandbyEntry] = []
        start = 0
        while len(chosen) < wanted:
            chunk = list(pool[start : start + _CHUNK])
            if not chunk:
                break
            chosen += _eligible(shift, chunk, seen)
            start += _CHUNK
        chosen = chosen[:wanted]
        if not chosen:
            return []
        # Lock the people (in id order, after the shift) and their entries: someone
        # leaving the list at this moment is not offered the seat.
        for pk in sorted(e.volunteer_id for e in chosen):
            lock_volunteer(pk)
        still = set(
            StandbyEntry.objects.select_for_update()
            .filter(pk__in=[e.pk for e in chosen], status=Waiting.WAITING)
            .values_list("pk", flat=True)
        )
        entries: list[audit.AuditEntry] = []
        for entry in chosen:
            if entry.pk not in still:
                continue
            token = secrets.token_urlsafe(TOKEN_BYTES)
            offer = SeatOffer.objects.create(
                entry=entry,
                shift=shift,
                token_hash=hash_token(token),
                created_at=now,
                deadline=deadline,
            )
            offer.entry, offer.shift, offer.token = entry, shift, token
            messaging.queue_seat_offer(offer, token)
            entries.append(
                audit.entry(
                    "staffing.standby_offer",
                    offer,
                    by=None,
                    election_id=shift.election_id,
                    changes={"status": [None, Offer.OPEN]},
                    detail={
                        "volunteer": entry.volunteer_id,
                        "deadline": deadline.isoformat(),
                        "election_day": election_day,
                    },
                    object_repr=f"{entry.volunteer} · {shift}"[:300],
                )
            )
            made.append(offer)
        audit.record_many(entries)
    return made


# --- the office's switches -------------------------------------------------------------------


def set_standby_paused(election: Election, paused: bool, *, by: User | None) -> Election:
    """Pause the election's standby offers (open offers can still be claimed) or
    resume them: then every shift with people waiting is offered its free seats."""
    with transaction.atomic():
        current = Election.objects.select_for_update().get(pk=election.pk)
        if current.standby_paused == paused:
            return current
        current.standby_paused = paused
        current.save(update_fields=["standby_paused"])
        audit.record(
            "staffing.standby_pause" if paused else "staffing.standby_resume",
            current,
            by=by,
            election_id=current.pk,
            changes={"standby_paused": [not paused, paused]},
        )
        if not paused and current.standby_enabled and current.is_active:
            for pk in waiting_shift_ids(current):
                transaction.on_commit(lambda pk=pk: _run_offers(pk))
    return current


def waiting_shift_ids(election: Election) -> list[int]:
    """The election's shifts, not begun, that someone is waiting for: on the
    shift's own list, or on its station's list for the day."""
    now = timezone.now()
    entries = StandbyEntry.objects.filter(election=election, status=Waiting.WAITING)
    ids = set(
        entries.filter(shift__isnull=False, shift__starts_at__gt=now).values_list(
            "shift_id", flat=True
        )
    )
    station_days = set(entries.filter(shift__isnull=True).values_list("station_id", "day"))
    if station_days:
        shifts = Shift.objects.filter(
            election=election,
            station_id__in=sorted({station for station, _day in station_days}),
            starts_at__gt=now,
        ).values_list("pk", "station_id", "starts_at")
        ids |= {
            pk
            for pk, station, starts_at in shifts
            if (station, timezone.localtime(starts_at).date()) in station_days
        }
    return sorted(ids)


# --- the sweep -------------------------------------------------------------------------------


def expire_offers(now: datetime | None = None) -> int:
    """Open offers past their deadline expire, and their seats are offered to the
    next people on the list. Returns how many expired."""
    now = now or timezone.now()
    shift_ids = sorted(
        set(
            SeatOffer.objects.filter(status=Offer.OPEN, deadline__lte=now).values_list(
                "shift_id", flat=True
            )
        )
    )
    expired = 0
    for shift_id in shift_ids:
        with transaction.atomic():
            shift = lock_shift(shift_id)
            expired += len(_expire_due(shift, now))
        offer_free_seats(shift_id)
    # Free seats that nobody was offered (a task lost with the broker, a worker
    # gone): their shifts' lists are offered them now.
    for shift_id in _uncovered(now, exclude=set(shift_ids)):
        offer_free_seats(shift_id)
    return expired


def _uncovered(now: datetime, *, exclude: set[int]) -> list[int]:
    """Shifts with standby on, people waiting on their list and a free seat
    (``offer_free_seats`` itself sees whether open offers cover it)."""
    shifts = (
        Shift.objects.filter(
            starts_at__gt=now,
            election__status=Election.Status.ACTIVE,
            election__standby_enabled=True,
            election__standby_paused=False,
            role__standby_enabled=True,
            standby__status=Waiting.WAITING,
        )
        .alias(held=Coalesce(F("seat_fill__invited"), 0) + Coalesce(F("seat_fill__accepted"), 0))
        .filter(held__lt=F("capacity"))
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    return [pk for pk in shifts if pk not in exclude]


def edit_election(election: Election, *, by: User | None, **changes: Any) -> Election:
    """Change an election (``elections.services.update_election``, audited there),
    in one transaction with what standby makes of it: turned on, every shift with
    people waiting is offered its free seats."""
    from elections.services import update_election

    with transaction.atomic():
        was_on = Election.objects.values_list("standby_enabled", flat=True).get(pk=election.pk)
        current = update_election(election, by=by, **changes)
        if current.standby_enabled and not was_on and not current.standby_paused:
            for pk in waiting_shift_ids(current):
                transaction.on_commit(lambda pk=pk: _run_offers(pk))
    return current


def update_standby_settings(election: Election, *, by: User | None, **fields: Any) -> Election:
    """The election's standby settings only (the standby page's form)."""
    unknown = set(fields) - set(STANDBY_SETTINGS)
    if unknown:
        raise TypeError(f"update_standby_settings cannot change {sorted(unknown)}")
    return edit_election(election, by=by, **fields)


STANDBY_SETTINGS = (
    "standby_enabled",
    "offer_hours",
    "offers_per_seat",
    "election_day_hours",
    "election_day_offer_minutes",
)


# The claim side lives in its own module; callers use it from here.
from staffing.services.standby_claims import claim_offer, resolve_offer  # noqa: E402

__all__ = [
    "claim_offer",
    "edit_election",
    "expire_offers",
    "join_standby",
    "leave_standby",
    "offer_free_seats",
    "resolve_offer",
    "schedule_offers",
    "set_standby_paused",
    "standby_on",
    "update_standby_settings",
]
