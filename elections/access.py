"""One access helper per object. Outside the user's scope is a 404, never a 403,
so that nobody learns what exists. Each helper does its select_related up front."""

from __future__ import annotations

from django.http import Http404

from accounts.models import User
from elections.models import Election, Shift
from polling_stations.models import PollingStation

COORDINATE = "elections.coordinate_election"


def require_coordinator(user: User) -> None:
    if not (user.is_authenticated and user.is_active and user.has_perm(COORDINATE)):
        raise Http404


def get_election_for_user(user: User, election_id: int) -> Election:
    require_coordinator(user)
    election = Election.objects.filter(pk=election_id).first()
    if election is None:
        raise Http404
    return election


def get_station_for_user(user: User, election: Election, station_id: int) -> PollingStation:
    """A station that has shifts in ``election`` (checked with the user's scope)."""
    require_coordinator(user)
    station = (
        PollingStation.objects.select_related("area")
        .filter(pk=station_id, shifts__election=election)
        .distinct()
        .first()
    )
    if station is None:
        raise Http404
    return station


def get_shift_for_user(user: User, election: Election, shift_id: int) -> Shift:
    require_coordinator(user)
    shift = (
        Shift.objects.select_related("election", "station__area", "role", "team")
        .filter(pk=shift_id, election=election)
        .first()
    )
    if shift is None:
        raise Http404
    return shift
