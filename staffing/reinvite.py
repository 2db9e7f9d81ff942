"""Inviting the previous election's volunteers again, after a copy.

A copied election (``Election.copied_from``) has the seat grid of its source
and nobody on it. Everyone who accepted a seat in the source is invited to the
matching shift of the copy: the same station and role, preferably the same team
reservation and the same time relative to election day. Each invitation goes
through ``staffing.services.invite``, so every staffing rule applies (age on the
new date, team membership, overlaps, free seats, "do not contact"); whoever is
not invited is reported with the reason, in the user's language.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from time import monotonic

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from elections.models import Election, Shift
from pollcrew.collation import danish_key
from pollcrew.refusals import Refused
from staffing import rules, services
from staffing.models import Assignment
from staffing.rules import RuleViolation
from volunteers.models import Volunteer


@dataclass(frozen=True)
class NotInvited:
    volunteer: Volunteer
    previous: Shift  # their seat in the source election
    reason: str


@dataclass
class ReinviteResult:
    invited: list[Assignment] = field(default_factory=list)
    not_invited: list[NotInvited] = field(default_factory=list)
    # Stopped for time: continue with the shifts after this one (None: all done).
    next_after: int | None = None
    shifts_left: int = 0


def previous_seats(election: Election) -> QuerySet[Assignment]:
    """The accepted (or checked-in) seats of the election ``election`` was copied from."""
    return Assignment.objects.filled().filter(shift__election_id=election.copied_from_id)


def _relative(moment: datetime, election_day: date, tz: tzinfo) -> tuple[int, time]:
    """Days from election day, and the local time: how a copy re-dates a shift."""
    local = moment.astimezone(tz)
    return (local.date() - election_day).days, local.time()


def _minutes(relative: tuple[int, time]) -> int:
    days, clock = relative
    return days * 24 * 60 + clock.hour * 60 + clock.minute


def match_shifts(election: Election, source: Election, old: list[Shift]) -> dict[int, Shift]:
    """For each shift of the source (by id): the shift of ``election`` at the same
    station with the same role, preferring the same team reservation, then the
    same start and end relative to election day (a copy's own shift), then the
    nearest start. Source shifts with no such shift are left out."""
    tz = timezone.get_current_timezone()
    candidates: dict[tuple[int, int], list[Shift]] = defaultdict(list)
    for shift in Shift.objects.filter(election=election).select_related("station", "role"):
        candidates[(shift.station_id, shift.role_id)].append(shift)
    matched = {}
    for shift in old:
        options = candidates.get((shift.station_id, shift.role_id))
        if not options:
            continue
        start = _minutes(_relative(shift.starts_at, source.election_date, tz))
        end = _minutes(_relative(shift.ends_at, source.election_date, tz))

        def score(new: Shift, start: int = start, end: int = end, team: int | None = shift.team_id):
            new_start = _minutes(_relative(new.starts_at, election.election_date, tz))
            new_end = _minutes(_relative(new.ends_at, election.election_date, tz))
            return (new.team_id != team, abs(new_start - start), abs(new_end - end), new.pk)

        matched[shift.pk] = min(options, key=score)
    return matched


def reinvite_previous(
    election: Election,
    *,
    by: User | None,
    after: int = 0,
    budget_seconds: float | None = None,
) -> ReinviteResult:
    """Invite the source election's accepted volunteers to the matching shifts of
    ``election`` (which must be active), one ``invite`` per shift; report the rest.

    Each shift is its own transaction, so the work can be split: with
    ``budget_seconds`` it stops after the shift that used up the time and says
    where to go on (``next_after``: call again with ``after=`` that); people with
    no matching seat are reported in the first part only."""
    if election.copied_from_id is None:
        raise Refused("no_source", _("This election was not copied from another one."))
    election = Election.objects.select_related("copied_from").get(pk=election.pk)
    rules.check_election_active(election)
    source = election.copied_from
    seats = list(
        previous_seats(election)
        .select_related("volunteer", "shift__station", "shift__role", "shift__team")
        .order_by("shift_id", "pk")
    )
    old_shifts = list({a.shift_id: a.shift for a in seats}.values())
    matched = match_shifts(election, source, old_shifts)

    result = ReinviteResult()
    wanted: dict[int, dict[int, Assignment]] = defaultdict(dict)  # new shift → volunteer → seat
    for seat in seats:
        new = matched.get(seat.shift_id)
        if new is None:
            if after:
                continue
            reason = _("There is no %(role)s seat at %(station)s in this election.") % {
                "role": seat.shift.role.name,
                "station": seat.shift.station.name,
            }
            result.not_invited.append(NotInvited(seat.volunteer, seat.shift, reason))
            continue
        # Two seats of one person that match the same shift: one invitation.
        wanted[new.pk].setdefault(seat.volunteer_id, seat)
    shifts = {shift.pk: shift for shift in matched.values()}
    todo = [shift_id for shift_id in sorted(wanted) if shift_id > after]
    started = monotonic()
    for done, shift_id in enumerate(todo, start=1):
        if budget_seconds is not None and done > 1 and monotonic() - started >= budget_seconds:
            result.next_after, result.shifts_left = todo[done - 2], len(todo) - done + 1
            break
        previous = wanted[shift_id]
        try:
            invited = services.invite(
                shifts[shift_id], [seat.volunteer for seat in previous.values()], by=by
            )
        except RuleViolation as refusal:  # the whole shift: it has started, say
            result.not_invited.extend(
                NotInvited(seat.volunteer, seat.shift, refusal.message)
                for seat in previous.values()
            )
            continue
        result.invited.extend(invited.invited)
        result.not_invited.extend(
            NotInvited(previous[volunteer.pk].volunteer, previous[volunteer.pk].shift, why.message)
            for volunteer, why in invited.refused
        )
    with transaction.atomic():
        audit.record(
            "staffing.reinvite_previous",
            election,
            by=by,
            election_id=election.pk,
            detail={
                "source": source.pk,
                "invited": len(result.invited),
                "not_invited": len(result.not_invited),
                "after": after,
                "next_after": result.next_after,
            },
        )
    result.invited.sort(key=lambda a: (danish_key(a.volunteer.full_name), a.pk))
    result.not_invited.sort(key=lambda n: (danish_key(n.volunteer.full_name), n.previous.pk))
    return result
