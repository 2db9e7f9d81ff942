from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from elections import services
from elections.models import Election, Role
from pollcrew.refusals import Refused
from pollcrew.service_admin import ServiceAdmin

Status = Election.Status


def _status_action(status: str, label):
    def action(model_admin, request, queryset):
        for election in queryset:
            try:
                services.set_election_status(election, status, by=request.user)
            except Refused as refusal:
                messages.error(request, f"{election.name}: {refusal.message}")

    action.__name__ = f"make_{status}"
    return admin.action(description=label)(action)


@admin.register(Election)
class ElectionAdmin(ServiceAdmin):
    list_display = ["name", "kind", "election_date", "status", "lock_days", "response_days"]
    list_filter = ["status", "kind"]
    search_fields = ["name"]
    date_hierarchy = "election_date"
    autocomplete_fields = ["copied_from"]
    # The lifecycle has its own service (and its actions below).
    readonly_fields = ["status"]
    actions = [
        _status_action(Status.ACTIVE, _("Activate (messages go out, answers accepted)")),
        _status_action(Status.CLOSED, _("Close (no more messages or answers)")),
        _status_action(Status.ARCHIVED, _("Archive")),
    ]

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
