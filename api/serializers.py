"""What the API shows of each object, and what it takes for a write. Reads are
plain fields of rows fetched with their relations up front (a fixed number of
queries per page); writes are checked here for shape and by the services for
the rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.scopes import scope_of
from elections.models import Election, Role, Shift
from notifications.models import Message
from pollcrew.redaction import redact
from polling_stations.models import Area, PollingStation
from staffing.models import Assignment
from staffing.models_group_messages import GroupMessage
from volunteers.models import Team, Volunteer

MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class Strict:
    # A body naming a field the endpoint does not write (a typo, or a read-only
    # field such as an election's ``status``) is refused, never silently ignored:
    # the caller would believe it changed. (A comment: a docstring here would be
    # every request body's description in the schema.)

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(name) for name in data if name not in writable)
            if unknown:
                message = _("Unknown field, or one that cannot be written here.")
                raise serializers.ValidationError({name: [message] for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class Serializer(Strict, serializers.Serializer):
    pass


class ModelSerializer(Strict, serializers.ModelSerializer):
    """Bounds of small integers as PostgreSQL's (production), whatever database
    the schema is generated on: the committed schema is the same everywhere."""

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[Any, dict]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.PositiveSmallIntegerField):
            kwargs["min_value"], kwargs["max_value"] = 0, 32767
        return field_class, kwargs


# --- errors -----------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every error: a stable code and a message in the request's language; a
    refusal names who or what is in the way, bad input says what per field."""

    code = serializers.CharField()
    message = serializers.CharField()
    names = serializers.ListField(child=serializers.CharField(), required=False)
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


# --- fill counts ------------------------------------------------------------------------------


class FillSerializer(serializers.Serializer):
    seats = serializers.IntegerField()
    awaiting = serializers.IntegerField(help_text=_("Invited, not yet answered."))
    accepted = serializers.IntegerField()
    vacant = serializers.IntegerField()


def fill_dict(seats: int, invited: int, accepted: int) -> dict[str, int]:
    return {
        "seats": seats,
        "awaiting": invited,
        "accepted": accepted,
        "vacant": max(seats - invited - accepted, 0),
    }


# --- reference data ---------------------------------------------------------------------------


class AreaSerializer(ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "name", "sort_order"]
        read_only_fields = ["id", "sort_order"]


class StationSerializer(ModelSerializer):
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all())

    class Meta:
        model = PollingStation
        fields = [
            "id",
            "area",
            "name",
            "address",
            "postal_code",
            "city",
            "capacity_note",
            "manager_contact",
            "accessibility",
            "notes",
            "sort_order",
        ]
        read_only_fields = ["id", "sort_order"]
        extra_kwargs = {
            name: {"help_text": _("Only for those who manage the reference data (else absent).")}
            for name in ("manager_contact", "notes")
        }

    # Who to call at the station (a person's name and number) and the election
    # office's own notes: shown, as on the setup pages, only to those who manage
    # the reference data. Viewers never see names or contact data.
    OFFICE_ONLY = ("manager_contact", "notes")

    def to_representation(self, instance: PollingStation) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not scope_of(user).manages_reference_data:
            for name in self.OFFICE_ONLY:
                data.pop(name, None)
        return data


class RoleSerializer(ModelSerializer):
    class Meta:
        model = Role
        fields = [
            "id",
            "name",
            "short_name",
            "description",
            "description_en",
            "default_start",
            "default_end",
            "pay",
            "min_age",
            "invite_only",
            "requires_approval",
            "reminders_enabled",
            "sort_order",
        ]
        read_only_fields = ["id", "sort_order"]


class ElectionSerializer(ModelSerializer):
    areas = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.all(), many=True, required=False
    )
    fill = serializers.SerializerMethodField()

    class Meta:
        model = Election
        fields = [
            "id",
            "name",
            "kind",
            "election_date",
            "status",
            "lock_days",
            "response_days",
            "copied_from",
            "areas",
            "created_at",
            "fill",
        ]
        read_only_fields = ["id", "status", "copied_from", "created_at", "fill"]

    @extend_schema_field(FillSerializer)
    def get_fill(self, election: Election) -> dict[str, int]:
        fill = self.context.get("fills", {}).get(election.pk)
        if fill is None:
            return fill_dict(0, 0, 0)
        return fill_dict(fill.needed, fill.invited, fill.accepted)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "areas" in attrs:
            attrs["areas"] = [a.pk for a in attrs["areas"]]
        return attrs


class StatusSerializer(Serializer):
    status = serializers.ChoiceField(choices=Election.Status.choices)


class ShiftSerializer(ModelSerializer):
    fill = serializers.SerializerMethodField()

    class Meta:
        model = Shift
        fields = [
            "id",
            "election",
            "station",
            "role",
            "team",
            "starts_at",
            "ends_at",
            "capacity",
            "fill",
        ]
        read_only_fields = fields

    @extend_schema_field(FillSerializer)
    def get_fill(self, shift: Shift) -> dict[str, int]:
        fill = getattr(shift, "seat_fill", None)
        if fill is None:
            return fill_dict(shift.capacity, 0, 0)
        return fill_dict(fill.seats, fill.invited, fill.accepted)


