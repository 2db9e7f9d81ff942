from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pollcrew.widgets import QuickSelect
from polling_stations.models import Area
from volunteers.models import Volunteer


class BoardFilterForm(forms.Form):
    q = forms.CharField(label=_("Search stations"), required=False, max_length=100)
    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Area.objects.all(),
        required=False,
        empty_label=_("All areas"),
        widget=QuickSelect,
    )
    understaffed = forms.BooleanField(label=_("Only stations with vacant seats"), required=False)


class VolunteerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find volunteers"),
        required=False,
        max_length=100,
        help_text=_("Name, email, phone number or postal code."),
    )


class InviteForm(forms.Form):
    volunteers = forms.ModelMultipleChoiceField(
        label=_("Volunteers"),
        queryset=Volunteer.objects.all(),
        error_messages={"required": _("Choose at least one volunteer to invite.")},
    )

    MAX_PER_INVITE = 500

    def __init__(self, *args, among=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if among is not None:  # only volunteers the inviter may see
            self.fields["volunteers"].queryset = among

    def clean_volunteers(self):
        chosen = self.cleaned_data["volunteers"]
        if len(chosen) > self.MAX_PER_INVITE:
            raise forms.ValidationError(
                _("Invite at most %(max)d volunteers at a time."),
                params={"max": self.MAX_PER_INVITE},
            )
        return chosen
