"""The filters of the API's lists: the fields the pages filter by (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.scopes import Capability, scope_of
from api.serializers import MAX_ID
from elections.models import Election, Shift
from notifications.models import Channel, Message
from polling_stations.models import PollingStation
from staffing import access
from staffing.forms_volunteers import SeatStatus
from staffing.models import Assignment
from staffing.volunteer_list import with_status
from volunteers import search
from volunteers.models import Team, Volunteer


class IdFilter(df.NumberFilter):
    """An id: a whole number from 1 to the largest the database holds. A bigger
    one would overflow the query (a 500); a ``ModelChoiceFilter`` would also
    tell ids that exist outside the user's scope (400) from those that do not."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)

    def get_max_validator(self) -> None:
        return None  # max_value above


class FilterSet(df.FilterSet):
    """A foreign key is filtered by its id (``IdFilter``), never looked up."""

    FILTER_DEFAULTS = {
        **df.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
    }


class ElectionFilter(FilterSet):
    class Meta:
        model = Election
        fields = ["status", "kind"]


class StationFilter(FilterSet):
    class Meta:
        model = PollingStation
        fields = ["area"]


class ShiftFilter(FilterSet):
    area = IdFilter(field_name="station__area_id", label=_("Area"))
    day = df.DateFilter(method="on_day", label=_("Day (local)"))

    class Meta:
        model = Shift
        fields = ["election", "station", "role", "team", "area", "day"]

    def on_day(self, queryset: QuerySet[Shift], name: str, value: Any) -> QuerySet[Shift]:
        return queryset.on_day(value)


class VolunteerFilter(FilterSet):
    search = df.CharFilter(method="matching", label=_("Name, email or phone number contains"))
    team = IdFilter(method="in_team", label=_("Team"))
    skill = IdFilter(method="with_skill", label=_("Skill"))
    channel = df.ChoiceFilter(field_name="preferred_channel", choices=Volunteer.Channel.choices)
    election = IdFilter(method="noop", label=_("Election (with status)"))
    status = df.ChoiceFilter(
        method="seat_status",
        choices=[c for c in SeatStatus.CHOICES if c[0]],
        label=_("Status in the election"),
    )

    class Meta:
        model = Volunteer
        fields = ["search", "team", "skill", "language", "channel", "do_not_contact"]

    def matching(self, queryset: QuerySet[Volunteer], name: str, value: str) -> QuerySet:
        return search.matching(queryset, value)

    def in_team(self, queryset: QuerySet[Volunteer], name: str, value: int) -> QuerySet:
        through = Volunteer.teams.through.objects.filter(team=value)
        return queryset.filter(pk__in=through.values("volunteer_id"))

    def with_skill(self, queryset: QuerySet[Volunteer], name: str, value: int) -> QuerySet:
        through = Volunteer.skills.through.objects.filter(skill=value)
        return queryset.filter(pk__in=through.values("volunteer_id"))

    def noop(self, queryset: QuerySet[Volunteer], name: str, value: Any) -> QuerySet:
        return queryset  # used with ``status``

    def seat_status(self, queryset: QuerySet[Volunteer], name: str, value: str) -> QuerySet:
        election_id = self.form.cleaned_data.get("election")
        if not value or not election_id:
            return queryset
        election = (
            access.visible_elections(self.request.user, Capability.VIEW_PEOPLE)
            .filter(pk=election_id)
            .first()
        )
        if election is None:
            return queryset.none()
        return with_status(queryset, election, value, scope_of(self.request.user))


class AssignmentFilter(FilterSet):
    election = IdFilter(field_name="shift__election_id", label=_("Election"))
    station = IdFilter(field_name="shift__station_id", label=_("Polling station"))
    area = IdFilter(field_name="shift__station__area_id", label=_("Area"))
    role = IdFilter(field_name="shift__role_id", label=_("Role"))
    team = IdFilter(field_name="shift__team_id", label=_("Team"))
    status = df.MultipleChoiceFilter(choices=Assignment.Status.choices)

    class Meta:
        model = Assignment
        fields = ["election", "shift", "station", "area", "role", "team", "volunteer", "status"]


class TeamFilter(FilterSet):
    class Meta:
        model = Team
        fields = ["kind"]


class MessageFilter(FilterSet):
    election = IdFilter(method="noop", label=_("Election"))
    volunteer = IdFilter(method="noop", label=_("Volunteer"))
    channel = df.ChoiceFilter(choices=Channel.choices)
    status = df.ChoiceFilter(choices=Message.Status.choices)

    class Meta:
        model = Message
        fields = ["election", "volunteer", "kind", "channel", "status"]

    def noop(self, queryset: QuerySet[Message], name: str, value: Any) -> QuerySet:
        return queryset  # applied to the assignments the messages are about (the view)
