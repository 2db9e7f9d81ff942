"""Who may see and do what, on which objects: the one place where roles and their
scopes become queryset filters.

A staff user's ``Scope`` is loaded once per request (one query) from their
grants. Views and read models never filter by role themselves: they ask

    scope.filter(Shift.objects.filter(election=e), Capability.VIEW_PEOPLE)

and get only the rows the user's grants allow for that capability. The access
helpers (``staffing.access``…) turn "not in the filtered queryset" into a 404.

Accounts sits below the domain apps, so it cannot import their models; it knows
them by label and by the lookup paths in ``PATHS``, which say how each scoped
model reaches an election, a polling station and a team. An organisation level
(one deployment, several municipalities) would be one more scope kind and one
more column in that table, not a change to every query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import RoleGrant, ScopeKind, StaffRole, User


class Capability(models.TextChoices):
    VIEW_COUNTS = "view_counts", _("See boards and fill counts")
    VIEW_PEOPLE = "view_people", _("See who holds a seat and how they answered")
    VIEW_CONTACT = "view_contact", _("See phone numbers and addresses, print rosters")
    INVITE = "invite", _("Invite volunteers to shifts")
    MANAGE = "manage", _("Change seats and people, answer on someone's behalf")
    ADMINISTER = "administer", _("Manage staff users, roles and the audit log")
    CHECK_IN = "check_in", _("Check people in on the day")


C = Capability
CAPABILITIES: dict[str, frozenset[str]] = {
    StaffRole.COORDINATOR: frozenset(
        {C.VIEW_COUNTS, C.VIEW_PEOPLE, C.VIEW_CONTACT, C.INVITE, C.MANAGE, C.CHECK_IN}
    ),
    StaffRole.STATION_MANAGER: frozenset(
        {C.VIEW_COUNTS, C.VIEW_PEOPLE, C.VIEW_CONTACT, C.CHECK_IN}
    ),
    StaffRole.TEAM_LEADER: frozenset({C.VIEW_COUNTS, C.VIEW_PEOPLE, C.VIEW_CONTACT, C.INVITE}),
    StaffRole.VIEWER: frozenset({C.VIEW_COUNTS}),
}

# The kind of object that limits each role (besides an optional election list).
REQUIRED_KIND: dict[str, str | None] = {
    StaffRole.COORDINATOR: None,
    StaffRole.VIEWER: None,
    StaffRole.STATION_MANAGER: ScopeKind.STATION,
    StaffRole.TEAM_LEADER: ScopeKind.TEAM,
}


@dataclass(frozen=True)
class ModelPaths:
    """How rows of one model reach each scope kind (Django lookup paths).
    ``multi``: some path crosses a to-many relation, so filters go through a
    semi-join (pk IN …) and never duplicate rows."""

    election: str | None = None
    station: str | None = None
    team: str | None = None
    multi: bool = False

    def path(self, kind: str) -> str | None:
        return getattr(self, kind)


# Volunteers and teams belong to no election: an election list does not narrow them.
PATHS: dict[str, ModelPaths] = {
    "elections.election": ModelPaths("pk", "shifts__station", "shifts__team", multi=True),
    "elections.shift": ModelPaths("election", "station", "team"),
    "polling_stations.pollingstation": ModelPaths(
        "shifts__election", "pk", "shifts__team", multi=True
    ),
    "staffing.assignment": ModelPaths("shift__election", "shift__station", "shift__team"),
    "staffing.personallink": ModelPaths("election", None, None),
    "volunteers.volunteer": ModelPaths(None, "assignments__shift__station", "teams", multi=True),
    "volunteers.team": ModelPaths(None, None, "pk"),
}


@dataclass(frozen=True)
class Grant:
    role: str
    elections: frozenset[int]  # empty: every election
    stations: frozenset[int]
    teams: frozenset[int]

    def ids(self, kind: str) -> frozenset[int]:
        return {
            ScopeKind.ELECTION: self.elections,
            ScopeKind.STATION: self.stations,
            ScopeKind.TEAM: self.teams,
        }[kind]

    def q(self, paths: ModelPaths) -> Q | None:
        """The rows of a model this grant covers; None if it covers none."""
        condition = Q()
        required = REQUIRED_KIND[self.role]
        if required is not None:
            path = paths.path(required)
            if path is None or not self.ids(required):
                return None
            condition &= Q(**{f"{path}__in": sorted(self.ids(required))})
        if self.elections and paths.election is not None:
            condition &= Q(**{f"{paths.election}__in": sorted(self.elections)})
        return condition

    def covers(self, election_id: int | None, station_id: int | None, team_id: int | None) -> bool:
        """The same decision as ``q`` for one shift-like row, without a query."""
        if self.elections and election_id not in self.elections:
            return False
        required = REQUIRED_KIND[self.role]
        if required == ScopeKind.STATION:
            return station_id in self.stations
        if required == ScopeKind.TEAM:
            return team_id in self.teams
        return True


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    is_admin: bool
    grants: tuple[Grant, ...]

    @property
    def is_staff_member(self) -> bool:
        """Has any role at all (else every staff page is a 404)."""
        return self.is_admin or bool(self.grants)

    def roles(self) -> list[str]:
        return ([StaffRole.ADMIN] if self.is_admin else []) + [g.role for g in self.grants]

    def can(self, capability: str) -> bool:
        """Somewhere, on something: decides whether a page exists for the user."""
        return self.is_admin or any(capability in CAPABILITIES[g.role] for g in self.grants)

    @property
    def sees_people(self) -> bool:
        """May see volunteers' names and contact data somewhere (the menu)."""
        return self.can(Capability.VIEW_CONTACT)

    @property
    def manages(self) -> bool:
        """May manage seats somewhere (the menu)."""
        return self.can(Capability.MANAGE)

    @property
    def manages_reference_data(self) -> bool:
        """May change areas, polling stations and roles (shared by every election):
        an admin, or a coordinator whose grant covers every election."""
        return self.is_admin or any(
            g.role == StaffRole.COORDINATOR and not g.elections for g in self.grants
        )

    def _granting(self, capability: str) -> list[Grant]:
        return [g for g in self.grants if capability in CAPABILITIES[g.role]]

    def filter(self, queryset: QuerySet[Any], capability: str) -> QuerySet[Any]:
        """Only the rows of ``queryset`` the user may see for ``capability``."""
        if self.is_admin:
            return queryset
        model = queryset.model
        paths = PATHS[model._meta.label_lower]
        conditions = [g.q(paths) for g in self._granting(capability)]
        conditions = [c for c in conditions if c is not None]
        if not conditions:
            return queryset.none()
        if any(not c for c in conditions):  # an empty Q: the grant covers everything
            return queryset
        combined = conditions[0]
        for condition in conditions[1:]:
            combined |= condition
        if paths.multi:
            return queryset.filter(pk__in=model._base_manager.filter(combined).values("pk"))
        return queryset.filter(combined)

    def allows(
        self,
        capability: str,
        *,
        election_id: int | None = None,
        station_id: int | None = None,
        team_id: int | None = None,
    ) -> bool:
        """``filter`` for one shift-like row whose ids are at hand (no query)."""
        if self.is_admin:
            return True
        return any(g.covers(election_id, station_id, team_id) for g in self._granting(capability))

    def allows_shift(self, capability: str, shift: Any) -> bool:
        return self.allows(
            capability,
            election_id=shift.election_id,
            station_id=shift.station_id,
            team_id=shift.team_id,
        )


