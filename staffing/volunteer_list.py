"""The volunteer list's read model: who the user may see, the search and the
filters as one queryset, and each listed person's seats in the chosen election.

Scope: volunteers belong to no election. A coordinator sees everyone; a station
manager the people with a seat (or history) at their stations; a team leader
their teams' members (accounts.scopes.PATHS). Viewers see no names at all.

Speed: one COUNT and one page query, then one query each for the page's teams and
seats: constant as the register grows. The page query picks the page's ids first
and reads only those rows (``page_rows``): on PostgreSQL the ids come from an
index-only walk of ``volunteer_sort_search_idx`` (Danish order with the search
text, volunteers migration 0006) or, with few matches, from the trigram index on
``search_text`` and a sort of those matches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scopes import Capability, Scope, scope_of
from elections.models import Election
from staffing.access import visible_volunteers
from staffing.forms_volunteers import SeatStatus
from staffing.models import FILLED_STATUSES, SEAT_HOLDING_STATUSES, Assignment, VolunteerSeats
from volunteers import search
from volunteers.models import Team, Volunteer
from volunteers.search import ByteOrder

C = Capability
LIST_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "preferred_channel",
    "language",
    "do_not_contact",
    "birth_date",
)


def visible_teams(user: User) -> QuerySet[Team]:
    return scope_of(user).filter(Team.objects.all(), C.VIEW_CONTACT).order_by("name")


def _in_election(election: Election, statuses: tuple[str, ...] | list[str], scope: Scope) -> Exists:
    """Has an assignment in ``election`` with one of ``statuses`` that the user may
    see (a team leader: on their team's seats; a station manager: at their stations)."""
    return Exists(
        scope.filter(
            Assignment.objects.filter(
                volunteer=OuterRef("pk"), shift__election=election, status__in=statuses
            ),
            C.VIEW_PEOPLE,
        )
    )


def with_status(
    queryset: QuerySet[Volunteer], election: Election, status: str, scope: Scope
) -> QuerySet[Volunteer]:
    """``status`` in ``election``: no seat (no invitation open, no seat held),
    invited (an invitation not answered), accepted (a seat held, checked in or
    not), declined (declined, and no seat held there). For a user who sees every
    seat of the election, read from ``VolunteerSeats`` (one row per person, kept
    by the database); otherwise from the assignments the user's scope shows."""
    if scope.allows(C.VIEW_PEOPLE, election_id=election.pk):
        return queryset.filter(by_kept_counts(election, status))
    return queryset.filter(by_assignments(election, status, scope))


def by_assignments(election: Election, status: str, scope: Scope) -> Q:
    """The status filter over the assignments ``scope`` shows."""
    holding = _in_election(election, SEAT_HOLDING_STATUSES, scope)
    return {
        SeatStatus.NO_SEAT: ~holding,
        SeatStatus.INVITED: Q(_in_election(election, ["invited"], scope)),
        SeatStatus.ACCEPTED: Q(_in_election(election, FILLED_STATUSES, scope)),
        SeatStatus.DECLINED: Q(_in_election(election, ["declined"], scope)) & ~holding,
    }.get(status, Q())


def by_kept_counts(election: Election, status: str) -> Q:
    """The status filter over ``VolunteerSeats`` (every seat of the election)."""

    def having(condition: Q) -> Exists:
        return Exists(
            VolunteerSeats.objects.filter(condition, election=election, volunteer=OuterRef("pk"))
        )

    holding = having(Q(invited__gt=0) | Q(accepted__gt=0))
    return {
        SeatStatus.NO_SEAT: ~holding,
        SeatStatus.INVITED: having(Q(invited__gt=0)),
        SeatStatus.ACCEPTED: having(Q(accepted__gt=0)),
        SeatStatus.DECLINED: having(Q(declined__gt=0, invited=0, accepted=0)),
    }.get(status, Q())


def filtered(user: User, data: dict[str, Any]) -> QuerySet[Volunteer]:
    """The visible volunteers matching the filter form's cleaned ``data``, in
    Danish order."""
    people = visible_volunteers(user)
    people = search.matching(people, data.get("q") or "")
    if data.get("team"):
        people = people.filter(
            pk__in=Volunteer.teams.through.objects.filter(team=data["team"]).values("volunteer_id")
        )
    if data.get("skill"):
        people = people.filter(
            pk__in=Volunteer.skills.through.objects.filter(skill=data["skill"]).values(
                "volunteer_id"
            )
        )
    if data.get("language"):
        people = people.filter(language=data["language"])
    if data.get("channel"):
        people = people.filter(preferred_channel=data["channel"])
    if data.get("election") and data.get("status"):
        people = with_status(people, data["election"], data["status"], scope_of(user))
    return search.in_danish_order(people.only(*LIST_FIELDS))


@dataclass
class Seats:
    """One person's seats in one election, for the list's status column."""

    accepted: int = 0
    invited: int = 0
    declined: int = 0
    other: list[str] = field(default_factory=list)

    def tags(self) -> list[tuple[str, str]]:
        """(css modifier, text) for the list's status column."""
        found = []
        if self.accepted:
            text = _("Accepted") if self.accepted == 1 else _("Accepted (%d)") % self.accepted
            found.append(("accepted", text))
        if self.invited:
            text = _("Invited") if self.invited == 1 else _("Invited (%d)") % self.invited
            found.append(("invited", text))
        if self.declined and not found:
            found.append(("declined", _("Declined")))
        return found or [("none", _("No seat"))]


def seats_in(election: Election | None, volunteer_ids: list[int], scope: Scope) -> dict[int, Seats]:
    """Each volunteer's assignments in ``election`` that the user may see, counted
    by status (one query)."""
    found: dict[int, Seats] = {pk: Seats() for pk in volunteer_ids}
    if election is None or not volunteer_ids:
        return found
    rows = scope.filter(
        Assignment.objects.filter(shift__election=election, volunteer_id__in=volunteer_ids),
        C.VIEW_PEOPLE,
    ).values_list("volunteer_id", "status")
    for volunteer_id, status in rows:
        seats = found[volunteer_id]
        if status in FILLED_STATUSES:
            seats.accepted += 1
        elif status == Assignment.Status.INVITED:
            seats.invited += 1
        elif status == Assignment.Status.DECLINED:
            seats.declined += 1
    return found


def teams_of(volunteer_ids: list[int]) -> dict[int, list[Team]]:
    """The teams of the page's people (one query)."""
    found: dict[int, list[Team]] = {pk: [] for pk in volunteer_ids}
    if not volunteer_ids:
        return found
    links = (
        Volunteer.teams.through.objects.filter(volunteer_id__in=volunteer_ids)
        .select_related("team")
        .order_by("team__name")
    )
    for link in links:
        found[link.volunteer_id].append(link.team)
    return found


# Up to this many matches, a page's ids come from sorting all the matches.
SORT_MATCHES_UP_TO = 500


def page_rows(
    people: QuerySet[Volunteer], bottom: int, top: int, matches: int | None = None
) -> QuerySet[Volunteer]:
    """People ``bottom`` to ``top`` (0-based, ``top`` excluded) of ``filtered``'s
    queryset, in its Danish order, in one query: the slice's ids in a subquery,
    then only those rows. ``matches``: how many people ``people`` holds (counted
    first, exact or at least the count cap), if known.

    Why not slice ``people`` itself: walking the Danish order through the table
    reads every row before the first match to test the search and the filters,
    and a last-name search ("jensen") meets its first match tens of thousands of
    names in. Selecting only ids lets PostgreSQL walk ``volunteer_sort_search_idx``
    instead and test the search term inside the index (index-only), reading the
    table for the page's rows alone.

    With few matches (``SORT_MATCHES_UP_TO``) even that walk is long — 290 people
    called Kjærgaard are met ~44,000 names in — while finding them all (the
    trigram index) and sorting them is quick; the planner cannot tell the two
    apart (it prices a test of the term at next to nothing), so the ids are then
    ordered by an expression no index serves: the same bytes, the same order.
    Same rows, same order on both databases, either way."""
    if top <= bottom:
        return people.none()
    if matches is not None and matches <= SORT_MATCHES_UP_TO:
        people = people.order_by(ByteOrder(Concat(F("sort_name"), Value(""))), "pk")
    ids = people.values("pk")[bottom:top]  # the slice keeps the subquery's order
    return search.in_danish_order(Volunteer.objects.filter(pk__in=ids).only(*LIST_FIELDS))


COUNT_CAP = 2000


class CappedPaginator(Paginator):
    """Pages of a search: counting stops after ``COUNT_CAP`` matches (a broad
    search such as "@example.net" would otherwise count a quarter of the country
    on every page). ``capped`` says there are more: "more than 2,000, refine the
    search". The whole register (no search, no filter) is counted exactly."""

    def __init__(self, *args: Any, cap: int | None = COUNT_CAP, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cap = cap
        self.capped = False

    def page(self, number: Any) -> Page:
        """Django's ``Paginator.page``, with the rows read by ``page_rows``."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = page_rows(self.object_list, bottom, top, matches=self.count)
        return self._get_page(rows, number, self)

    @cached_property
    def count(self) -> int:
        if self.cap is None:
            return super().count
        # No order is needed to count: the planner may stop at the cap either way.
        found = self.object_list.order_by()[: self.cap + 1].count()
        if found > self.cap:
            self.capped = True
            return self.cap
        return found
