from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from documents.rosters import render_station_roster
from elections.access import get_election_for_user, get_station_for_user


@login_required
def roster(request: HttpRequest, election_id: int, station_id: int, day: str) -> HttpResponse:
    election = get_election_for_user(request.user, election_id)
    station = get_station_for_user(request.user, election, station_id)
    try:
        on = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    pdf = render_station_roster(election, station, on)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"roster-{station.pk}-{on.isoformat()}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
