"""The message log's filters (a GET form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import Channel, Message
from pollcrew.ids import parse_id
from staffing.message_log import Filters, kind_choices
from volunteers import search

ANY = ("", _("Any"))


class MessageFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Message type"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[ANY, *Channel.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[ANY, *Message.Status.choices]
    )
    q = forms.CharField(
        label=_("Volunteer"),
        required=False,
        max_length=search.MAX_QUERY_LENGTH,
        help_text=_("Name, mobile number or email"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    day = forms.DateField(
        label=_("Day of the shift"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # A link from a volunteer's page: their messages only (no field on the page).
    volunteer = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [ANY, *kind_choices()]

    def filters(self) -> Filters:
        """The filters to apply; none when the form is not valid (the page shows
        the errors and every message)."""
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            kind=data["kind"],
            channel=data["channel"],
            status=data["status"],
            q=data["q"].strip(),
            volunteer=parse_id(data["volunteer"]) if data["volunteer"] else None,
            day=data["day"],
        )
