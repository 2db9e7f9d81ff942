from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from elections.models import SEAT_HOLDING_STATUSES, Election, Role, Shift


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


class ShiftAdminForm(forms.ModelForm):
    """Editing a shift that people already hold must not break what the staffing
    services guarantee: seats for everyone holding one, no overlapping shifts."""

    class Meta:
        model = Shift
        fields = ["election", "station", "role", "team", "starts_at", "ends_at", "capacity"]

    def clean(self):
        cleaned = super().clean()
        shift = self.instance
        if shift.pk is None or self.errors:
            return cleaned
        holders = shift.assignments.filter(status__in=SEAT_HOLDING_STATUSES)
        held = holders.count()
        if not held:
            return cleaned
        if cleaned["capacity"] < held:
            self.add_error(
                "capacity",
                ngettext(
                    "%(held)d person holds a seat on this shift (invited or accepted); "
                    "take them off before lowering the seats below that.",
                    "%(held)d people hold a seat on this shift (invited or accepted); "
                    "take them off before lowering the seats below that.",
                    held,
                )
                % {"held": held},
            )
        if cleaned["election"] != shift.election or cleaned["station"] != shift.station:
            self.add_error(
                None,
                _(
                    "People hold seats on this shift: it cannot move to "
                    "another election or polling station."
                ),
            )
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and (starts, ends) != (shift.starts_at, shift.ends_at):
            clash = (
                Shift.objects.filter(
                    assignments__volunteer__in=holders.values("volunteer"),
                    assignments__status__in=SEAT_HOLDING_STATUSES,
                    starts_at__lt=ends,
                    ends_at__gt=starts,
                )
                .exclude(pk=shift.pk)
                .select_related("role", "station")
                .first()
            )
            if clash is not None:
                self.add_error(
                    "starts_at",
                    _(
                        "With these times, someone holding a seat here would also be on "
                        "another shift at the same time: %(shift)s."
                    )
                    % {"shift": clash},
                )
        return cleaned


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
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
        return super().get_queryset(request).with_fill_counts()

    @admin.display(description=gettext_lazy("accepted / seats"), ordering="accepted_count")
    def filled(self, obj: Shift) -> str:
        return f"{obj.accepted_count} / {obj.capacity}"  # type: ignore[attr-defined]
