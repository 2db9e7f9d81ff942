"""Teams (with their members) and volunteers: personal data, so only for roles
that see contact data (never a viewer), narrowed by scope as on the pages, and
every read that returns people written to the audit log."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, serializers
from api.base import ApiViewSet, C, object_id
from staffing import access
from volunteers import search
from volunteers import services as volunteer_services
from volunteers.models import Team, Volunteer


@extend_schema_view(
    list=extend_schema(summary="List teams with their number of members"),
    retrieve=extend_schema(summary="One team with its members"),
)
class TeamViewSet(ApiViewSet):
    """Teams in the user's scope (a team leader: theirs): a list with the number
    of members, one team with its members (a read of personal data, audited)."""

    capability = C.VIEW_CONTACT
    read_action = "api.read_teams"
    queryset = Team.objects.none()  # the schema's model; rows: scoped_queryset
    serializer_class = serializers.TeamSerializer
    filterset_class = filters.TeamFilter
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "head", "options"]

    audit_lists = False  # a list names nobody

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return serializers.TeamDetailSerializer
        return serializers.TeamSerializer

    def scoped_queryset(self) -> QuerySet[Team]:
        teams = self.scope.filter(Team.objects.all(), C.VIEW_CONTACT).annotate(
            member_count=Count("members")
        )
        if self.action != "retrieve":
            return teams
        members = search.in_danish_order(Volunteer.objects.only("pk", "first_name", "last_name"))
        return teams.prefetch_related(
            Prefetch("members", queryset=members, to_attr="members_listed")
        )


@extend_schema_view(
    list=extend_schema(summary="List volunteers"),
    retrieve=extend_schema(summary="One volunteer"),
    create=extend_schema(summary="Create a volunteer"),
    partial_update=extend_schema(summary="Change a volunteer"),
)
class VolunteerViewSet(ApiViewSet):
    """Volunteers whose contact data the user may see, in Danish name order
    unless ``ordering`` says otherwise."""

    capability = C.VIEW_CONTACT
    read_action = "api.read_volunteers"
    queryset = Volunteer.objects.none()  # the schema's model; rows: scoped_queryset
    serializer_class = serializers.VolunteerSerializer
    filterset_class = filters.VolunteerFilter
    ordering_fields = ["last_name", "first_name", "birth_date", "created_at", "updated_at", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self) -> QuerySet[Volunteer]:
        teams = Prefetch("teams", queryset=Team.objects.only("pk"), to_attr="teams_listed")
        return search.in_danish_order(
            access.visible_volunteers(self.request.user).prefetch_related(teams)
        )

    def create(self, request: Request) -> Response:
        access.require(request.user, C.MANAGE)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        volunteer = volunteer_services.create_volunteer(
            by=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(volunteer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        volunteer = access.get_volunteer_for_user(request.user, object_id(pk), C.MANAGE)
        serializer = self.get_serializer(volunteer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        volunteer = volunteer_services.update_volunteer(
            volunteer, by=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=volunteer.pk)).data)
