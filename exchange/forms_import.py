"""The import pages' forms: the upload (kind, file, the grid's election) and the
column mapping (one choice of column per field, and what volunteers are matched on)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from elections.models import Election
from exchange.imports.fields import FIELDS
from exchange.models import ImportKind, MatchKey

NOT_IN_FILE = ""


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), widget=forms.RadioSelect)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (separated by ; , or tab; UTF-8 or Windows-1252) or Excel (.xlsx)."),
    )
    election = forms.ModelChoiceField(
        label=_("Election (for a seat grid)"), queryset=Election.objects.none(), required=False
    )

    def __init__(self, *args: Any, kinds: list[str], elections: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, ImportKind(k).label) for k in kinds]
        self.fields["election"].queryset = elections

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == ImportKind.GRID and not data.get("election"):
            self.add_error("election", _("Choose the election whose seat grid this is."))
        upload = data.get("file")
        if upload is not None and not upload.name.lower().endswith(
            (".csv", ".txt", ".xlsx", ".xlsm")
        ):
            self.add_error("file", _("Upload a .csv or .xlsx file."))
        return data


class MappingForm(forms.Form):
    """One select per field of the kind: which column of the file holds it."""

    def __init__(self, *args: Any, kind: str, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        columns = [(NOT_IN_FILE, _("— not in the file —"))] + [
            (str(i), header or _("(column %(n)d, no name)") % {"n": i + 1})
            for i, header in enumerate(headers)
        ]
        for spec in FIELDS[kind]:
            self.fields[f"col_{spec.name}"] = forms.ChoiceField(
                label=spec.label, choices=columns, required=False, help_text=spec.help
            )
        if kind == ImportKind.VOLUNTEERS:
            self.fields["match_key"] = forms.ChoiceField(
                label=_("Match people already known on"),
                choices=MatchKey.choices,
                widget=forms.RadioSelect,
                help_text=_(
                    "A row with a known value updates that person; otherwise a new one is created."
                ),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        used: dict[str, str] = {}
        for name, value in data.items():
            if name.startswith("col_") and value != NOT_IN_FILE and value is not None:
                if value in used:
                    self.add_error(name, _("This column is chosen for another field already."))
                used[value] = name
        return data

    def mapping(self) -> dict[str, int]:
        return {
            name[4:]: int(value)
            for name, value in self.cleaned_data.items()
            if name.startswith("col_") and value not in (NOT_IN_FILE, None)
        }

    def match_key(self) -> str:
        return self.cleaned_data.get("match_key") or MatchKey.PHONE

    def field_rows(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("col_")]
