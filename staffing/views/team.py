"""A team's members."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import audit
from pollcrew.collation import danish_sorted
from staffing import access
from staffing.views._common import MEMBERS_PER_PAGE
from volunteers.models import Volunteer


@login_required
@require_GET
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    """A team's members with their contact data (team leaders, coordinators)."""
    team = access.get_team_for_user(request.user, team_id)
    members = danish_sorted(
        Volunteer.objects.filter(teams=team).only(
            "first_name", "last_name", "email", "phone", "preferred_channel"
        ),
        key=lambda v: f"{v.last_name} {v.first_name}",
    )
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    audit.record_read(request, "read.team_members", team, detail={"people": len(page.object_list)})
    return render(request, "staffing/team.html", {"team": team, "page": page})