NOBODY = Scope(user_id=None, is_admin=False, grants=())


def load_scope(user: User) -> Scope:
    """The user's scope, in one query (grants LEFT JOIN their scope rows)."""
    if not (user.is_authenticated and user.is_active):
        return NOBODY
    if user.is_superuser:
        return Scope(user_id=user.pk, is_admin=True, grants=())
    rows = RoleGrant.objects.filter(user=user).values_list(
        "role", "scopes__kind", "scopes__object_id"
    )
    collected: dict[str, dict[str, set[int]]] = {}
    for role, kind, object_id in rows:
        kinds = collected.setdefault(role, {k: set() for k in ScopeKind.values})
        if kind is not None:
            kinds[kind].add(object_id)
    grants = tuple(
        Grant(
            role=role,
            elections=frozenset(kinds[ScopeKind.ELECTION]),
            stations=frozenset(kinds[ScopeKind.STATION]),
            teams=frozenset(kinds[ScopeKind.TEAM]),
        )
        for role, kinds in sorted(collected.items())
    )
    return Scope(user_id=user.pk, is_admin=False, grants=grants)


def scope_of(user: User) -> Scope:
    """``load_scope``, cached on the user object for the rest of the request."""
    cached = getattr(user, "_pollcrew_scope", None)
    if cached is None:
        cached = load_scope(user)
        if user.is_authenticated:
            user._pollcrew_scope = cached  # type: ignore[union-attr]
    return cached
