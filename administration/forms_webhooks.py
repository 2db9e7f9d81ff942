from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models_webhooks import SUBSCRIBABLE


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_("Where the events are POSTed: https://… on the internet."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=SUBSCRIBABLE,
        initial=[value for value, _label in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-checkbox"}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
