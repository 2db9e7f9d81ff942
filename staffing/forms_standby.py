"""The office's standby settings form (staffing.views.standby). It only
validates; ``staffing.services.standby.update_standby_settings`` writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from elections.forms import STANDBY_LIMITS, ElectionForm
from elections.models import Election

FIELDS = ("standby_enabled", *(name for name, _least, _most in STANDBY_LIMITS))


class StandbySettingsForm(forms.ModelForm):
    """Whether freed seats go to the standby list, how long an offer lasts, to
    how many at once, and when election-day mode begins."""

    class Meta:
        model = Election
        fields = list(FIELDS)
        labels = {name: ElectionForm.Meta.labels[name] for name in FIELDS}
        help_texts = {
            name: text for name, text in ElectionForm.Meta.help_texts.items() if name in FIELDS
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, least, most in STANDBY_LIMITS:
            field = self.fields[name]
            field.min_value, field.max_value = least, most
            field.validators += [MinValueValidator(least), MaxValueValidator(most)]
            field.widget.attrs.update(min=least, max=most)