# --- people -----------------------------------------------------------------------------------


class PersonSerializer(ModelSerializer):
    """A volunteer as others' rows name them."""

    class Meta:
        model = Volunteer
        fields = ["id", "first_name", "last_name"]
        read_only_fields = fields


class TeamSerializer(ModelSerializer):
    """A team in a list: how many members (a party may have thousands: list them
    a page at a time with ``volunteers/?team=<id>``, or read the team)."""

    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "short_name", "kind", "member_count"]
        read_only_fields = fields


class TeamDetailSerializer(TeamSerializer):
    """One team, with its members in Danish name order."""

    members = PersonSerializer(many=True, read_only=True, source="members_listed")

    class Meta(TeamSerializer.Meta):
        fields = [*TeamSerializer.Meta.fields, "members"]
        read_only_fields = fields


class TeamIds(serializers.ManyRelatedField):
    """A volunteer's team ids, from the list the view prefetched (``teams_listed``):
    no related manager made per row (a class per access: a third of a page's time)."""

    def get_attribute(self, instance: Any) -> Any:
        listed = getattr(instance, "teams_listed", None)
        return listed if listed is not None else super().get_attribute(instance)


class VolunteerSerializer(ModelSerializer):
    teams = TeamIds(
        child_relation=serializers.PrimaryKeyRelatedField(queryset=Team.objects.all()),
        required=False,
    )

    class Meta:
        model = Volunteer
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "birth_date",
            "address",
            "postal_code",
            "city",
            "language",
            "preferred_channel",
            "teams",
            "diet",
            "do_not_contact",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"phone": {"validators": []}, "email": {"validators": []}}


class AssignmentSerializer(ModelSerializer):
    volunteer = PersonSerializer(read_only=True)
    election = serializers.IntegerField(source="shift.election_id", read_only=True)
    station = serializers.IntegerField(source="shift.station_id", read_only=True)
    role = serializers.IntegerField(source="shift.role_id", read_only=True)
    team = serializers.IntegerField(source="shift.team_id", read_only=True, allow_null=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "shift",
            "election",
            "station",
            "role",
            "team",
            "volunteer",
            "status",
            "invited_at",
            "responded_at",
            "checked_in_at",
            "awaiting_approval",
            "updated_at",
        ]
        read_only_fields = fields


# --- assignment writes ------------------------------------------------------------------------


class InviteSerializer(Serializer):
    shift = id_field()
    volunteers = serializers.ListField(child=id_field(), min_length=1, max_length=500)


class AssignSerializer(Serializer):
    shift = id_field()
    volunteer = id_field()


class ReasonSerializer(Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class MoveSerializer(Serializer):
    shift = id_field(help_text=_("The shift to move the seat to."))


class ItemResultSerializer(serializers.Serializer):
    volunteer = serializers.IntegerField()
    ok = serializers.BooleanField()
    assignment = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(allow_blank=True)
    message = serializers.CharField(allow_blank=True)


class InviteResultSerializer(serializers.Serializer):
    shift = serializers.IntegerField()
    invited = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = ItemResultSerializer(many=True)


# --- messages ---------------------------------------------------------------------------------


class MessageSerializer(ModelSerializer):
    assignment = serializers.IntegerField(source="subject_id", read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "assignment",
            "channel",
            "to",
            "kind",
            "language",
            "subject",
            "status",
            "attempts",
            "last_error",
            "scheduled_for",
            "created_at",
            "sent_at",
            "delivered_at",
        ]
        read_only_fields = fields


class MessageDetailSerializer(MessageSerializer):
    body = serializers.SerializerMethodField(help_text=_("With any personal link redacted."))

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "body"]
        read_only_fields = fields

    def get_body(self, message: Message) -> str:
        return redact(message.body)


class GroupMessageSerializer(ModelSerializer):
    """A group message: which seats it goes to (the filters, as on the page), its
    subject and text, and once sent, how many it reaches."""

    filters = serializers.JSONField(read_only=True)

    class Meta:
        model = GroupMessage
        fields = [
            "id",
            "election",
            "filters",
            "subject",
            "body",
            "status",
            "recipients",
            "sms",
            "email",
            "no_address",
            "queued",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class GroupMessageSendSerializer(Serializer):
    """Send a group message now (a draft is saved and sent in one call). Empty
    filters: every seat of the election."""

    election = id_field()
    area = id_field(required=False, allow_null=True)
    station = id_field(required=False, allow_null=True)
    role = id_field(required=False, allow_null=True)
    team = id_field(required=False, allow_null=True)
    day = serializers.DateField(required=False, allow_null=True)
    statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=["invited", "accepted", "checked_in"]),
        required=False,
        min_length=1,
    )
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=1000)
