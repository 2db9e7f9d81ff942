"""One access helper per object. Outside the user's scope is a 404, never a 403,
so that nobody learns what exists. Each helper filters through the user's scope
(accounts.scopes) for the capability the page needs, and does its select_related
up front.

A draft election is work in progress of the election office: it exists only for
those who may manage it. For everyone else it is not listed and every page of it
is the same 404 as an election outside their scope (``visible_elections``, which
every election helper goes through)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import StaffRole, User
from accounts.scopes import Capability, Scope, scope_of
from elections.models import Election, Shift
from polling_stations.models import PollingStation
from staffing.models import Assignment, ReinviteRun
from volunteers.models import Skill, Team, Volunteer


def require(user: User, capability: str) -> Scope:
    """The user's scope, if it allows ``capability`` anywhere; else 404."""
    scope = scope_of(user)
    if not scope.can(capability):
        raise Http404
    return scope


def manages_every_election(scope: Scope) -> bool:
    """An admin, or a coordinator whose grant lists no elections."""
    return scope.is_admin or any(
        g.role == StaffRole.COORDINATOR and not g.elections for g in scope.grants
    )


def visible_elections(user: User, capability: str = Capability.VIEW_COUNTS) -> QuerySet[Election]:
    """The elections the user may see for ``capability``; drafts only if they may
    manage them."""
    scope = scope_of(user)
    elections = scope.filter(Election.objects.all(), capability)
    if manages_every_election(scope):
        return elections
    managed = scope.filter(Election.objects.all(), Capability.MANAGE).values("pk")
    return elections.filter(~Q(status=Election.Status.DRAFT) | Q(pk__in=managed))


def election_shifts(user: User, election: Election, capability: str) -> QuerySet[Shift]:
    """The election's shifts the user may see for ``capability``."""
    return scope_of(user).filter(Shift.objects.filter(election=election), capability)


def get_election_for_user(
    user: User, election_id: int, capability: str = Capability.VIEW_COUNTS
) -> Election:
    require(user, capability)
    election = visible_elections(user, capability).filter(pk=election_id).first()
    if election is None:
        raise Http404
    return election


def get_station_for_user(
    user: User, election: Election, station_id: int, capability: str = Capability.VIEW_COUNTS
) -> PollingStation:
    """A station with shifts in ``election`` that the user's scope shows."""
    shifts = election_shifts(user, election, capability).filter(station_id=station_id)
    station = (
        PollingStation.objects.select_related("area")
        .filter(pk=station_id, pk__in=shifts.values("station_id"))
        .first()
    )
    if station is None:
        raise Http404
    return station


def get_shift_for_user(
    user: User, election: Election, shift_id: int, capability: str = Capability.VIEW_COUNTS
) -> Shift:
    shift = (
        election_shifts(user, election, capability)
        .select_related("election", "station__area", "role", "team")
        .filter(pk=shift_id)
        .first()
    )
    if shift is None:
        raise Http404
    return shift


def get_assignment_for_user(
    user: User, election: Election, assignment_id: int, capability: str = Capability.MANAGE
) -> Assignment:
    require(user, capability)
    assignment = (
        scope_of(user)
        .filter(Assignment.objects.filter(shift__election=election), capability)
        .select_related("shift__role", "shift__station", "shift__election", "volunteer")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def get_copy_for_user(user: User, election_id: int) -> tuple[Election, Election]:
    """A copied election and the one it was copied from, both of which the user
    manages (re-inviting moves the source's people into the copy)."""
    election = get_election_for_user(user, election_id, Capability.MANAGE)
    if election.copied_from_id is None:
        raise Http404
    source = get_election_for_user(user, election.copied_from_id, Capability.MANAGE)
    return election, source


def get_reinvite_run_for_user(
    user: User, election_id: int, run_id: int
) -> tuple[Election, Election, ReinviteRun]:
    """A re-invitation run of a copy the user manages: the copy, its source (as
    ``get_copy_for_user``) and the run."""
    election, source = get_copy_for_user(user, election_id)
    run = ReinviteRun.objects.filter(pk=run_id, election=election).first()
    if run is None:
        raise Http404
    return election, source, run


def get_team_for_user(user: User, team_id: int) -> Team:
    require(user, Capability.VIEW_CONTACT)
    team = scope_of(user).filter(Team.objects.all(), Capability.VIEW_CONTACT).filter(pk=team_id)
    found = team.first()
    if found is None:
        raise Http404
    return found


def visible_volunteers(
    user: User, capability: str = Capability.VIEW_CONTACT
) -> QuerySet[Volunteer]:
    """Everyone the user may see with their contact data."""
    return scope_of(user).filter(Volunteer.objects.all(), capability)


def get_volunteer_for_user(
    user: User, volunteer_id: int, capability: str = Capability.VIEW_CONTACT
) -> Volunteer:
    """The access helper for a volunteer: outside the user's scope is a 404."""
    scope = scope_of(user)
    if not scope.can(capability):
        raise Http404
    found = (
        visible_volunteers(user, capability)
        .prefetch_related(
            Prefetch("teams", queryset=Team.objects.order_by("name")),
            Prefetch("skills", queryset=Skill.objects.order_by("name")),
        )
        .filter(pk=volunteer_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def get_assignment_for_checkin(user: User, assignment_id: int) -> Assignment:
    """A seat the user may check in (``Capability.CHECK_IN`` over its shift's
    station and election: station managers of that station, coordinators), in an
    election the user can see. Anything else is the uniform 404."""
    require(user, Capability.CHECK_IN)
    assignment = (
        scope_of(user)
        .filter(Assignment.objects.all(), Capability.CHECK_IN)
        .filter(
            pk=assignment_id,
            shift__election__in=visible_elections(user, Capability.CHECK_IN),
        )
        .select_related("shift__role", "shift__station__area", "shift__election", "volunteer")
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment
