"""The list of elections (and the teams the user may see)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.scopes import scope_of
from elections.models import Shift
from pollcrew.collation import danish_sorted
from staffing import access
from staffing.fill import fills_by
from staffing.views._common import C
from volunteers.models import Team


@login_required
@require_GET
def election_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, C.VIEW_COUNTS)
    elections = list(access.visible_elections(request.user))
    scoped_shifts = scope_of(request.user).filter(
        Shift.objects.filter(election__in=[e.pk for e in elections]), C.VIEW_COUNTS
    )
    fills = fills_by(scoped_shifts, "election_id")
    rows = [(e, fills.get(e.pk)) for e in elections]
    teams = danish_sorted(
        scope_of(request.user).filter(Team.objects.all(), C.VIEW_CONTACT), key=lambda t: t.name
    )
    return render(request, "staffing/election_list.html", {"rows": rows, "teams": teams})
