"""The list of elections (and the teams the user may see).

Drafts are listed for those who may manage them only: a draft is work in
progress of the election office, not yet an election to watch. A "New election"
button for those who may create elections (staffing.views.elections.may_create)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from elections.models import Election, Shift
from pollcrew.collation import danish_sorted
from staffing import access
from staffing.fill import fills_by
from staffing.views._common import C
from staffing.views.elections import may_create
from volunteers.models import Team


@login_required
@require_GET
def election_list(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, C.VIEW_COUNTS)
    elections = access.visible_elections(request.user)
    if not may_create(scope):  # not every election is theirs to manage: drafts only if it is
        managed = scope.filter(Election.objects.all(), C.MANAGE).values("pk")
        elections = elections.filter(~Q(status=Election.Status.DRAFT) | Q(pk__in=managed))
    elections = list(elections)
    scoped_shifts = scope.filter(
        Shift.objects.filter(election__in=[e.pk for e in elections]), C.VIEW_COUNTS
    )
    fills = fills_by(scoped_shifts, "election_id")
    rows = [(e, fills.get(e.pk)) for e in elections]
    teams = danish_sorted(scope.filter(Team.objects.all(), C.VIEW_CONTACT), key=lambda t: t.name)
    return render(
        request,
        "staffing/election_list.html",
        {"rows": rows, "teams": teams, "may_create": may_create(scope)},
    )
