"""The forms of auto-assign's settings page (autoassign.views_settings): the weights
and limits, and a new seat rule. They only read and check the input;
``autoassign.settings_services`` writes (and checks again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from autoassign.models import SeatRule, Weights
from autoassign.settings_services import (
    LIMITS,
    RULE_COUNT,
    RULE_FIELDS,
    SETTINGS_FIELDS,
    rule_errors,
)
from elections.models import Election, Role
from pollcrew.collation import danish_sorted
from polling_stations.models import PollingStation
from staffing.services.preferences import election_stations
from volunteers.models import Skill

# What each setting means, in plain words (the model's help texts are for the admin).
HELP = {
    "preferred_station": _("Points when the seat is at a polling station the person asked for."),
    "preferred_area": _("Points when the seat is in an area the person asked for."),
    "near_home": _(
        "Points when the seat is close to the person's home (by postal code): all of them "
        "in their own postal code, fewer the farther away, none at the farthest distance below."
    ),
    "last_placement": _(
        "Points when the person gets the same station and role as in the last election."
    ),
    "wanted_role": _("Points when the seat is in a role the person said they want."),
    "experience": _(
        "Points when the person has held this role in an earlier election; counts most for chairs."
    ),
    "max_km": _(
        "People whose postal code is known are only proposed for stations this close to home, "
        "or for stations and areas they asked for."
    ),
    "nearest_stations": _(
        "Of the stations within that distance, only this many nearest are considered for each "
        "person (besides those they asked for). Fewer makes auto-assign quicker."
    ),
    "default_max_shifts": _(
        "The most seats one person gets in this election, unless they said a number themselves."
    ),
    "wave_size": _(
        "When you accept a proposal, this many invitations go out at once; "
        "the next wave when you send it."
    ),
    "next_wave_at": _(
        "When this share (%) of a wave has answered, the next wave goes out by itself "
        "(checked every five minutes). 0: only when you send it."
    ),
}


class WeightsForm(forms.ModelForm):
    """The points of each wish and the limits of the search."""

    class Meta:
        model = Weights
        fields = list(SETTINGS_FIELDS)
        help_texts = HELP

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (least, most) in LIMITS.items():
            field = self.fields[name]
            field.required = True
            field.min_value, field.max_value = least, most
            field.validators += [MinValueValidator(least), MaxValueValidator(most)]
            field.widget.attrs.update(min=least, max=most, inputmode="numeric")

    def changes(self) -> dict[str, int]:
        """The values to save (all of them: the service writes only what differs)."""
        return {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}


class StationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: PollingStation) -> str:
        return f"{obj.name} ({obj.area.name})"


def skill_choices() -> list[tuple[Any, Any]]:
    """The skills in groups: languages, trainings, other skills (one query), each
    in Danish order."""
    groups: dict[str, list[tuple[int, str]]] = {kind: [] for kind in Skill.Kind.values}
    for pk, name, kind in danish_sorted(
        Skill.objects.order_by().values_list("pk", "name", "kind"), key=lambda row: row[1]
    ):
        groups.setdefault(kind, []).append((pk, name))
    titles = {
        Skill.Kind.LANGUAGE: _("Languages"),
        Skill.Kind.TRAINING: _("Trainings"),
        Skill.Kind.SKILL: _("Other skills"),
    }
    choices: list[tuple[Any, Any]] = [("", _("None (for “at most K from one party”)"))]
    for kind in (Skill.Kind.LANGUAGE, Skill.Kind.TRAINING, Skill.Kind.SKILL):
        if groups[kind]:
            choices.append((titles[kind], groups[kind]))
    return choices


class SeatRuleForm(forms.Form):
    """A new seat rule: its kind, its number, and what it applies to."""

    kind = forms.ChoiceField(
        label=_("Kind of rule"), choices=SeatRule.Kind.choices, widget=forms.RadioSelect
    )
    count = forms.IntegerField(
        label=_("Number (N or K)"),
        min_value=RULE_COUNT[0],
        max_value=RULE_COUNT[1],
        help_text=_("How many people at least with the skill, or at most from one party."),
    )
    skill = forms.TypedChoiceField(
        label=_("Skill, training or language"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Only for “at least N with a skill”."),
    )
    role = forms.ModelChoiceField(
        label=_("Role"),
        queryset=Role.objects.order_by("sort_order", "name"),
        required=False,
        empty_label=_("All roles"),
    )
    station = StationChoice(
        label=_("Polling station"),
        queryset=PollingStation.objects.none(),
        required=False,
        empty_label=_("Every station"),
    )

    def __init__(self, *args: Any, election: Election, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.election = election
        self.fields["skill"].choices = skill_choices()
        self.fields["station"].queryset = (
            election_stations(election)
            .select_related("area")
            .order_by("area__sort_order", "area__name", "sort_order", "name")
        )
        self.fields["count"].widget.attrs.update(inputmode="numeric")

    def clean_skill(self) -> Skill | None:
        pk = self.cleaned_data.get("skill")
        if pk is None:
            return None
        skill = Skill.objects.filter(pk=pk).first()
        if skill is None:
            raise forms.ValidationError(_("Choose a skill from the list."))
        return skill

    def clean(self) -> dict[str, Any]:
        """The kind and skill must fit together (as the service checks, so that
        the page says it together with the other fields' errors)."""
        data = super().clean()
        if "kind" in data and "skill" in data:
            errors = rule_errors(
                self.election,
                kind=data["kind"],
                count=RULE_COUNT[0],
                skill=data["skill"],
                station=None,
            )
            if "skill" in errors:
                self.add_error("skill", errors["skill"])
        return data

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in RULE_FIELDS}
