"""Admin pages for elections and roles; and the areas' and stations' pages again,
with the checks that need elections (polling_stations sits below and cannot ask
where an area or a station is used)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from elections import services, where_used
from elections.models import Election, Role
from pollcrew.refusals import Refused
from pollcrew.service_admin import ServiceAdmin
from polling_stations import services as station_services
from polling_stations.admin import AreaAdmin, PollingStationAdmin
from polling_stations.models import Area, PollingStation


class RefusedInUse:
    """A delete confirmation page that says, in the words of the setup pages
    (``elections.where_used``), why what is in use cannot be deleted, and offers no
    delete button; the delete service refuses too (under its row lock)."""

    in_use: Callable[[Any], Refused | None]  # a staticmethod of where_used

    def get_deleted_objects(
        self, objs: Iterable[models.Model], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)  # type: ignore[misc]
        refusals = [refusal.message for refusal in map(self.in_use, objs) if refusal]
        return deleted, counts, perms, refusals or protected


@admin.register(Election)
class ElectionAdmin(ServiceAdmin):
    list_display = ["name", "kind", "election_date", "status", "lock_days", "response_days"]
    list_filter = ["status", "kind"]
    search_fields = ["name"]
    date_hierarchy = "election_date"
    autocomplete_fields = ["copied_from"]
    # The lifecycle has its own service; its actions are added by staffing, because
    # closing also cancels the messages about the election's seats (staffing/admin.py).
    readonly_fields = ["status"]

    def create(self, request, fields):
        return services.create_election(by=request.user, **fields)

    def update(self, request, obj, changes, form):
        return services.update_election(obj, by=request.user, **changes)

    def delete(self, request, obj):
        services.delete_election(obj, by=request.user)


@admin.register(Role)
class RoleAdmin(RefusedInUse, ServiceAdmin):
    in_use = staticmethod(where_used.role_refusal)

    list_display = [
        "name",
        "short_name",
        "default_start",
        "default_end",
        "pay",
        "min_age",
        "invite_only",
        "reminders_enabled",
        "sort_order",
    ]
    list_filter = ["invite_only", "reminders_enabled"]
    search_fields = ["name", "short_name"]

    def create(self, request, fields):
        return services.create_role(by=request.user, **fields)

    def update(self, request, obj, changes, form):
        return services.update_role(obj, by=request.user, **changes)

    def delete(self, request, obj):
        services.delete_role(obj, by=request.user)


class AreaInElectionsAdmin(RefusedInUse, AreaAdmin):
    """An area that has stations, or takes part in an election (``Election.areas``),
    is not deleted."""

    in_use = staticmethod(where_used.area_refusal)

    def delete(self, request, obj):
        station_services.delete_area(obj, by=request.user, check=where_used.check_area)


class StationInElectionsAdmin(RefusedInUse, PollingStationAdmin):
    """A station with shifts in any election is not deleted; the refusal says where."""

    in_use = staticmethod(where_used.station_refusal)

    def delete(self, request, obj):
        station_services.delete_station(obj, by=request.user, check=where_used.check_station)


admin.site.unregister(Area)
admin.site.register(Area, AreaInElectionsAdmin)
admin.site.unregister(PollingStation)
admin.site.register(PollingStation, StationInElectionsAdmin)
