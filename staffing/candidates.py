"""Finding volunteers to invite to a shift, with the reason any of them cannot be."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import and_

from django.db.models import Q, QuerySet
from django.utils import timezone

from elections.models import Shift
from pollcrew.collation import danish_sorted
from pollcrew.db import UnicodeLower
from staffing import rules
from staffing.retention import ANONYMISED_EMAIL
from staffing.rules import RuleViolation
from volunteers.models import Volunteer

MAX_RESULTS = 50


@dataclass(frozen=True)
class Candidate:
    volunteer: Volunteer
    age: int
    refusal: RuleViolation | None

    @property
    def eligible(self) -> bool:
        return self.refusal is None


def _matches(term: str) -> Q:
    folded = term.lower()
    return (
        Q(first_name_lc__contains=folded)
        | Q(last_name_lc__contains=folded)
        | Q(email_lc__contains=folded)
        | Q(phone__contains=term)
        | Q(postal_code__startswith=term)
    )


def search(
    shift: Shift, query: str, *, among: QuerySet[Volunteer] | None = None
) -> list[Candidate]:
    """Up to MAX_RESULTS volunteers of ``among`` (the searcher's scope; all by
    default) matching every word of ``query`` (4 queries)."""
    terms = query.split()[:5]
    if not terms:
        return []
    base = (among if among is not None else Volunteer.objects.all()).exclude(
        email=ANONYMISED_EMAIL  # what retention left of someone is nobody to invite
    )
    searchable = base.alias(
        first_name_lc=UnicodeLower("first_name"),
        last_name_lc=UnicodeLower("last_name"),
        email_lc=UnicodeLower("email"),
    )
    found = list(
        searchable.filter(reduce(and_, (_matches(t) for t in terms))).order_by(
            "last_name", "first_name", "pk"
        )[:MAX_RESULTS]
    )
    ids = [v.pk for v in found]
    on_shift, declined = rules.shift_history(shift, ids)
    clashes = rules.clashing_shifts(shift, ids)
    members = rules.team_member_ids(shift, ids)
    day = timezone.localtime(shift.starts_at).date()
    candidates = []
    for v in danish_sorted(found, key=lambda v: f"{v.last_name} {v.first_name}"):
        try:
            rules.check_invitable(shift, v, v.pk in on_shift, v.pk in declined, clashes, members)
        except RuleViolation as refusal:
            candidates.append(Candidate(v, v.age_on(day), refusal))
        else:
            candidates.append(Candidate(v, v.age_on(day), None))
    return candidates
