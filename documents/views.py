from __future__ import annotations

import re
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.scopes import Capability
from documents.rosters import render_station_roster, station_days
from staffing import access

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
@require_GET
def roster(request: HttpRequest, election_id: int, station_id: int, day: str) -> HttpResponse:
    """A station's roster for a day: names and phone numbers, so only for those
    who may see contact data there (and only the shifts their scope covers)."""
    need = Capability.VIEW_CONTACT
    election = access.get_election_for_user(request.user, election_id, need)
    station = access.get_station_for_user(request.user, election, station_id, need)
    shifts = access.election_shifts(request.user, election, need)
    on = parse_day(day)
    if on not in station_days(election, station, shifts):
        raise Http404
    pdf = render_station_roster(election, station, on, shifts)
    audit.record_read(request, "read.roster", station, election_id=election.pk, detail={"day": on})
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"roster-{station.pk}-{on.isoformat()}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Names and phone numbers: never stored by a shared cache or the browser.
    response["Cache-Control"] = "private, no-store"
    return response
