from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from elections.models import Election, Role, Shift


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "election_date", "status", "lock_days", "response_days"]
    list_filter = ["status", "kind"]
    search_fields = ["name"]
    date_hierarchy = "election_date"
    autocomplete_fields = ["copied_from"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
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
    list_editable = ["sort_order"]
    list_filter = ["invite_only", "reminders_enabled"]
    search_fields = ["name", "short_name"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = [
        "role",
        "station",
        "election",
        "starts_at",
        "ends_at",
        "capacity",
        "team",
        "filled",
    ]
    list_filter = ["election", "role", "station__area", "team"]
    list_select_related = ["role", "station", "election", "team"]
    search_fields = ["station__name", "role__name"]
    autocomplete_fields = ["election", "station", "role", "team"]
    date_hierarchy = "starts_at"

    def get_queryset(self, request):
        return super().get_queryset(request).with_fill_counts()

    @admin.display(description=_("accepted / seats"), ordering="accepted_count")
    def filled(self, obj: Shift) -> str:
        return f"{obj.accepted_count} / {obj.capacity}"  # type: ignore[attr-defined]
