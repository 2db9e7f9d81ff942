"""Forms of the volunteer's standby pages (portal.standby)."""

from __future__ import annotations

from django import forms


class JoinForm(forms.Form):
    """ "Put me on the standby list" of one full shift."""

    shift = forms.IntegerField(min_value=1)


class LeaveForm(forms.Form):
    """ "Take me off the list": one of the person's waiting entries."""

    entry = forms.IntegerField(min_value=1)
