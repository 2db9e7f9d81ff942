"""A volunteer's wishes for one election (``staffing.models_preferences.Preference``):
set by the coordinator on the volunteer's page (``by=`` the staff user) or by the
volunteer on their personal page (``by=None``), through the one service here.

What the election offers to choose from is what the election uses: its days are
the days its shifts start on, its polling stations those of its areas and any
other station it has shifts at (as the seat grid has them), its areas those
stations' areas, its roles those of its shifts. A wish for anything else is
refused with a message on the field it is about.

The auto-assigner reads the rows as they are; ``wishes_of`` gives the pages a
person's wishes, or the defaults when they have said nothing yet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import ActorKind, User
from elections.models import Election, Role, Shift
from polling_stations.models import Area, PollingStation
from staffing.models import Preference
from staffing.services._common import lock_volunteer
from volunteers.models import Volunteer

# What an audit entry of a change records (the many-to-many ones as sorted ids).
TRACKED = (
    "available",
    "available_days",
    "max_shifts",
    "near_home",
    "preferred_stations",
    "preferred_areas",
    "wanted_roles",
    "refused_roles",
)
# More than anyone takes in one election; the form says so before the database does.
MOST_SHIFTS = 50


# --- what an election offers --------------------------------------------------------------


def election_days(election: Election) -> list[date]:
    """The days (local time) on which the election has shifts, in order."""
    return Shift.objects.filter(election=election).local_days()


def election_stations(election: Election) -> QuerySet[PollingStation]:
    """The stations of the election's areas, and any other station it has shifts at."""
    return PollingStation.objects.filter(
        Q(area_id__in=election.areas.values("pk"))
        | Q(pk__in=Shift.objects.filter(election=election).values("station_id"))
    )


def election_areas(election: Election) -> QuerySet[Area]:
    """The election's areas, and the areas of the other stations it has shifts at."""
    return Area.objects.filter(
        Q(pk__in=election.areas.values("pk"))
        | Q(pk__in=Shift.objects.filter(election=election).values("station__area_id"))
    )


def election_roles(election: Election) -> QuerySet[Role]:
    """The roles the election has shifts for."""
    return Role.objects.filter(pk__in=Shift.objects.filter(election=election).values("role_id"))


# --- reading ------------------------------------------------------------------------------


@dataclass
class Wishes:
    """A person's wishes for an election as the pages show them: stored, or the
    defaults (available any day, the election's most shifts, no place or role
    wishes) when nothing is stored (``saved`` False)."""

    available: bool = True
    available_days: list[date] = field(default_factory=list)
    max_shifts: int | None = None
    near_home: bool = False
    preferred_stations: list[PollingStation] = field(default_factory=list)
    preferred_areas: list[Area] = field(default_factory=list)
    wanted_roles: list[Role] = field(default_factory=list)
    refused_roles: list[Role] = field(default_factory=list)
    saved: bool = False
    updated_at: datetime | None = None
    updated_by: User | None = None

    @property
    def by_volunteer(self) -> bool:
        """Last saved by the person on their personal page."""
        return self.saved and self.updated_by is None

    def initial(self) -> dict[str, object]:
        """As a form's ``initial``."""
        return {
            "available": self.available,
            "available_days": [d.isoformat() for d in self.available_days],
            "max_shifts": self.max_shifts,
            "near_home": self.near_home,
            "preferred_stations": [s.pk for s in self.preferred_stations],
            "preferred_areas": [a.pk for a in self.preferred_areas],
            "wanted_roles": [r.pk for r in self.wanted_roles],
            "refused_roles": [r.pk for r in self.refused_roles],
        }


def _days(values: Iterable[str]) -> list[date]:
    found = []
    for value in values:
        try:
            found.append(date.fromisoformat(value))
        except (TypeError, ValueError):
            continue  # not written by the service: ignored rather than shown wrong
    return sorted(set(found))


def wishes_of(volunteer: Volunteer, election: Election) -> Wishes:
    """``volunteer``'s wishes for ``election`` (five queries when stored, one when not)."""
    stored = (
        Preference.objects.filter(volunteer=volunteer, election=election)
        .select_related("updated_by")
        .first()
    )
    if stored is None:
        return Wishes()
    return Wishes(
        available=stored.available,
        available_days=_days(stored.available_days),
        max_shifts=stored.max_shifts,
        near_home=stored.near_home,
        preferred_stations=list(stored.preferred_stations.select_related("area").order_by("name")),
        preferred_areas=list(stored.preferred_areas.order_by("sort_order", "name")),
        wanted_roles=list(stored.wanted_roles.order_by("sort_order", "name")),
        refused_roles=list(stored.refused_roles.order_by("sort_order", "name")),
        saved=True,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )


# --- writing ------------------------------------------------------------------------------


