"""Coordinator pages that staff a shift: a station's shifts and who holds them, and
inviting volunteers. Thin: access helpers, read models and services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from elections.access import get_election_for_user, get_shift_for_user, get_station_for_user
from elections.models import Shift
from pollcrew.collation import danish_key
from volunteers import candidates, services
from volunteers.forms import InviteForm, VolunteerSearchForm
from volunteers.models import Assignment
from volunteers.rules import RuleViolation

# Who holds a seat first, then who is waiting, then the rest.
_STATUS_ORDER = [
    Assignment.Status.CHECKED_IN,
    Assignment.Status.ACCEPTED,
    Assignment.Status.INVITED,
    Assignment.Status.DECLINED,
    Assignment.Status.WITHDRAWN,
    Assignment.Status.EXPIRED,
    Assignment.Status.NO_SHOW,
]


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
    assignments = (
        Assignment.objects.filter(shift__in=shifts)
        .exclude(status=Assignment.Status.REMOVED)
        .select_related("volunteer")
    )
    order = {status: i for i, status in enumerate(_STATUS_ORDER)}
    for a in sorted(
        assignments,
        key=lambda a: (
            order.get(a.status, len(order)),
            danish_key(f"{a.volunteer.last_name} {a.volunteer.first_name}"),
        ),
    ):
        people[a.shift_id].append(a)
    days = sorted({timezone.localtime(s.starts_at).date() for s in shifts})  # no query
    return render(
        request,
        "staffing/station.html",
        {
            "election": election,
            "station": station,
            "days": days,
            "shifts": [(s, people[s.pk]) for s in shifts],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
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
                "staffing:station", election_id=election.pk, station_id=shift.station_id
            )
    found = candidates.search(shift, query) if query else []
    # A history restore needs the whole page, not the fragment.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "staffing/_candidates.html" if partial else "staffing/invite.html"
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
