from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from volunteers.models import Assignment, PersonalLink, Skill, Team, Volunteer


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ["shift", "status", "invited_at", "responded_at", "reason"]
    readonly_fields = ["shift", "status", "invited_at", "responded_at", "reason"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        # Assignments are made through the invite flow, which enforces the rules.
        return False

    def get_queryset(self, request):
        # Each row shows str(assignment): the volunteer, the role and the station.
        return (
            super()
            .get_queryset(request)
            .select_related("volunteer", "shift__role", "shift__station")
        )


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    list_display = [
        "last_name",
        "first_name",
        "email",
        "phone",
        "birth_date",
        "preferred_channel",
        "language",
        "do_not_contact",
    ]
    list_filter = ["preferred_channel", "language", "do_not_contact", "teams", "skills"]
    search_fields = ["first_name", "last_name", "email", "phone", "postal_code"]
    filter_horizontal = ["teams", "skills"]
    inlines = [AssignmentInline]
    fieldsets = (
        (None, {"fields": ("first_name", "last_name", "birth_date")}),
        (
            _("Contact"),
            {"fields": ("email", "phone", "preferred_channel", "language", "do_not_contact")},
        ),
        (_("Address"), {"fields": ("address", "postal_code", "city")}),
        (_("Other"), {"fields": ("teams", "skills", "diet", "notes")}),
    )


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["volunteer", "shift", "status", "invited_at", "responded_at"]
    list_filter = ["status", "shift__election", "shift__role", "shift__station__area"]
    list_select_related = ["volunteer", "shift__role", "shift__station"]
    search_fields = [
        "volunteer__first_name",
        "volunteer__last_name",
        "volunteer__email",
        "volunteer__phone",
        "shift__station__name",
    ]
    date_hierarchy = "invited_at"
    # Status changes go through the services (capacity, overlap and age rules).
    readonly_fields = [
        "shift",
        "volunteer",
        "status",
        "invited_at",
        "invited_by",
        "responded_at",
        "checked_in_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PersonalLink)
class PersonalLinkAdmin(admin.ModelAdmin):
    list_display = [
        "volunteer",
        "election",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["election"]
    list_select_related = ["volunteer", "election"]
    search_fields = ["volunteer__first_name", "volunteer__last_name", "volunteer__email"]
    readonly_fields = ["volunteer", "election", "created_at", "expires_at", "last_used_at"]
    fields = ["volunteer", "election", "created_at", "expires_at", "revoked_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False