def _as_day(value: date | str) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _ids(values: Iterable[object]) -> set[int]:
    return {getattr(v, "pk", v) for v in values}  # type: ignore[misc]


def _check(
    election: Election,
    *,
    available_days: Iterable[date | str],
    max_shifts: int | None,
    preferred_stations: set[int],
    preferred_areas: set[int],
    wanted_roles: set[int],
    refused_roles: set[int],
) -> list[date]:
    """The days as dates, or ValidationError with a message per field."""
    errors: dict[str, list[str]] = {}
    days = [_as_day(d) for d in available_days]
    offered = set(election_days(election))
    if any(d is None or d not in offered for d in days):
        errors["available_days"] = [
            _("Choose among the election's days: it has no shifts on the others.")
        ]
    if max_shifts is not None and not 1 <= max_shifts <= MOST_SHIFTS:
        errors["max_shifts"] = [
            _("Give a number from 1 to %(most)d, or leave it empty.") % {"most": MOST_SHIFTS}
        ]
    if preferred_stations and election_stations(election).filter(
        pk__in=preferred_stations
    ).count() != len(preferred_stations):
        errors["preferred_stations"] = [_("Choose among the election's polling stations.")]
    if preferred_areas and election_areas(election).filter(pk__in=preferred_areas).count() != len(
        preferred_areas
    ):
        errors["preferred_areas"] = [_("Choose among the election's areas.")]
    roles = wanted_roles | refused_roles
    if roles and election_roles(election).filter(pk__in=roles).count() != len(roles):
        errors.setdefault("wanted_roles" if wanted_roles else "refused_roles", []).append(
            _("Choose among the roles of the election's shifts.")
        )
    both = wanted_roles & refused_roles
    if both:
        roles_named = Role.objects.filter(pk__in=both).order_by("name")
        names = ", ".join(roles_named.values_list("name", flat=True))
        errors.setdefault("refused_roles", []).append(
            _("A role cannot be both wanted and refused: %(roles)s.") % {"roles": names}
        )
    if errors:
        raise ValidationError(errors)
    return sorted(set(days))  # type: ignore[arg-type]


def set_preference(
    volunteer: Volunteer,
    election: Election,
    *,
    by: User | None,
    available: bool = True,
    available_days: Iterable[date | str] = (),
    max_shifts: int | None = None,
    near_home: bool = False,
    preferred_stations: Iterable[PollingStation | int] = (),
    preferred_areas: Iterable[Area | int] = (),
    wanted_roles: Iterable[Role | int] = (),
    refused_roles: Iterable[Role | int] = (),
) -> Preference:
    """Store ``volunteer``'s wishes for ``election`` (all of them: what is not
    given is cleared), creating the row the first time. ``by``: the staff user,
    or None for the volunteer on their personal page. Refused with a
    ValidationError per field: a day the election has no shifts on, a station,
    area or role the election does not use, a role both wanted and refused, a
    most-shifts out of range. One audit entry with what changed (none if
    nothing did)."""
    stations, areas = _ids(preferred_stations), _ids(preferred_areas)
    wanted, refused = _ids(wanted_roles), _ids(refused_roles)
    days = _check(
        election,
        available_days=list(available_days),
        max_shifts=max_shifts,
        preferred_stations=stations,
        preferred_areas=areas,
        wanted_roles=wanted,
        refused_roles=refused,
    )
    with transaction.atomic():
        lock_volunteer(volunteer.pk)  # one writer per person: the first save creates the row
        current = Preference.objects.filter(volunteer=volunteer, election=election).first()
        created = current is None
        before = {} if created else audit.snapshot(current, TRACKED)
        if created:
            current = Preference(volunteer=volunteer, election=election)
        current.available = bool(available)
        current.available_days = [d.isoformat() for d in days]
        current.max_shifts = max_shifts
        current.near_home = bool(near_home)
        current.updated_by = by
        current.full_clean(exclude=["volunteer", "election", "updated_by"], validate_unique=False)
        current.save()
        current.preferred_stations.set(sorted(stations))
        current.preferred_areas.set(sorted(areas))
        current.wanted_roles.set(sorted(wanted))
        current.refused_roles.set(sorted(refused))
        after = audit.snapshot(current, TRACKED)
        changes = audit.changes_between(before, after)
        if created or changes:
            audit.record(
                "staffing.set_preference",
                current,
                by=by,
                actor=ActorKind.STAFF if by is not None else ActorKind.VOLUNTEER,
                election_id=election.pk,
                changes=changes,
                detail={"volunteer": volunteer.pk, "created": created},
            )
    return current


__all__ = [
    "MOST_SHIFTS",
    "Wishes",
    "election_areas",
    "election_days",
    "election_roles",
    "election_stations",
    "set_preference",
    "wishes_of",
]
