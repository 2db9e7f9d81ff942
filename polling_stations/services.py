"""Writes to areas and polling stations, audited; deleting one in use is refused
with where it is used."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts import services as account_services
from accounts import writes
from accounts.models import ScopeKind, User
from polling_stations.models import Area, PollingStation

AREA_FIELDS = ("name",)
STATION_FIELDS = (
    "area",
    "name",
    "address",
    "postal_code",
    "city",
    "capacity_note",
    "manager_contact",
)


def create_area(*, by: User | None, name: str) -> Area:
    return writes.create(Area, "polling_stations.create_area", {"name": name}, AREA_FIELDS, by=by)


def update_area(area: Area, *, by: User | None, **changes: Any) -> Area:
    return writes.update(area, "polling_stations.update_area", changes, AREA_FIELDS, by=by)


def delete_area(area: Area, *, by: User | None) -> None:
    """Refused while the area has polling stations."""
    writes.delete(area, "polling_stations.delete_area", AREA_FIELDS, by=by)


def create_station(*, by: User | None, **fields: Any) -> PollingStation:
    return writes.create(
        PollingStation, "polling_stations.create_station", fields, STATION_FIELDS, by=by
    )


def update_station(station: PollingStation, *, by: User | None, **changes: Any) -> PollingStation:
    return writes.update(station, "polling_stations.update_station", changes, STATION_FIELDS, by=by)


def delete_station(station: PollingStation, *, by: User | None) -> None:
    """Refused while any election has shifts at the station; station managers'
    grants stop covering it."""
    with transaction.atomic():
        pk = station.pk
        writes.delete(station, "polling_stations.delete_station", STATION_FIELDS, by=by)
        account_services.forget_scope_object(ScopeKind.STATION, pk, by=by)
