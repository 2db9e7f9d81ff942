"""Forms of the volunteer pages: the list's search and filters, the selection sent
to the invite page, and the merge (which record survives)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from elections.models import Election
from volunteers import search
from volunteers.models import Skill, Team, Volunteer


class SeatStatus:
    """The list's status filter: a volunteer's seats in the chosen election."""

    NO_SEAT = "no_seat"
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    CHOICES = [
        ("", _("Any")),
        (NO_SEAT, _("No seat")),
        (INVITED, _("Invited, no answer yet")),
        (ACCEPTED, _("Accepted")),
        (DECLINED, _("Declined")),
    ]


class VolunteerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=search.MAX_QUERY_LENGTH,
        help_text=_("Name, mobile number or email"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Any")
    )
    skill = forms.ModelChoiceField(
        label=_("Skill"), queryset=Skill.objects.none(), required=False, empty_label=_("Any")
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Any")), *Volunteer.Language.choices],
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Any")), *Volunteer.Channel.choices],
    )
    # Choices from the elections the view has loaded already (no query of its own).
    election = forms.TypedChoiceField(label=_("Election"), required=False, coerce=int)
    status = forms.ChoiceField(
        label=_("Status in the election"), required=False, choices=SeatStatus.CHOICES
    )

    def __init__(
        self,
        *args: Any,
        teams: QuerySet[Team],
        skills: QuerySet[Skill],
        elections: list[Election],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["skill"].queryset = skills
        self.fields["election"].choices = [(e.pk, e.name) for e in elections]
        self._elections = {e.pk: e for e in elections}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # The chosen election as an object (None when none is chosen).
        data["election"] = self._elections.get(data.get("election") or 0)
        if data.get("status") and not data.get("election"):
            self.add_error("election", _("Choose the election the status is about."))
        return data


class MergeForm(forms.Form):
    """Merge ``other`` into this page's volunteer, or the other way round."""

    other = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    keep = forms.ChoiceField(
        label=_("Which record is kept?"),
        choices=[("this", _("this record")), ("other", _("the other record"))],
        widget=forms.RadioSelect,
        initial="this",
    )
