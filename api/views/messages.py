"""Messages about seats (the message log) and group messages. Reading messages
needs the contact-data capability (they carry phone numbers and addresses) and
is audited; sending a group message needs the manage capability over the
election, as on the page, and goes through the same services (a draft saved and
sent in one transaction: a refusal leaves nothing behind)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, serializers
from api.base import ApiViewSet, C, id_or_none
from elections.models import Election
from notifications.models import Message
from staffing import access
from staffing import group_messages as groups
from staffing.forms_group_messages import GroupMessageForm
from staffing.message_log import about
from staffing.models import Assignment, GroupMessage
from staffing.services import group_messages as group_services


@extend_schema_view(
    list=extend_schema(summary="List messages about seats (newest first)"),
    retrieve=extend_schema(summary="One message, with its text (personal links redacted)"),
)
class MessageViewSet(ApiViewSet):
    capability = C.VIEW_CONTACT
    read_action = "api.read_messages"
    queryset = Message.objects.none()  # the schema's model; rows: scoped_queryset
    serializer_class = serializers.MessageSerializer
    filterset_class = filters.MessageFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "head", "options"]

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return serializers.MessageDetailSerializer
        return serializers.MessageSerializer

    def scoped_queryset(self) -> QuerySet[Message]:
        elections = access.visible_elections(self.request.user, C.VIEW_CONTACT)
        seats = self.scope.filter(
            Assignment.objects.filter(shift__election__in=elections), C.VIEW_CONTACT
        )
        params = self.request.query_params
        election = id_or_none(params.get("election", ""))
        volunteer = id_or_none(params.get("volunteer", ""))
        if election is not None:
            seats = seats.filter(shift__election_id=election)
        if volunteer is not None:
            seats = seats.filter(volunteer_id=volunteer)
        messages = about(seats)
        if self.action == "list":  # the texts only on a message of its own
            messages = messages.defer("body", "body_html")
        return messages


@extend_schema_view(
    list=extend_schema(summary="List group messages"),
    retrieve=extend_schema(summary="One group message"),
)
class GroupMessageViewSet(ApiViewSet):
    capability = groups.NEED
    queryset = GroupMessage.objects.none()  # the schema's model; rows: scoped_queryset
    serializer_class = serializers.GroupMessageSerializer
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "head", "options"]

    def scoped_queryset(self) -> QuerySet[GroupMessage]:
        managed = access.visible_elections(self.request.user, groups.NEED)
        managed = self.scope.filter(managed, groups.NEED)
        return GroupMessage.objects.filter(election__in=managed)

    @extend_schema(
        summary="Send a group message",
        description=(
            "Saves the text as a draft and sends it, in one transaction, to the people "
            "holding or invited to the seats the filters pick (each once). Placeholders "
            "as on the page: `{first_name}`, `{link}`…"
        ),
        request=serializers.GroupMessageSendSerializer,
        responses={201: serializers.GroupMessageSerializer},
    )
    def create(self, request: Request) -> Response:
        body = serializers.GroupMessageSendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        election: Election = access.get_election_for_user(
            request.user, data["election"], groups.NEED
        )
        form = GroupMessageForm(
            _form_data(data), shifts=access.election_shifts(request.user, election, groups.NEED)
        )
        if not form.is_valid():
            raise exceptions.ValidationError(
                {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            )
        with transaction.atomic():
            group = group_services.save_draft(
                election,
                filters=form.filters(),
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                by=request.user,
            )
            group = group_services.send_group_message(group, by=request.user)
        return Response(self.get_serializer(group).data, status=status.HTTP_201_CREATED)


def _form_data(data: dict[str, Any]) -> dict[str, Any]:
    """The API's body as the page's form takes it."""
    form: dict[str, Any] = {
        name: "" if data.get(name) is None else str(data[name])
        for name in ("area", "station", "role", "team")
    }
    form["day"] = data["day"].isoformat() if data.get("day") else ""
    form["statuses"] = list(data.get("statuses") or groups.STATUSES)
    form["subject"], form["body"] = data["subject"], data["body"]
    return form
