"""Small builders for test data. Plain functions: every argument has a sensible default."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from elections.models import Election, Role, Shift
from polling_stations.models import Area, PollingStation
from volunteers.models import Team, Volunteer

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def area(name: str | None = None) -> Area:
    return Area.objects.create(name=name or f"Area {n()}")


def station(area_: Area | None = None, name: str | None = None, **kw) -> PollingStation:
    i = n()
    defaults = {"address": f"Skolevej {i}", "postal_code": "8000", "city": "Aarhus"}
    defaults.update(kw)
    return PollingStation.objects.create(
        area=area_ or area(), name=name or f"Station {i}", **defaults
    )


def election(days_ahead: int = 30, status: str = Election.Status.ACTIVE, **kw) -> Election:
    defaults = {
        "name": f"Folketingsvalg {n()}",
        "kind": Election.Kind.PARLIAMENTARY,
        "election_date": timezone.localdate() + timedelta(days=days_ahead),
        "status": status,
    }
    defaults.update(kw)
    return Election.objects.create(**defaults)


def role(name: str | None = None, **kw) -> Role:
    defaults = {"short_name": "TF", "default_start": time(8), "default_end": time(20)}
    defaults.update(kw)
    return Role.objects.create(name=name or f"Tilforordnet {n()}", **defaults)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def shift(
    election_: Election | None = None,
    *,
    capacity: int = 3,
    start: int = 8,
    end: int = 20,
    station_: PollingStation | None = None,
    role_: Role | None = None,
    team: Team | None = None,
) -> Shift:
    e = election_ or election()
    where = station_ or station()
    e.areas.add(where.area_id)  # an election takes part with the areas it has seats in
    return Shift.objects.create(
        election=e,
        station=where,
        role=role_ or role(),
        team=team,
        starts_at=at(e.election_date, start),
        ends_at=at(e.election_date, end),
        capacity=capacity,
    )


def volunteer(channel: str = "email", born: date = date(1980, 5, 17), **kw) -> Volunteer:
    i = n()
    defaults = {
        "first_name": f"Karen{i}",
        "last_name": "Jensen",
        "birth_date": born,
        "preferred_channel": channel,
        "language": "en",
    }
    if channel == "email":
        defaults["email"] = f"karen{i}@example.dk"
    else:
        defaults["phone"] = f"+45201{i:05d}"
    defaults.update(kw)
    return Volunteer.objects.create(**defaults)


def team(name: str | None = None, **kw) -> Team:
    return Team.objects.create(name=name or f"Team {n()}", **kw)


def user(
    email: str | None = None,
    *,
    coordinator: bool = False,
    password: str = "pw-for-tests-1",
    role: str | None = None,
    elections=(),
    stations=(),
    teams=(),
    **kw,
) -> User:
    """A staff user; ``coordinator=True`` or ``role=`` grants a role (scoped by the
    ids or objects in ``elections``, ``stations``, ``teams``)."""
    u = User.objects.create_user(email=email or f"user{n()}@kommune.dk", password=password, **kw)
    role = role or ("coordinator" if coordinator else None)
    if role:
        grant(u, role, elections=elections, stations=stations, teams=teams)
    return u


def _ids(objects) -> list[int]:
    return [getattr(o, "pk", o) for o in objects]


def grant(u: User, role: str, *, elections=(), stations=(), teams=()) -> None:
    account_services.grant_role(
        u,
        role,
        elections=_ids(elections),
        stations=_ids(stations),
        teams=_ids(teams),
        by=None,
    )
