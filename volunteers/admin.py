from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_reads import AuditedReadsAdmin
from pollcrew.service_admin import ServiceAdmin
from volunteers import services
from volunteers.forms import VolunteerForm
from volunteers.models import Skill, Team, Volunteer


@admin.register(Team)
class TeamAdmin(ServiceAdmin):
    list_display = ["name", "short_name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]

    def create(self, request, fields):
        return services.create_team(by=request.user, **fields)

    def update(self, request, obj, changes, form):
        return services.update_team(obj, by=request.user, **changes)

    def delete(self, request, obj):
        services.delete_team(obj, by=request.user)


@admin.register(Skill)
class SkillAdmin(ServiceAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]
    fields = ["name", "kind"]

    def create(self, request, fields):
        return services.create_skill(by=request.user, **fields)

    def update(self, request, obj, changes, form):
        return services.update_skill(obj, by=request.user, **changes)

    def delete(self, request, obj):
        services.delete_skill(obj, by=request.user)


@admin.register(Volunteer)
class VolunteerAdmin(AuditedReadsAdmin, ServiceAdmin):
    read_action = "read.volunteer"
    form = VolunteerForm
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
    fieldsets = (
        (None, {"fields": ("first_name", "last_name", "birth_date")}),
        (
            _("Contact"),
            {"fields": ("email", "phone", "preferred_channel", "language", "do_not_contact")},
        ),
        (_("Address"), {"fields": ("address", "postal_code", "city")}),
        (_("Other"), {"fields": ("teams", "skills", "diet", "notes")}),
    )

    def create(self, request, fields):
        return services.create_volunteer(by=request.user, **fields)

    def update(self, request, obj, changes, form):
        return services.update_volunteer(obj, by=request.user, **changes)

    def delete(self, request, obj):
        services.delete_volunteer(obj, by=request.user)
