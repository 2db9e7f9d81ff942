"""Elections, areas, polling stations, roles and shifts (the seat grid with its
fill counts). Reads for every role, narrowed by scope as on the pages; writes
through the same services as the setup and election pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, serializers
from api.base import ApiViewSet, C, object_id
from elections.models import Election, Role, Shift
from elections.services import create_election
from elections.services import roles as role_services
from polling_stations import services as station_services
from polling_stations.models import Area, PollingStation
from staffing import access
from staffing.fill import fills_by
from staffing.services.closing import change_election_status
from staffing.services.standby import edit_election


class _ReferenceWrites:
    """Areas, stations and roles are shared by every election: written only by
    those whose grant covers the whole municipality (as the setup pages)."""

    def _require_reference_manager(self: Any) -> None:
        if not self.scope.manages_reference_data:
            raise Http404

    def create(self: Any, request: Request) -> Response:
        self._require_reference_manager()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = self.create_service(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    def partial_update(self: Any, request: Request, pk: str) -> Response:
        self._require_reference_manager()
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = self.update_service(obj, by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(updated).data)


@extend_schema_view(
    list=extend_schema(summary="List elections"),
    retrieve=extend_schema(summary="One election"),
    create=extend_schema(summary="Create an election (a draft)"),
    partial_update=extend_schema(summary="Change an election"),
)
class ElectionViewSet(ApiViewSet):
    """Elections the token's user may see (drafts only for those who manage
    them), with the seats and how many are taken in the user's scope."""

    queryset = Election.objects.none()  # the schema's model; rows: scoped_queryset
    serializer_class = serializers.ElectionSerializer
    filterset_class = filters.ElectionFilter
    ordering_fields = ["election_date", "name", "id"]
    ordering = ["-election_date", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self) -> QuerySet[Election]:
        return access.visible_elections(self.request.user).prefetch_related("areas")

    def rows_context(self, rows: list[Any]) -> dict[str, Any]:
        shifts = self.scope.filter(
            Shift.objects.filter(election__in=[e.pk for e in rows]), C.VIEW_COUNTS
        )
        return {"fills": fills_by(shifts, "election_id") if rows else {}}

    def create(self, request: Request) -> Response:
        if not self.scope.allows(C.MANAGE):  # admins, coordinators of every election
            raise Http404
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        election = create_election(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(election).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        election = access.get_election_for_user(request.user, object_id(pk), C.MANAGE)
        serializer = self.get_serializer(election, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        election = edit_election(election, by=request.user, **serializer.validated_data)
        election = self.get_queryset().get(pk=election.pk)
        return Response(self.get_serializer(election).data)

    @extend_schema(
        summary="Change an election's status",
        description=(
            "draft → active → closed → archived, as on the election's page. Closing "
            "cancels its queued messages and withdraws unanswered invitations "
            "(telling the people invited). A step that is not allowed is refused (400)."
        ),
        request=serializers.StatusSerializer,
        responses={200: serializers.ElectionSerializer},
    )
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str) -> Response:
        election = access.get_election_for_user(request.user, object_id(pk), C.MANAGE)
        body = serializers.StatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change_election_status(election, body.validated_data["status"], by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=election.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="List areas"),
    retrieve=extend_schema(summary="One area"),
    create=extend_schema(summary="Create an area"),
    partial_update=extend_schema(summary="Change an area"),
)
class AreaViewSet(_ReferenceWrites, ApiViewSet):
    """Areas: all of them for those who manage the reference data, else the
    areas of the stations the user sees."""

    queryset = Area.objects.none()  # the schema's model; rows: scoped_queryset
    serializer_class = serializers.AreaSerializer
    ordering_fields = ["sort_order", "name", "id"]
    ordering = ["sort_order", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = staticmethod(station_services.create_area)
    update_service = staticmethod(station_services.update_area)

    def scoped_queryset(self) -> QuerySet[Area]:
        if self.scope.manages_reference_data:
            return Area.objects.all()
        stations = self.scope.filter(PollingStation.objects.all(), C.VIEW_COUNTS)
        return Area.objects.filter(pk__in=stations.values("area_id"))


@extend_schema_view(
    list=extend_schema(summary="List polling stations"),
    retrieve=extend_schema(summary="One polling station"),
    create=extend_schema(summary="Create a polling station"),
    partial_update=extend_schema(summary="Change a polling station"),
)
class StationViewSet(_ReferenceWrites, ApiViewSet):
    """Polling stations in the user's scope (a station manager: theirs)."""

    queryset = PollingStation.objects.none()  # the schema's model; rows: scoped_queryset
    serializer_class = serializers.StationSerializer
    filterset_class = filters.StationFilter
    ordering_fields = ["sort_order", "name", "id"]
    ordering = ["area__sort_order", "sort_order", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = staticmethod(station_services.create_station)
    update_service = staticmethod(station_services.update_station)

    def scoped_queryset(self) -> QuerySet[PollingStation]:
        return self.scope.filter(PollingStation.objects.all(), C.VIEW_COUNTS)


@extend_schema_view(
    list=extend_schema(summary="List roles"),
    retrieve=extend_schema(summary="One role"),
    create=extend_schema(summary="Create a role"),
    partial_update=extend_schema(summary="Change a role"),
)
class RoleViewSet(_ReferenceWrites, ApiViewSet):
    """Roles (task types): the same for every election, seen by every role."""

    queryset = Role.objects.none()  # the schema's model; rows: scoped_queryset
    serializer_class = serializers.RoleSerializer
    ordering_fields = ["sort_order", "name", "id"]
    ordering = ["sort_order", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = staticmethod(role_services.create_role)
    update_service = staticmethod(role_services.update_role)

    def scoped_queryset(self) -> QuerySet[Role]:
        return Role.objects.all()


@extend_schema_view(
    list=extend_schema(summary="List shifts (the seat grid) with their fill counts"),
    retrieve=extend_schema(summary="One shift with its fill counts"),
)
class ShiftViewSet(ApiViewSet):
    """Shifts in the user's scope with seats, awaiting an answer, accepted and
    vacant, read from the fill-count read model (``SeatFill``)."""

    queryset = Shift.objects.none()  # the schema's model; rows: scoped_queryset
    serializer_class = serializers.ShiftSerializer
    filterset_class = filters.ShiftFilter
    ordering_fields = ["starts_at", "station", "role", "id"]
    ordering = ["election", "station", "starts_at", "role", "id"]
    http_method_names = ["get", "head", "options"]

    def scoped_queryset(self) -> QuerySet[Shift]:
        elections = access.visible_elections(self.request.user)
        return self.scope.filter(
            Shift.objects.filter(election__in=elections), C.VIEW_COUNTS
        ).select_related("seat_fill")
