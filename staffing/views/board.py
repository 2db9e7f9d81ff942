"""The staffing board of an election, with its dashboard above it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.scopes import scope_of
from staffing import access, board
from staffing.dashboard import dashboard, seat_counts
from staffing.forms import BoardFilterForm
from staffing.views._common import STATIONS_PER_PAGE, C


@login_required
@require_GET
def election_board(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id)
    scope = scope_of(request.user)
    # Sees every seat of the election, not only a station's or a team's.
    whole = scope.allows(C.VIEW_COUNTS, election_id=election.pk)
    form = BoardFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    area = filters.get("area")
    shifts = access.election_shifts(request.user, election, C.VIEW_COUNTS)
    now = timezone.now()
    # Counted once for the board and its dashboard.
    counts = seat_counts(shifts, election=election if whole else None)
    result = board.station_board(
        shifts,
        stations=board.listed_stations(election, shifts, whole_election=whole),
        fills=counts.by_station,
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
        "staffing/board.html",
        {
            "election": election,
            "form": form,
            "page": result.page,
            "totals": result.totals,
            "query": query.urlencode(),
            "filtered": any(filters.values()),
            "dashboard": dashboard(election, shifts, counts=counts, now=now, whole=whole),
            "whole_election": whole,
            "can_manage": scope.allows(C.MANAGE, election_id=election.pk),
        },
    )
