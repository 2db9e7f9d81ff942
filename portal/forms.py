from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=1000, strip=True
    )


CHANNELS = [("sms", _("Mobile number")), ("email", _("Email"))]


class NeedsForm(forms.Form):
    diet = forms.CharField(
        label=_("Diet or accessibility needs"), required=False, max_length=200, strip=True
    )


class ContactForm(forms.Form):
    channel = forms.ChoiceField(choices=CHANNELS)
    address = forms.CharField(label=_("New mobile number or email"), max_length=254, strip=True)


class VerifyForm(forms.Form):
    channel = forms.ChoiceField(choices=CHANNELS)
    address = forms.CharField(max_length=254)
    code = forms.CharField(label=_("Code"), max_length=12, strip=True)
