from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from volunteers.models import Volunteer


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

    def clean_volunteers(self):
        chosen = self.cleaned_data["volunteers"]
        if len(chosen) > self.MAX_PER_INVITE:
            raise forms.ValidationError(
                _("Invite at most %(max)d volunteers at a time."),
                params={"max": self.MAX_PER_INVITE},
            )
        return chosen


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=1000, strip=True
    )
