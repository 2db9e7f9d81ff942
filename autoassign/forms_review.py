"""The forms of the auto-assign pages (autoassign.views): start a run (optionally
for one area, station, role or day, with a time limit), accept a proposal or send
its next wave (how many invitations), swap a proposed person. They only read and
check the input; ``autoassign.job`` and ``autoassign.review`` write."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from autoassign.job import DEFAULT_TIME_LIMIT, MAX_TIME_LIMIT
from elections.models import Election, Role, Shift
from polling_stations.models import Area, PollingStation
from volunteers.models import Volunteer

MAX_WAVE = 100_000


class RunForm(forms.Form):
    """What to propose for: everything open, or one area, station, role or day."""

    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.none(), required=False, empty_label=_("All areas")
    )
    station = forms.ModelChoiceField(
        label=_("Polling station"),
        queryset=PollingStation.objects.none(),
        required=False,
        empty_label=_("All polling stations"),
    )
    role = forms.ModelChoiceField(
        label=_("Role"), queryset=Role.objects.none(), required=False, empty_label=_("All roles")
    )
    day = forms.TypedChoiceField(
        label=_("Day"), required=False, coerce=date.fromisoformat, empty_value=None
    )
    time_limit = forms.IntegerField(
        label=_("Time limit (seconds)"),
        required=False,
        min_value=1,
        max_value=MAX_TIME_LIMIT,
        help_text=_(
            "The longest the solver may search for the best proposal. Empty: %(seconds)d seconds."
        )
        % {"seconds": DEFAULT_TIME_LIMIT},
    )

    def __init__(self, *args: Any, election: Election, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shifts = Shift.objects.filter(election=election)
        stations = PollingStation.objects.filter(pk__in=shifts.values("station_id"))
        self.fields["area"].queryset = Area.objects.filter(
            pk__in=stations.values("area_id")
        ).order_by("name")
        self.fields["station"].queryset = stations.order_by("name")
        self.fields["role"].queryset = Role.objects.filter(
            pk__in=shifts.values("role_id")
        ).order_by("sort_order", "name")
        starts = shifts.values_list("starts_at", flat=True).order_by("starts_at")
        days = sorted({timezone.localtime(s).date() for s in starts})
        self.fields["day"].choices = [("", _("All days"))] + [
            (d.isoformat(), date_format(d, "DATE_FORMAT")) for d in days
        ]
        self.fields["time_limit"].widget.attrs.update(min=1, max=MAX_TIME_LIMIT)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        area, station = data.get("area"), data.get("station")
        if area is not None and station is not None and station.area_id != area.pk:
            self.add_error("station", _("This polling station is not in the area chosen."))
        return data


class WaveForm(forms.Form):
    """How many invitations go out now (accepting, or the next wave)."""

    size = forms.IntegerField(
        label=_("Invitations in this wave"),
        required=False,
        min_value=1,
        max_value=MAX_WAVE,
    )

    def __init__(self, *args: Any, default: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["size"]
        field.help_text = _("Empty: %(count)d, the election's wave size.") % {"count": default}
        field.widget.attrs.update(min=1, max=MAX_WAVE, placeholder=str(default))


class SwapForm(forms.Form):
    """The person to put on a proposed seat instead (among those the user may see)."""

    volunteer = forms.ModelChoiceField(
        label=_("Volunteer"),
        queryset=Volunteer.objects.none(),
        error_messages={"invalid_choice": _("Choose someone from the list.")},
    )

    def __init__(self, *args: Any, among: QuerySet[Volunteer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = among
