"""Forms about people. Phone numbers are normalised to E.164 before anything
else sees them; every constraint of the model has a message of its own."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pollcrew.phones import normalize_mobile
from volunteers.models import Volunteer
from volunteers.services import VOLUNTEER_FIELDS, VOLUNTEER_M2M


class MobilePhoneField(forms.CharField):
    """Any way people write a mobile number ("20 12 34 56", "+45 20123456",
    "0045…"), stored as +4520123456. Anything else is a field error."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("help_text", _("A mobile number, e.g. 20 12 34 56 or +46 70 123 45 67."))
        super().__init__(**kwargs)

    def clean(self, value):
        return normalize_mobile(super().clean(value))


class VolunteerForm(forms.ModelForm):
    phone = MobilePhoneField(label=_("mobile phone"), required=False)

    class Meta:
        model = Volunteer
        fields = [*VOLUNTEER_FIELDS, *VOLUNTEER_M2M]
