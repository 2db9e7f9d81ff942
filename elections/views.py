"""Coordinator pages about elections: the list and the staffing board. The pages that
change staffing (station, invite) live in volunteers.staff_views."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from elections import board
from elections.access import get_election_for_user, require_coordinator
from elections.forms import BoardFilterForm
from elections.models import FILLED_STATUSES, Election, Shift

STATIONS_PER_PAGE = 50


@login_required
def election_list(request: HttpRequest) -> HttpResponse:
    require_coordinator(request.user)
    per_election = Shift.objects.filter(election_id=OuterRef("pk")).values("election_id")
    elections = Election.objects.annotate(
        needed=Coalesce(
            Subquery(
                per_election.annotate(t=Sum("capacity")).values("t")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        accepted=Coalesce(
            Subquery(
                per_election.annotate(
                    t=Count("assignments", filter=Q(assignments__status__in=FILLED_STATUSES))
                ).values("t")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )
    return render(request, "elections/election_list.html", {"elections": elections})


@login_required
def election_board(request: HttpRequest, election_id: int) -> HttpResponse:
    election = get_election_for_user(request.user, election_id)
    form = BoardFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    area = filters.get("area")
    result = board.station_board(
        election,
        area_id=area.pk if area else None,
        understaffed_only=bool(filters.get("understaffed")),
        search=filters.get("q", ""),
        page_number=request.GET.get("page"),
        per_page=STATIONS_PER_PAGE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "elections/board.html",
        {
            "election": election,
            "form": form,
            "page": result.page,
            "totals": result.totals,
            "query": query.urlencode(),
        },
    )
