"""Forms about people. Phone numbers are normalised to E.164 before anything
else sees them; every constraint of the model has a message of its own."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from pollcrew.ids import parse_id
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


class VolunteerPageForm(VolunteerForm):
    """The coordinator's create and edit page: the same fields and checks, with
    a date field, ticks for teams and skills, and a confirmation for likely
    duplicates (``duplicates_seen``: the ids of the records the user was warned
    about and chose to save anyway)."""

    duplicates_seen = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta(VolunteerForm.Meta):
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "teams": forms.CheckboxSelectMultiple,
            "skills": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.label = capfirst(field.label)

    def seen_duplicates(self) -> set[int]:
        """The ids the user confirmed; anything not a list of numbers is none."""
        raw = (self.data.get("duplicates_seen") or "") if self.is_bound else ""
        ids = (parse_id(part) for part in raw.split(",")[:1000])
        return {i for i in ids if i is not None}

    def changes(self) -> dict[str, object]:
        """The cleaned values the services take (fields and relations)."""
        return {name: self.cleaned_data[name] for name in (*VOLUNTEER_FIELDS, *VOLUNTEER_M2M)}
