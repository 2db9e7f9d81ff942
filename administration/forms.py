from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import ActorKind, StaffRole, User
from elections.models import Election
from polling_stations.models import PollingStation
from volunteers.models import Team


class StaffUserForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)


class GrantForm(forms.Form):
    role = forms.ChoiceField(
        label=pgettext_lazy("staff permission", "Role"),
        choices=[("", _("Choose a role")), *StaffRole.choices],
    )
    elections = forms.ModelMultipleChoiceField(
        label=_("Elections"),
        queryset=Election.objects.all(),
        required=False,
        help_text=_("None chosen: every election (coordinators and viewers)."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    stations = forms.ModelMultipleChoiceField(
        label=_("Polling stations"),
        queryset=PollingStation.objects.select_related("area").order_by("area__name", "name"),
        required=False,
        help_text=_("Station managers see and print these stations' rosters."),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.all(),
        required=False,
        help_text=_("Team leaders see their teams and the seats reserved for them."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        label=_("Staff user"),
        queryset=User.objects.order_by("email"),
        required=False,
        empty_label=_("Anyone"),
    )
    actor_kind = forms.ChoiceField(
        label=_("Who"), choices=[("", _("Anyone")), *ActorKind.choices], required=False
    )
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=100)
    election = forms.ModelChoiceField(
        label=_("Election"),
        queryset=Election.objects.all(),
        required=False,
        empty_label=_("All elections"),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned
