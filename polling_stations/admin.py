"""Admin pages for areas and polling stations, through their services.

Whether an area or a station is used by an election is for elections to say (it
sits above): elections/admin.py registers these pages again with that check on
delete (``elections.where_used``), so the admin refuses as the setup pages do.
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from pollcrew.service_admin import ServiceAdmin
from polling_stations import services
from polling_stations.models import Area, PollingStation


@admin.register(Area)
class AreaAdmin(ServiceAdmin):
    list_display = ["name", "station_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_stations=Count("stations"))

    @admin.display(description=_("stations"), ordering="n_stations")
    def station_count(self, obj: Area) -> int:
        return obj.n_stations  # type: ignore[attr-defined]

    def create(self, request, fields):
        return services.create_area(by=request.user, **fields)

    def update(self, request, obj, changes, form):
        return services.update_area(obj, by=request.user, **changes)

    def delete(self, request, obj):
        services.delete_area(obj, by=request.user)


@admin.register(PollingStation)
class PollingStationAdmin(ServiceAdmin):
    list_display = ["name", "area", "address", "postal_code", "city", "manager_contact"]
    list_filter = ["area"]
    list_select_related = ["area"]
    search_fields = ["name", "address", "postal_code", "city"]
    autocomplete_fields = ["area"]

    def create(self, request, fields):
        return services.create_station(by=request.user, **fields)

    def update(self, request, obj, changes, form):
        return services.update_station(obj, by=request.user, **changes)

    def delete(self, request, obj):
        services.delete_station(obj, by=request.user)
