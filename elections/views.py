"""Coordinator pages. Thin: access helpers, read models and services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from elections import board
from elections.access import (
    get_election_for_user,
    get_shift_for_user,
    get_station_for_user,
    require_coordinator,
)
from elections.forms import BoardFilterForm, InviteForm, VolunteerSearchForm
from elections.models import FILLED_STATUSES, Election, Shift
from volunteers import candidates, services
from volunteers.models import Assignment
from volunteers.rules import RuleViolation

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


@login_required
def station_detail(request: HttpRequest, election_id: int, station_id: int) -> HttpResponse:
    election = get_election_for_user(request.user, election_id)
    station = get_station_for_user(request.user, election, station_id)
    shifts = list(
        Shift.objects.filter(election=election, station=station)
        .select_related("role", "team")
        .with_fill_counts()
        .order_by("starts_at", "role__sort_order")
    )
    people: dict[int, list[Assignment]] = {s.pk: [] for s in shifts}
    for a in (
        Assignment.objects.filter(shift__in=shifts)
        .exclude(status=Assignment.Status.REMOVED)
        .select_related("volunteer")
        .order_by("status", "volunteer__last_name")
    ):
        people[a.shift_id].append(a)
    days = sorted({timezone.localtime(s.starts_at).date() for s in shifts})
    return render(
        request,
        "elections/station.html",
        {
            "election": election,
            "station": station,
            "days": days,
            "shifts": [(s, people[s.pk]) for s in shifts],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def shift_invite(request: HttpRequest, election_id: int, shift_id: int) -> HttpResponse:
    election = get_election_for_user(request.user, election_id)
    shift = get_shift_for_user(request.user, election, shift_id)
    search = VolunteerSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.invite(shift, form.cleaned_data["volunteers"], by=request.user)
        except RuleViolation as refusal:
            messages.error(request, refusal.message)
        else:
            if result.invited:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d volunteer invited.",
                        "%(count)d volunteers invited.",
                        len(result.invited),
                    )
                    % {"count": len(result.invited)},
                )
            for _volunteer, refusal in result.refused:
                messages.warning(
                    request, _("Not invited: %(reason)s") % {"reason": refusal.message}
                )
            return redirect(
                "elections:station", election_id=election.pk, station_id=shift.station_id
            )
    found = candidates.search(shift, query) if query else []
    template = "elections/_candidates.html" if request.htmx else "elections/invite.html"
    return render(
        request,
        template,
        {
            "election": election,
            "shift": shift,
            "search": search,
            "form": form,
            "candidates": found,
            "query": query,
            "fill": Shift.objects.with_fill_counts().get(pk=shift.pk),
        },
    )
