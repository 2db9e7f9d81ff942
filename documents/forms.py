"""The print page's form: which documents, and for which part of the election.
Every choice comes from the shifts the user may print (their scope)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from documents.kinds import Filters
from documents.models import DocumentKind
from elections.models import Role, Shift
from pollcrew.collation import danish_sorted
from polling_stations.models import Area, PollingStation
from volunteers.models import Team

ALL = [("", _("All"))]


def _choices(rows: QuerySet, label=str) -> list[tuple[str, str]]:
    return ALL + [(str(row.pk), label(row)) for row in danish_sorted(rows, key=label)]


class PrintForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Documents"),
        choices=DocumentKind.choices,
        widget=forms.RadioSelect(attrs={"class": "form-radio"}),
    )
    area = forms.TypedChoiceField(label=_("Area"), coerce=int, required=False, empty_value=None)
    station = forms.TypedChoiceField(
        label=_("Polling station"), coerce=int, required=False, empty_value=None
    )
    role = forms.TypedChoiceField(label=_("Role"), coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    day = forms.ChoiceField(label=_("Day"), required=False)
    only_unprinted = forms.BooleanField(
        label=_("Only letters not printed before"),
        required=False,
        help_text=_("Letters record when they were printed; leave out those already printed."),
    )
    as_zip = forms.BooleanField(
        label=_("One PDF per letter or sheet, in a ZIP file"),
        required=False,
        help_text=_("For sending by email. Otherwise one PDF to print in one go."),
    )

    def __init__(self, *args, shifts: QuerySet[Shift], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = _choices(
            Area.objects.filter(pk__in=shifts.values("station__area_id"))
        )
        self.fields["station"].choices = _choices(
            PollingStation.objects.filter(pk__in=shifts.values("station_id"))
        )
        self.fields["role"].choices = _choices(Role.objects.filter(pk__in=shifts.values("role_id")))
        self.fields["team"].choices = _choices(Team.objects.filter(pk__in=shifts.values("team_id")))
        self.fields["day"].choices = ALL + [
            (day.isoformat(), formats.date_format(day, "DATE_FORMAT"))
            for day in shifts.local_days()
        ]

    def filters(self) -> Filters:
        data = self.cleaned_data
        day = data.get("day")
        return Filters(
            area=data.get("area"),
            stations=(data["station"],) if data.get("station") else (),
            role=data.get("role"),
            team=data.get("team"),
            day=date.fromisoformat(day) if day else None,
            only_unprinted=bool(data.get("only_unprinted"))
            and data["kind"] in (DocumentKind.LETTERS, DocumentKind.INVITATIONS),
        )
