"""The group message form: which seats (from the shifts the user manages), the
subject and the text, with its placeholders checked."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from elections.models import Role, Shift
from pollcrew.collation import danish_sorted
from polling_stations.models import Area, PollingStation
from staffing import group_messages as groups
from staffing.models import Assignment, GroupMessage
from volunteers.models import Team

ALL = [("", _("All"))]
MAX_BODY = 1000


def _choices(rows: QuerySet, label=str) -> list[tuple[str, str]]:
    return ALL + [(str(row.pk), label(row)) for row in danish_sorted(rows, key=label)]


class GroupMessageForm(forms.Form):
    area = forms.TypedChoiceField(label=_("Area"), coerce=int, required=False, empty_value=None)
    station = forms.TypedChoiceField(
        label=_("Polling station"), coerce=int, required=False, empty_value=None
    )
    role = forms.TypedChoiceField(label=_("Role"), coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    day = forms.ChoiceField(label=_("Day"), required=False)
    statuses = forms.MultipleChoiceField(
        label=_("Seats that are"),
        choices=[(s, label) for s, label in Assignment.Status.choices if s in groups.STATUSES],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-checkbox"}),
        error_messages={"required": _("Choose at least one.")},
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        help_text=_("The email's subject. SMS have none."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text. Placeholders in curly brackets are filled in for each person."),
    )

    def __init__(self, *args: Any, shifts: QuerySet[Shift], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"statuses": list(groups.STATUSES)})
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

    def _placeholders(self, name: str) -> str:
        text = self.cleaned_data[name]
        errors = groups.placeholder_errors(text)
        if errors:
            raise forms.ValidationError(errors)
        return text

    def clean_subject(self) -> str:
        return self._placeholders("subject")

    def clean_body(self) -> str:
        return self._placeholders("body")

    def filters(self) -> groups.Filters:
        data = self.cleaned_data
        day = data.get("day")
        return groups.Filters(
            area=data.get("area"),
            station=data.get("station"),
            role=data.get("role"),
            team=data.get("team"),
            day=date.fromisoformat(day) if day else None,
            statuses=tuple(s for s in groups.STATUSES if s in data["statuses"]),
        )


def initial_from(group: GroupMessage) -> dict[str, Any]:
    """The form's values for a draft."""
    filters = groups.Filters.from_json(group.filters)
    return {
        "area": filters.area,
        "station": filters.station,
        "role": filters.role,
        "team": filters.team,
        "day": filters.day.isoformat() if filters.day else "",
        "statuses": list(filters.statuses),
        "subject": group.subject,
        "body": group.body,
    }
