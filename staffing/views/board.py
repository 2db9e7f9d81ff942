"""The staffing board of an election."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from staffing import access, board
from staffing.forms import BoardFilterForm
from staffing.views._common import STATIONS_PER_PAGE, C


@login_required
@require_GET
def election_board(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id)
    form = BoardFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    area = filters.get("area")
    result = board.station_board(
        access.election_shifts(request.user, election, C.VIEW_COUNTS),
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
        },
    )
