"""What a seat means to a person: the wishes it meets (flags and their names),
distance from home, last election's placement — and the points of one pair
weighed as the optimiser weighs every pair (``pair_wishes``, for a seat changed
by hand)."""

from __future__ import annotations

import numpy as np

from autoassign.models import Weights
from elections.models import Election, Shift
from polling_stations.models import PostalCode
from staffing.models import FILLED_STATUSES, Assignment, Preference
from volunteers.models import Volunteer

# Wish flags on a pair (ProposalRow.wishes holds their names).
STATION, AREA, NEAR, LAST, ROLE, EXPERIENCE = 1, 2, 4, 8, 16, 32
WISH_CODES = {
    STATION: "station",
    AREA: "area",
    NEAR: "near",
    LAST: "last",
    ROLE: "role",
    EXPERIENCE: "experience",
}
# The pair filters, in order (explain words each).
EARTH_KM_PER_DEGREE = 111.2


def wish_names(flags: int) -> list[str]:
    return [name for bit, name in WISH_CODES.items() if flags & bit]


def km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Distance in km (equirectangular: plenty within a country)."""
    mean_lat = np.radians((lat1 + lat2) / 2)
    dx = (lon2 - lon1) * np.cos(mean_lat)
    dy = lat2 - lat1
    return EARTH_KM_PER_DEGREE * np.sqrt(dx * dx + dy * dy)


def previous_election(election: Election) -> Election | None:
    """The election last time's placements come from: the one this was copied
    from, else the latest earlier one."""
    if election.copied_from_id:
        return Election.objects.filter(pk=election.copied_from_id).first()
    return (
        Election.objects.filter(election_date__lt=election.election_date)
        .order_by("-election_date", "-pk")
        .first()
    )


def pair_wishes(election: Election, shift: Shift, volunteer: Volunteer, weights: Weights):
    """The wish points and wishes met of one (person, shift) pair, weighed as
    ``load`` weighs them (for a seat changed by hand). A handful of queries."""
    flags, score = 0, 0.0
    pref = (
        Preference.objects.filter(election=election, volunteer=volunteer)
        .prefetch_related("preferred_stations", "preferred_areas", "wanted_roles")
        .first()
    )
    stations = {s.pk for s in pref.preferred_stations.all()} if pref else set()
    areas = {a.pk for a in pref.preferred_areas.all()} if pref else set()
    if shift.station_id in stations:
        flags, score = flags | STATION, score + weights.preferred_station
    if shift.station.area_id in areas:
        flags, score = flags | AREA, score + weights.preferred_area
    near_home = bool(pref and pref.near_home)
    if near_home or not (stations or areas):
        station = shift.station
        positions = {
            pc.code: (pc.latitude, pc.longitude)
            for pc in PostalCode.objects.filter(
                code__in={volunteer.postal_code, station.postal_code}
            )
        }
        home = positions.get(volunteer.postal_code)
        there = (
            (station.latitude, station.longitude)
            if station.latitude is not None
            else positions.get(station.postal_code)
        )
        if home and there:
            distance = float(
                km(np.array(home[0]), np.array(home[1]), np.array(there[0]), np.array(there[1]))
            )
            closeness = max(0.0, 1.0 - distance / float(weights.max_km))
            score += weights.near_home * closeness
            if near_home and closeness >= 0.5:
                flags |= NEAR
    previous = previous_election(election)
    if (
        previous is not None
        and Assignment.objects.filter(
            shift__election=previous,
            status__in=FILLED_STATUSES,
            volunteer=volunteer,
            shift__station_id=shift.station_id,
            shift__role_id=shift.role_id,
        ).exists()
    ):
        flags, score = flags | LAST, score + weights.last_placement
    if pref and shift.role_id in {r.pk for r in pref.wanted_roles.all()}:
        flags, score = flags | ROLE, score + weights.wanted_role
    if Assignment.objects.filter(
        shift__election__election_date__lt=election.election_date,
        status__in=FILLED_STATUSES,
        volunteer=volunteer,
        shift__role_id=shift.role_id,
    ).exists():
        flags, score = flags | EXPERIENCE, score + weights.experience
    return score, wish_names(flags)
