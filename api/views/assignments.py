"""Seats: who holds or was invited to which shift. Reads for roles that see
people (never a viewer), narrowed by scope; writes through the staffing
services with ``by=`` the token's user: invite (many people at once, a result
per person), seat directly, accept or decline on someone's behalf, move,
remove. Inviting needs the invite capability over the shift (team leaders:
their team's seats); everything else the manage capability, as on the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, serializers
from api.base import ApiViewSet, C, object_id
from elections.models import Shift
from staffing import access, rules, services
from staffing.models import Assignment
from volunteers.models import Volunteer

NOT_FOUND = _("No such volunteer, or not one you may invite.")


@extend_schema_view(
    list=extend_schema(summary="List seats (assignments)"),
    retrieve=extend_schema(summary="One seat"),
)
class AssignmentViewSet(ApiViewSet):
    capability = C.VIEW_PEOPLE
    read_action = "api.read_assignments"
    queryset = Assignment.objects.none()  # the schema's model; rows: scoped_queryset
    serializer_class = serializers.AssignmentSerializer
    filterset_class = filters.AssignmentFilter
    ordering_fields = ["invited_at", "responded_at", "updated_at", "id"]
    ordering = ["id"]
    http_method_names = ["get", "post", "head", "options"]

    def scoped_queryset(self) -> QuerySet[Assignment]:
        elections = access.visible_elections(self.request.user, C.VIEW_PEOPLE)
        return self.scope.filter(
            Assignment.objects.filter(shift__election__in=elections), C.VIEW_PEOPLE
        ).select_related("shift", "volunteer")

    # --- what the writes act on (outside the scope: 404) -----------------------------------

    def _shift(self, pk: Any, capability: str) -> Shift:
        access.require(self.request.user, capability)
        elections = access.visible_elections(self.request.user, capability)
        shift = (
            self.scope.filter(Shift.objects.filter(election__in=elections), capability)
            .select_related("election", "station__area", "role", "team")
            .filter(pk=object_id(pk))
            .first()
        )
        if shift is None:
            raise Http404
        return shift

    def _seat(self, pk: Any) -> Assignment:
        access.require(self.request.user, C.MANAGE)
        elections = access.visible_elections(self.request.user, C.MANAGE)
        seat = (
            self.scope.filter(Assignment.objects.filter(shift__election__in=elections), C.MANAGE)
            .select_related("shift__role", "shift__station", "shift__election", "volunteer")
            .filter(pk=object_id(pk))
            .first()
        )
        if seat is None:
            raise Http404
        return seat

    def _people(self) -> QuerySet[Volunteer]:
        """Whom the user may invite or seat: those whose contact data they see."""
        return access.visible_volunteers(self.request.user)

    def _shown(self, seat: Assignment, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=seat.pk).first() or seat
        return Response(self.get_serializer(fresh).data, status=code)

    # --- writes -----------------------------------------------------------------------------

    @extend_schema(
        summary="Invite volunteers to a shift",
        description=(
            "As many as there are free seats, in name order. The result says, per "
            "volunteer, whether they were invited or why not (`code`, `message`). A "
            "volunteer the token's user may not see is `not_found`. An inactive "
            "election or a started shift refuses the whole call (400)."
        ),
        request=serializers.InviteSerializer,
        responses={200: serializers.InviteResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def invite(self, request: Request) -> Response:
        body = serializers.InviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        shift = self._shift(body.validated_data["shift"], C.INVITE)
        wanted = list(dict.fromkeys(body.validated_data["volunteers"]))
        people = {v.pk: v for v in self._people().filter(pk__in=wanted)}
        result = services.invite(shift, people.values(), by=request.user)
        may_name = rules.may_name_for(request.user)
        outcome: dict[int, dict[str, Any]] = {}
        for seat in result.invited:
            outcome[seat.volunteer_id] = _item(seat.volunteer_id, seat.pk, "", "")
        for volunteer, refusal in result.refused:
            said = rules.seen_by(refusal, may_name)
            outcome[volunteer.pk] = _item(volunteer.pk, None, said.code, said.message)
        results = [outcome.get(pk) or _item(pk, None, "not_found", str(NOT_FOUND)) for pk in wanted]
        return Response(
            {
                "shift": shift.pk,
                "invited": len(result.invited),
                "refused": len(wanted) - len(result.invited),
                "results": results,
            }
        )

    @extend_schema(
        summary="Seat a volunteer directly (they said yes already)",
        request=serializers.AssignSerializer,
        responses={201: serializers.AssignmentSerializer},
    )
    @action(detail=False, methods=["post"])
    def assign(self, request: Request) -> Response:
        body = serializers.AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        shift = self._shift(body.validated_data["shift"], C.MANAGE)
        volunteer = self._people().filter(pk=body.validated_data["volunteer"]).first()
        if volunteer is None:
            raise Http404
        seat = services.assign(shift, volunteer, by=request.user)
        return self._shown(seat, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept on the volunteer's behalf",
        request=None,
        responses={200: serializers.AssignmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        seat = services.accept(self._seat(pk), by=request.user)
        return self._shown(seat)

    @extend_schema(
        summary="Decline on the volunteer's behalf (an accepted seat is withdrawn)",
        request=serializers.ReasonSerializer,
        responses={200: serializers.AssignmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        seat = self._seat(pk)
        body = serializers.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        seat = services.decline(seat, reason=body.validated_data["reason"], by=request.user)
        return self._shown(seat)

    @extend_schema(
        summary="Move the seat to another shift of the same election",
        request=serializers.MoveSerializer,
        responses={200: serializers.AssignmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        seat = self._seat(pk)
        body = serializers.MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        to = self._shift(body.validated_data["shift"], C.MANAGE)
        seat = services.move(seat, to, by=request.user)
        return self._shown(seat)

    @extend_schema(
        summary="Take the volunteer off the shift (they are told)",
        request=serializers.ReasonSerializer,
        responses={200: serializers.AssignmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def remove(self, request: Request, pk: str) -> Response:
        seat = self._seat(pk)
        body = serializers.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        seat = services.remove(seat, reason=body.validated_data["reason"], by=request.user)
        return self._shown(seat)


def _item(volunteer: int, assignment: int | None, code: str, message: str) -> dict[str, Any]:
    return {
        "volunteer": volunteer,
        "ok": assignment is not None,
        "assignment": assignment,
        "code": code,
        "message": message,
    }
