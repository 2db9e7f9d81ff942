"""Finding volunteers to invite, with the reason any of them cannot be.

``search`` finds people for one shift (the invite page); ``assess`` decides, for
several people and several shifts at once, who may be invited where (the page
that invites many to many); ``plan`` works out what an invitation would do,
seat by seat, in the order the invite service takes people. Each runs a fixed
number of queries whatever the number of people and shifts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from operator import and_

from django.db.models import Count, Exists, OrderBy, OuterRef, Q, QuerySet, Window
from django.utils import timezone

from elections.models import Shift
from pollcrew.collation import danish_sorted
from pollcrew.db import UnicodeLower
from staffing import rules
from staffing.models import SEAT_HOLDING_STATUSES, Assignment
from staffing.retention import ANONYMISED_EMAIL
from staffing.rules import RuleViolation
from volunteers.models import Volunteer

MAX_RESULTS = 50
MAX_TERMS = 5


@dataclass(frozen=True)
class Candidate:
    volunteer: Volunteer
    age: int
    refusal: RuleViolation | None

    @property
    def eligible(self) -> bool:
        return self.refusal is None


class Found(list):
    """Up to MAX_RESULTS search results (a list), and how many matched in all:
    when ``limited``, the page says "showing 50 of N — refine the search"."""

    def __init__(self, items: Iterable = (), total: int | None = None) -> None:
        super().__init__(items)
        self.total = len(self) if total is None else total

    @property
    def limited(self) -> bool:
        return self.total > len(self)

    @property
    def eligible_count(self) -> int:
        return sum(1 for c in self if c.eligible)


def _matches(term: str) -> Q:
    folded = term.lower()
    return (
        Q(first_name_lc__contains=folded)
        | Q(last_name_lc__contains=folded)
        | Q(email_lc__contains=folded)
        | Q(phone__contains=term)
        | Q(postal_code__startswith=term)
    )


def searchable(among: QuerySet[Volunteer] | None = None) -> QuerySet[Volunteer]:
    """The people one may look for: ``among`` (the searcher's scope), without
    what retention left of someone (nobody to invite)."""
    base = among if among is not None else Volunteer.objects.all()
    return base.exclude(email=ANONYMISED_EMAIL)


def matching(
    query: str,
    among: QuerySet[Volunteer] | None = None,
    limit: int = MAX_RESULTS,
    *,
    first: Sequence[OrderBy] = (),
) -> tuple[list[Volunteer], int]:
    """Up to ``limit`` people matching every word of ``query``, and how many match
    in all (one query: the total is a window count over the matches). ``first``:
    orderings that go before the name (who is taken when there are more)."""
    terms = query.split()[:MAX_TERMS]
    if not terms:
        return [], 0
    found = list(
        searchable(among)
        .alias(
            first_name_lc=UnicodeLower("first_name"),
            last_name_lc=UnicodeLower("last_name"),
            email_lc=UnicodeLower("email"),
        )
        .filter(reduce(and_, (_matches(t) for t in terms)))
        .annotate(match_count=Window(Count("pk")))
        .order_by(*first, "last_name", "first_name", "pk")[:limit]
    )
    total = found[0].match_count if found else 0
    return found, total


def search(
    shift: Shift,
    query: str,
    *,
    among: QuerySet[Volunteer] | None = None,
    may_name: rules.MayName = rules.everything,
) -> Found:
    """Up to MAX_RESULTS volunteers of ``among`` (the searcher's scope; all by
    default) matching every word of ``query``, with the total that matched
    (3 queries; 4 on a shift reserved for a team). ``may_name``: the clashing
    shifts a refusal may name to the searcher (``rules.may_name_for``)."""
    found, total = matching(query, among, first=likely_fit_first(shift))
    return judged(shift, found, total, may_name=may_name)


def _born_by(day: date, years: int) -> date:
    """The latest birth date of someone ``years`` old on ``day``."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def likely_fit_first(shift: Shift) -> list[OrderBy]:
    """Orderings that put those who can probably be invited to ``shift`` before
    those who cannot (do not contact, on it or declined it, a seat at the same time,
    too young, not in the shift's team): when a search matches more than the page
    shows, the page shows the people one can use. The rules still decide each one."""
    person = OuterRef("pk")
    day = timezone.localtime(shift.starts_at).date()
    orderings = [
        OrderBy(Q(do_not_contact=True)),
        OrderBy(
            Exists(
                Assignment.objects.filter(
                    volunteer_id=person,
                    shift_id=shift.pk,
                    status__in=[*SEAT_HOLDING_STATUSES, Assignment.Status.DECLINED],
                )
            )
        ),
        OrderBy(
            Exists(
                Assignment.objects.holding_seat().filter(
                    volunteer_id=person,
                    shift__starts_at__lt=shift.ends_at,
                    shift__ends_at__gt=shift.starts_at,
                )
            )
        ),
        OrderBy(Q(birth_date__gt=_born_by(day, shift.role.min_age))),
    ]
    if shift.team_id is not None:
        members = Volunteer.teams.through.objects.filter(volunteer_id=person, team_id=shift.team_id)
        orderings.append(OrderBy(~Exists(members)))
    return orderings


def suggest(
    shift: Shift,
    among: QuerySet[Volunteer] | None = None,
    *,
    exclude: Iterable[int] = (),
    may_name: rules.MayName = rules.everything,
) -> Found:
    """People to put on ``shift`` without a search (the replace page): those of
    ``among`` who hold no seat in the shift's election yet — on a shift reserved
    for a team, its members only — by name, up to MAX_RESULTS with the total
    (4 queries; 5 on a team's shift). The first eligible one is "the next"."""
    free = searchable(among).exclude(pk__in=list(exclude))
    if shift.team_id is not None:
        free = free.filter(teams=shift.team_id)
    seated = Assignment.objects.holding_seat().filter(shift__election_id=shift.election_id)
    found = list(
        free.exclude(pk__in=seated.values("volunteer_id"))
        .annotate(match_count=Window(Count("pk")))
        .order_by("last_name", "first_name", "pk")[:MAX_RESULTS]
    )
    return judged(shift, found, found[0].match_count if found else 0, may_name=may_name)


def judged(
    shift: Shift,
    found: list[Volunteer],
    total: int,
    *,
    may_name: rules.MayName = rules.everything,
) -> Found:
    """``found`` in Danish order, each with the reason they cannot be invited to
    ``shift`` (if any): 2 queries, 3 on a team's shift. An overlap names the
    clashing shift only where ``may_name`` allows."""
    if not found:
        return Found()
    ids = [v.pk for v in found]
    on_shift, declined = rules.shift_history(shift, ids)
    clashes = rules.clashing_shifts(shift, ids)
    members = rules.team_member_ids(shift, ids)
    day = timezone.localtime(shift.starts_at).date()
    candidates = []
    for v in danish_sorted(found, key=lambda v: f"{v.last_name} {v.first_name}"):
        try:
            rules.check_invitable(
                shift,
                v,
                v.pk in on_shift,
                v.pk in declined,
                clashes,
                members,
                may_name=may_name,
            )
        except RuleViolation as refusal:
            candidates.append(Candidate(v, v.age_on(day), refusal))
        else:
            candidates.append(Candidate(v, v.age_on(day), None))
    return Found(candidates, total)


# --- many people, many shifts -------------------------------------------------------------


@dataclass
class Fit:
    """One person against the chosen shifts: where they may be invited, and why
    not elsewhere."""

    volunteer: Volunteer
    invitable: list[Shift] = field(default_factory=list)
    refused: list[tuple[Shift, RuleViolation]] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return bool(self.invitable)


Verdicts = dict[tuple[int, int], RuleViolation | None]  # (volunteer id, shift id) → refusal


def _overlaps(a: Shift, b: Shift) -> bool:
    return a.starts_at < b.ends_at and a.ends_at > b.starts_at


def assess(shifts: Sequence[Shift], volunteers: Sequence[Volunteer]) -> Verdicts:
    """For every (person, shift): None if they may be invited (capacity aside),
    else the refusal, as the invite service would decide it now (3 queries at
    most: earlier seats on these shifts, overlapping seats, team memberships)."""
    vids = sorted({v.pk for v in volunteers})
    if not vids or not shifts:
        return {}
    sids = [s.pk for s in shifts]
    history = Assignment.objects.filter(shift_id__in=sids, volunteer_id__in=vids).values_list(
        "shift_id", "volunteer_id", "status"
    )
    on_shift: set[tuple[int, int]] = set()
    declined: set[tuple[int, int]] = set()
    for sid, vid, status in history:
        if status in SEAT_HOLDING_STATUSES:
            on_shift.add((sid, vid))
        elif status == Assignment.Status.DECLINED:
            declined.add((sid, vid))
    # Seats these people hold anywhere between the earliest start and the latest end.
    holding = list(
        Assignment.objects.holding_seat()
        .filter(
            volunteer_id__in=vids,
            shift__starts_at__lt=max(s.ends_at for s in shifts),
            shift__ends_at__gt=min(s.starts_at for s in shifts),
        )
        .select_related("shift__role", "shift__station")
    )
    team_ids = sorted({s.team_id for s in shifts if s.team_id is not None})
    memberships: set[tuple[int, int]] = set()
    if team_ids:
        memberships = set(
            Volunteer.teams.through.objects.filter(
                volunteer_id__in=vids, team_id__in=team_ids
            ).values_list("team_id", "volunteer_id")
        )
    verdicts: Verdicts = {}
    for shift in shifts:
        clashes = {
            a.volunteer_id: a.shift
            for a in holding
            if a.shift_id != shift.pk and _overlaps(a.shift, shift)
        }
        members = {vid for tid, vid in memberships if tid == shift.team_id}
        for v in volunteers:
            try:
                rules.check_invitable(
                    shift,
                    v,
                    (shift.pk, v.pk) in on_shift,
                    (shift.pk, v.pk) in declined,
                    clashes,
                    members,
                )
            except RuleViolation as refusal:
                verdicts[(v.pk, shift.pk)] = refusal
            else:
                verdicts[(v.pk, shift.pk)] = None
    return verdicts


def fits(shifts: Sequence[Shift], volunteers: Sequence[Volunteer], verdicts: Verdicts) -> list[Fit]:
    """Per person (in the order given): where they may be invited, and why not elsewhere."""
    result = []
    for v in volunteers:
        fit = Fit(v)
        for shift in shifts:
            refusal = verdicts.get((v.pk, shift.pk))
            if refusal is None:
                fit.invitable.append(shift)
            else:
                fit.refused.append((shift, refusal))
        result.append(fit)
    return result


@dataclass
class Outcome:
    """What an invitation to one shift did (or would do): who was invited, and
    who was not, with the reason per person."""

    shift: Shift
    invited: list[Volunteer] = field(default_factory=list)
    refused: list[tuple[Volunteer, str]] = field(default_factory=list)


def service_order(volunteers: Iterable[Volunteer]) -> list[Volunteer]:
    """The order the invite service takes people in (the last seats go to the first)."""
    return sorted(volunteers, key=lambda v: (v.last_name, v.first_name, v.pk))


def plan(
    shifts: Sequence[Shift],
    volunteers: Sequence[Volunteer],
    verdicts: Verdicts,
    free: dict[int, int],
) -> list[Outcome]:
    """What inviting ``volunteers`` to each of ``shifts`` (in id order, as the view
    does) would do: the rules per person, the seats left, and the overlap with an
    invitation made earlier in the same round. No query."""
    outcomes = []
    planned: dict[int, list[Shift]] = {}  # volunteer id → shifts invited to in this round
    people = service_order(volunteers)
    for shift in sorted(shifts, key=lambda s: s.pk):
        outcome = Outcome(shift)
        outcomes.append(outcome)
        try:
            rules.check_not_started(shift)
        except RuleViolation as refusal:
            outcome.refused = [(v, refusal.message) for v in people]
            continue
        seats = free.get(shift.pk, 0)
        for v in people:
            try:
                refusal = verdicts.get((v.pk, shift.pk))
                if refusal is not None:
                    raise refusal
                earlier = next((s for s in planned.get(v.pk, []) if _overlaps(s, shift)), None)
                rules.check_no_overlap(shift, v, earlier)
                rules.check_capacity(shift, shift.capacity - seats)
            except RuleViolation as refused:
                outcome.refused.append((v, refused.message))
                continue
            seats -= 1
            outcome.invited.append(v)
            planned.setdefault(v.pk, []).append(shift)
    return outcomes
