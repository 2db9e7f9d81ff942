from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from polling_stations.models import Area


class BoardFilterForm(forms.Form):
    q = forms.CharField(label=_("Search stations"), required=False, max_length=100)
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.all(), required=False, empty_label=_("All areas")
    )
    understaffed = forms.BooleanField(label=_("Only stations with vacant seats"), required=False)
