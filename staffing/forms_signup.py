"""The office's form for a new sign-up link."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from elections.models import Election, Role, Shift
from polling_stations.models import Area, PollingStation
from staffing.models import SignupLink
from volunteers.models import Team


class SignupLinkForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the link is for"),
        choices=SignupLink.Kind.choices,
        initial=SignupLink.Kind.SEATS,
        widget=forms.RadioSelect(attrs={"class": "form-radio"}),
    )
    label = forms.CharField(
        label=_("Label"),
        max_length=100,
        help_text=_("For the office: where the link is used, e.g. “Library poster”."),
    )
    area = forms.ModelChoiceField(
        label=_("Only the area"), queryset=Area.objects.none(), required=False
    )
    station = forms.ModelChoiceField(
        label=_("Only the polling station"), queryset=PollingStation.objects.none(), required=False
    )
    role = forms.ModelChoiceField(
        label=_("Only the role"), queryset=Role.objects.none(), required=False
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.all(),
        required=False,
        help_text=_(
            "A team join link registers people into this team. A sign-up link with a team "
            "lists the seats reserved for it, and whoever signs up joins the team."
        ),
    )
    day = forms.TypedChoiceField(label=_("Only the day"), required=False, empty_value=None)
    expires_on = forms.DateField(
        label=_("Ends after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day the link works. Empty: until the election is over."),
    )
    seat_cap = forms.IntegerField(
        label=_("At most this many sign-ups"), required=False, min_value=1, max_value=100_000
    )

    def __init__(
        self, *args: Any, election: Election, teams: QuerySet[Team] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.election = election
        self.fields["team"].empty_label = _("None")
        if teams is not None:  # a team leader: their teams' join links only
            self.fields["kind"].choices = [(SignupLink.Kind.TEAM, SignupLink.Kind.TEAM.label)]
            self.fields["kind"].initial = SignupLink.Kind.TEAM
            self.fields["team"].queryset = teams
            self.fields["team"].required = True
            for name in ("area", "station", "role", "day"):
                del self.fields[name]
            return
        shifts = Shift.objects.filter(election=election)
        self.fields["area"].queryset = Area.objects.filter(pk__in=shifts.values("station__area"))
        self.fields["station"].queryset = PollingStation.objects.filter(
            pk__in=shifts.values("station")
        )
        self.fields["role"].queryset = Role.objects.filter(
            pk__in=shifts.values("role"), invite_only=False
        )
        days = shifts.local_days()
        self.fields["day"].choices = [("", _("Every day"))] + [
            (d.isoformat(), date_format(d, "DATE_FORMAT")) for d in days
        ]
        self.fields["day"].coerce = lambda value: datetime.fromisoformat(value).date()
        for name in ("area", "station", "role"):
            self.fields[name].empty_label = _("Any")

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."), code="past")
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("kind") == SignupLink.Kind.TEAM and not cleaned.get("team"):
            self.add_error("team", _("A team join link needs its team."))
        return cleaned

    def link_fields(self) -> dict[str, Any]:
        data = {"area": None, "station": None, "role": None, "day": None, **self.cleaned_data}
        day = data.pop("expires_on")
        tz = timezone.get_current_timezone()
        data["expires_at"] = datetime.combine(day, time.max, tzinfo=tz) if day else None
        if data["kind"] == SignupLink.Kind.TEAM:
            data.update(area=None, station=None, role=None, day=None)
        return data
