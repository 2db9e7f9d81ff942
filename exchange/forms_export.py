"""The export pages' forms: the column picker with the file format, and the
assignment export's filters (the other exports take their page's filter form)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from elections.models import Election, Role
from exchange.exports.base import CSV, XLSX, Column
from polling_stations.models import Area
from staffing.models import Assignment
from volunteers.models import Team


class ExportForm(forms.Form):
    """Which columns, in which format. A GET form: the page's filters travel with
    it as hidden fields."""

    columns = forms.MultipleChoiceField(
        label=_("Columns"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-checkbox"}),
    )
    format = forms.ChoiceField(
        label=_("File format"),
        choices=[(CSV, _("CSV (comma-separated, UTF-8)")), (XLSX, _("Excel workbook (XLSX)"))],
        initial=CSV,
        widget=forms.RadioSelect(attrs={"class": "form-radio"}),
    )

    def __init__(
        self, *args: Any, columns: Sequence[Column], chosen: Sequence[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = [(c.key, c.label) for c in columns]
        self.fields["columns"].initial = list(chosen)


class AssignmentFilterForm(forms.Form):
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.none(), required=False, empty_label=_("All areas")
    )
    role = forms.ModelChoiceField(
        label=_("Role"), queryset=Role.objects.none(), required=False, empty_label=_("All roles")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Any")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *Assignment.Status.choices]
    )

    def __init__(self, *args: Any, election: Election, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = election.areas.order_by("sort_order", "name")
        self.fields["role"].queryset = Role.objects.filter(
            pk__in=election.shifts.values("role_id")
        ).order_by("sort_order", "name")
        self.fields["team"].queryset = Team.objects.filter(
            pk__in=election.shifts.values("team_id")
        ).order_by("name")
