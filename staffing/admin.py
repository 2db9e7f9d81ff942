"""Admin pages for seats and the people on them. Shifts are edited through the
staffing services (refusals with names, a confirmation that tells everyone
affected); assignments and links are read-only, with actions that call the
services (remove with a notice, revoke a link)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_reads import AuditedReadsAdmin
from elections.admin import ElectionAdmin
from elections.models import Election, Shift
from pollcrew.refusals import Refused
from pollcrew.service_admin import ReadOnlyAdmin, ServiceAdmin
from staffing import services
from staffing.fill import fill_of, with_fill
from staffing.models import Assignment, PersonalLink
from staffing.models_group_messages import GroupMessage
from staffing.services.closing import change_election_status
from volunteers.admin import VolunteerAdmin
from volunteers.models import Volunteer


class ShiftAdminForm(forms.ModelForm):
    confirm = forms.BooleanField(
        label=_("Carry out the change and tell the people affected"),
        required=False,
        help_text=_(
            "Needed when people hold seats on the shift and the change takes seats away "
            "or changes their shift: they all get a message."
        ),
    )

    class Meta:
        model = Shift
        fields = ["election", "station", "role", "team", "starts_at", "ends_at", "capacity"]


@admin.register(Shift)
class ShiftAdmin(ServiceAdmin):
    form = ShiftAdminForm
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
        return with_fill(super().get_queryset(request))

    @admin.display(description=_("accepted / seats"), ordering="fill_accepted")
    def filled(self, obj: Shift) -> str:
        fill = fill_of(obj)
        return f"{fill.accepted} / {fill.needed}"

    def get_readonly_fields(self, request, obj=None):
        # A shift stays in its election; copying an election makes new shifts.
        return ["election"] if obj is not None else []

    def create(self, request, fields):
        fields.pop("confirm", None)
        election = fields.pop("election")
        return services.create_shift(election, by=request.user, **fields)

    def update(self, request, obj, changes, form):
        changes.pop("confirm", None)
        confirm = bool(form.cleaned_data.get("confirm"))
        return services.update_shift(obj, by=request.user, confirm=confirm, **changes).shift

    # The delete confirmation page is the confirmation: holders are taken off
    # and told, instead of the admin refusing because answers are protected.
    def get_deleted_objects(self, objs, request):
        holders = Assignment.objects.holding_seat().filter(shift__in=objs)
        deleted, model_count, _perms, _protected = super().get_deleted_objects(objs, request)
        if holders:
            deleted = deleted + [
                _("%(name)s will be taken off the shift and told.") % {"name": a.volunteer}
                for a in holders.select_related("volunteer")
            ]
        return deleted, model_count, set(), []

    def delete(self, request, obj):
        services.delete_shift(obj, by=request.user, confirm=True)


@admin.action(description=_("Take off the shift and tell them"))
def remove_people(model_admin, request, queryset):
    removed = 0
    for assignment in queryset:
        try:
            services.remove(assignment, by=request.user, reason="admin")
            removed += 1
        except Refused as refusal:
            messages.warning(request, refusal.message)
    if removed:
        messages.success(
            request,
            ngettext("%(count)d person removed.", "%(count)d people removed.", removed)
            % {"count": removed},
        )


@admin.register(Assignment)
class AssignmentAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    read_action = "read.assignment"
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
    # Assignments change only through the services (capacity, overlap, age,
    # notices, audit): the admin shows them and offers this action.
    actions = [remove_people]


@admin.action(description=_("Revoke (the link stops working at once)"))
def revoke_links(model_admin, request, queryset):
    for link in queryset:
        services.revoke_link(link, by=request.user)
    messages.success(request, _("Links revoked."))


@admin.register(PersonalLink)
class PersonalLinkAdmin(ReadOnlyAdmin):
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
    fields = ["volunteer", "election", "created_at", "expires_at", "revoked_at", "last_used_at"]
    actions = [revoke_links]


@admin.register(GroupMessage)
class GroupMessageAdmin(ReadOnlyAdmin):
    """Group messages are written and sent on the election's page (the services
    audit them); here they are only read."""

    list_display = ["created_at", "election", "subject", "status", "recipients", "queued"]
    list_filter = ["status", "election"]
    list_select_related = ["election"]
    search_fields = ["subject", "body"]
    date_hierarchy = "created_at"


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ["shift", "status", "invited_at", "responded_at", "reason"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        # Each row shows str(assignment): the volunteer, the role and the station.
        return (
            super()
            .get_queryset(request)
            .select_related("volunteer", "shift__role", "shift__station")
        )


class VolunteerWithAssignmentsAdmin(VolunteerAdmin):
    """The volunteers app's admin, with the volunteer's seats below (staffing
    adds them: volunteers does not know assignments)."""

    inlines = [AssignmentInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # nobody has seats before they exist


admin.site.unregister(Volunteer)
admin.site.register(Volunteer, VolunteerWithAssignmentsAdmin)


def _status_action(status: str, label):
    def action(model_admin, request, queryset):
        for election in queryset:
            try:
                change = change_election_status(election, status, by=request.user)
            except Refused as refusal:
                messages.error(request, f"{election.name}: {refusal.message}")
                continue
            if change.cancelled:
                messages.info(
                    request,
                    ngettext(
                        "%(name)s: %(count)d queued message was cancelled.",
                        "%(name)s: %(count)d queued messages were cancelled.",
                        change.cancelled,
                    )
                    % {"name": election.name, "count": change.cancelled},
                )

    action.__name__ = f"make_{status}"
    return admin.action(description=label)(action)


class ElectionWithLifecycleAdmin(ElectionAdmin):
    """The elections app's admin, with the lifecycle as actions: staffing's
    change_election_status, so that closing cancels what has not gone out."""

    actions = [
        _status_action(Election.Status.ACTIVE, _("Activate (messages go out, answers accepted)")),
        _status_action(Election.Status.CLOSED, _("Close (no more messages or answers)")),
        _status_action(Election.Status.ARCHIVED, _("Archive")),
    ]


admin.site.unregister(Election)
admin.site.register(Election, ElectionWithLifecycleAdmin)
