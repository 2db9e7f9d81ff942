from __future__ import annotations

import re
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from documents.rosters import render_station_roster, station_days
from elections.access import get_election_for_user, get_station_for_user

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(day: str) -> date:
    """YYYY-MM-DD only (date.fromisoformat alone also takes 20261105, 2026-W45-4…)."""
    if not _ISO_DAY.fullmatch(day):
        raise Http404
    try:
        return date.fromisoformat(day)
    except ValueError:
        raise Http404 from None


@login_required
def roster(request: HttpRequest, election_id: int, station_id: int, day: str) -> HttpResponse:
    election = get_election_for_user(request.user, election_id)
    station = get_station_for_user(request.user, election, station_id)
    on = parse_day(day)
    if on not in station_days(election, station):
        raise Http404
    pdf = render_station_roster(election, station, on)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"roster-{station.pk}-{on.isoformat()}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Names and phone numbers: never stored by a shared cache or the browser.
    response["Cache-Control"] = "private, no-store"
    return response
