"""The form of a volunteer's wishes for one election (``staffing.services.preferences``):
the election's days, areas, polling stations (grouped by area) and roles as
check boxes, the most shifts, near home and whether they can help at all.

The coordinator's page uses it as it is; the personal page (portal) words it for
the volunteer. The choices are what the election uses (four queries); the
service checks them again when it saves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundWidget
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from elections.models import Election
from pollcrew.collation import danish_key
from staffing.services import preferences as service

TICKS = forms.CheckboxSelectMultiple


class PreferenceForm(forms.Form):
    available = forms.BooleanField(label=_("Can help in this election"), required=False)
    available_days = forms.MultipleChoiceField(
        label=_("Available days"),
        required=False,
        widget=TICKS,
        help_text=_("None ticked: any day."),
    )
    max_shifts = forms.IntegerField(
        label=_("Most shifts"),
        required=False,
        min_value=1,
        max_value=service.MOST_SHIFTS,
        help_text=_("Empty: the election's default."),
    )
    near_home = forms.BooleanField(
        label=_("Near home"),
        required=False,
        help_text=_("Prefer polling stations close to the volunteer's postal code."),
    )
    preferred_areas = forms.TypedMultipleChoiceField(
        label=_("Preferred areas"), coerce=int, required=False, widget=TICKS
    )
    preferred_stations = forms.TypedMultipleChoiceField(
        label=_("Preferred polling stations"), coerce=int, required=False, widget=TICKS
    )
    wanted_roles = forms.TypedMultipleChoiceField(
        label=_("Roles wanted"), coerce=int, required=False, widget=TICKS
    )
    refused_roles = forms.TypedMultipleChoiceField(
        label=_("Roles refused"),
        coerce=int,
        required=False,
        widget=TICKS,
        help_text=_("Never proposed for these."),
    )

    both_message = _("A role cannot be both wanted and refused: %(roles)s.")

    def __init__(self, *args: Any, election: Election, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.election = election
        self.fields["available_days"].choices = [
            (day.isoformat(), capfirst(date_format(day, "l j F Y")))
            for day in service.election_days(election)
        ]
        stations = service.election_stations(election).values_list(
            "pk", "name", "area__name", "area__sort_order", "sort_order"
        )
        grouped: dict[tuple[int, str], list[tuple[int, str]]] = {}
        for pk, name, area, area_order, _order in sorted(
            stations, key=lambda s: (s[3], danish_key(s[2]), s[4], danish_key(s[1]), s[0])
        ):
            grouped.setdefault((area_order, area), []).append((pk, name))
        self.fields["preferred_stations"].choices = [
            (area, options) for (_order, area), options in grouped.items()
        ]
        areas = service.election_areas(election).values_list("pk", "name", "sort_order")
        self.fields["preferred_areas"].choices = [
            (pk, name) for pk, name, _o in sorted(areas, key=lambda a: (a[2], danish_key(a[1])))
        ]
        roles = [
            (pk, name)
            for pk, name in service.election_roles(election)
            .order_by("sort_order", "name")
            .values_list("pk", "name")
        ]
        self.fields["wanted_roles"].choices = roles
        self.fields["refused_roles"].choices = roles

    def station_groups(self) -> list[tuple[str, list[BoundWidget], bool]]:
        """The station boxes per area: (area, boxes, any ticked)."""
        boxes = iter(self["preferred_stations"])
        groups = []
        for area, options in self.fields["preferred_stations"].choices:
            shown = [next(boxes) for _option in options]
            groups.append((area, shown, any(b.data["selected"] for b in shown)))
        return groups

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        both = set(cleaned.get("wanted_roles") or ()) & set(cleaned.get("refused_roles") or ())
        if both:
            names = [name for pk, name in self.fields["refused_roles"].choices if pk in both]
            self.add_error("refused_roles", self.both_message % {"roles": ", ".join(names)})
        return cleaned

    def wishes(self) -> dict[str, Any]:
        """The cleaned data as ``set_preference`` takes it."""
        data = self.cleaned_data
        return {
            "available": data["available"],
            "available_days": data["available_days"],
            "max_shifts": data["max_shifts"],
            "near_home": data["near_home"],
            "preferred_stations": data["preferred_stations"],
            "preferred_areas": data["preferred_areas"],
            "wanted_roles": data["wanted_roles"],
            "refused_roles": data["refused_roles"],
        }
