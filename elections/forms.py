"""The election forms of the coordinator's pages. They only validate input; the
services (elections.services) make the writes and apply the rules that need the
database (the window around the election date, areas that still have seats)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from elections import window
from elections.models import Election
from polling_stations.models import Area

MAX_DAYS = 365


class DateInput(forms.DateInput):
    """The browser's date picker; its value is always YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ElectionForm(forms.ModelForm):
    """Create or edit an election. The areas are ticked boxes, every area by default."""

    areas = forms.ModelMultipleChoiceField(
        label=_("Areas taking part"),
        queryset=Area.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Every polling station in these areas is on the board."),
    )

    class Meta:
        model = Election
        fields = ["name", "kind", "election_date", "response_days", "lock_days", "areas"]
        widgets = {"election_date": DateInput()}
        labels = {
            "name": _("Name"),
            "kind": _("Kind"),
            "election_date": _("Election day"),
            "response_days": _("Days to answer"),
            "lock_days": _("Lock days"),
        }
        help_texts = {
            "name": _("As volunteers see it in messages, e.g. “Folketingsvalg 2027”."),
            "response_days": _(
                "An invitation not answered within this many days expires and frees its seat."
            ),
            "lock_days": _(
                "Volunteers cannot change their answer online this many days before a shift; "
                "the election office can."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and "areas" not in self.initial:
            self.initial["areas"] = list(Area.objects.values_list("pk", flat=True))
        self.fields["areas"].label_from_instance = lambda area: area.name
        # The constraint's rule as a field rule, so that its error is shown at the field.
        for name, least in (("response_days", 1), ("lock_days", 0)):
            field = self.fields[name]
            field.min_value, field.max_value = least, MAX_DAYS
            field.validators += [MinValueValidator(least), MaxValueValidator(MAX_DAYS)]
            field.widget.attrs.update(min=least, max=MAX_DAYS)

    def clean_areas(self) -> QuerySet[Area]:
        areas = self.cleaned_data["areas"]
        if not areas and Area.objects.exists():
            raise forms.ValidationError(_("Choose at least one area."), code="no_areas")
        return areas


class NewElectionForm(ElectionForm):
    """A new election, from nothing or as a copy of an existing one."""

    copy_from = forms.ModelChoiceField(
        label=_("Copy seats from"),
        queryset=Election.objects.none(),
        required=False,
        empty_label=_("Nothing: start empty"),
        help_text=_(
            "Its seat grid is copied, every shift re-dated to the new election day. "
            "Kind, days and areas are taken from it unless you change them here. "
            "People are not copied."
        ),
    )

    field_order = ["copy_from", "name", "kind", "election_date"]

    def __init__(self, *args: Any, sources: QuerySet[Election], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].queryset = sources
        self.fields["copy_from"].label_from_instance = _source_label

    def overrides(self) -> dict[str, Any]:
        """For a copy: the fields changed here, which win over the source's."""
        return {
            name: self.cleaned_data[name]
            for name in ("kind", "response_days", "lock_days", "areas")
            if name in self.changed_data
        }


def _source_label(election: Election) -> str:
    return f"{election.name} ({date_format(election.election_date, 'SHORT_DATE_FORMAT')})"


class CopyElectionForm(forms.Form):
    """A copy of an election: its new name and day."""

    name = forms.CharField(label=_("Name of the new election"), max_length=200)
    election_date = forms.DateField(
        label=_("Election day"), widget=DateInput(), validators=[window.check_election_date]
    )
