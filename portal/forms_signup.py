"""The public sign-up forms (portal.signup)."""

from __future__ import annotations

from datetime import date
from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import Channel
from pollcrew.phones import normalize_mobile
from pollcrew.text import strip_controls

OLDEST = 120
_COUNTRIES = {"DK": _("Denmark")}


def _country_name(region: str) -> str:
    return str(_COUNTRIES.get(region, region))


class SeatFilterForm(forms.Form):
    postal_code = forms.CharField(label=_("Postal code"), max_length=10, required=False)
    area = forms.TypedChoiceField(label=_("Area"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, areas: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("All areas")), *areas]


class SignupForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    birth_date = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    proved = forms.ChoiceField(
        label=_("Send my code by"),
        choices=[(Channel.SMS, _("SMS")), (Channel.EMAIL, _("Email"))],
        initial=Channel.SMS,
        widget=forms.RadioSelect(attrs={"class": "form-radio"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def _name(self, field: str) -> str:
        name = strip_controls(self.cleaned_data.get(field, "")).strip()
        if not name:
            raise ValidationError(_("Write your name."), code="required")
        return name

    def clean_first_name(self) -> str:
        return self._name("first_name")

    def clean_last_name(self) -> str:
        return self._name("last_name")

    def clean_phone(self) -> str:
        phone = normalize_mobile(self.cleaned_data.get("phone", ""))
        region = settings.SMS_DEFAULT_REGION
        if phone and phonenumbers.region_code_for_number(phonenumbers.parse(phone)) != region:
            # Codes cost an SMS each: only the country's own numbers sign up here.
            raise ValidationError(
                _("Use a mobile number from %(country)s, or your email.")
                % {"country": _country_name(region)},
                code="foreign_phone",
            )
        return phone

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean_birth_date(self) -> date:
        born = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if born >= today or today.year - born.year > OLDEST:
            raise ValidationError(_("Check the date of birth."), code="birth_date")
        return born

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        proved = cleaned.get("proved")
        if proved == Channel.SMS and "phone" in cleaned and not cleaned["phone"]:
            self.add_error("phone", _("Write your mobile number: the code goes there."))
        if proved == Channel.EMAIL and "email" in cleaned and not cleaned["email"]:
            self.add_error("email", _("Write your email address: the code goes there."))
        return cleaned


class CodeForm(forms.Form):
    state = forms.CharField(max_length=4000)
    code = forms.CharField(label=_("Code"), max_length=100, strip=True, required=False)
