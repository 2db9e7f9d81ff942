from django.contrib import admin

from elections import services
from elections.models import Election, Role
from pollcrew.service_admin import ServiceAdmin


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
class RoleAdmin(ServiceAdmin):
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
