"""The coordinator's staffing pages: the election list, the board, a station's
shifts and who holds them, inviting volunteers, and a team's members.

Thin: access helpers (scope → 404), read models and services do the work. Every
list is filtered by the user's scope in the queryset; which columns a page shows
(names, contact data, invite buttons) follows the capability per shift."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts import audit
from accounts.scopes import Capability, scope_of
from elections.models import Shift
from pollcrew.collation import danish_key, danish_sorted
from staffing import access, board, candidates, services
from staffing.fill import fill_of, fill_of_shift, fills_by, with_fill
from staffing.forms import BoardFilterForm, InviteForm, VolunteerSearchForm
from staffing.models import Assignment
from staffing.rules import RuleViolation
from volunteers.models import Team, Volunteer

STATIONS_PER_PAGE = 50
MEMBERS_PER_PAGE = 100
C = Capability

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


def _people_by_shift(shift_ids: list[int]) -> dict[int, list[Assignment]]:
    """Everyone on these shifts (but those the office removed), holders first."""
    people: dict[int, list[Assignment]] = {pk: [] for pk in shift_ids}
    if not shift_ids:
        return people
    assignments = (
        Assignment.objects.filter(shift_id__in=shift_ids)
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
    return people


@login_required
@require_GET
def station_detail(request: HttpRequest, election_id: int, station_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id)
    station = access.get_station_for_user(request.user, election, station_id)
    scope = scope_of(request.user)
    shifts = list(
        with_fill(access.election_shifts(request.user, election, C.VIEW_COUNTS))
        .filter(station=station)
        .select_related("role", "team")
        .order_by("starts_at", "role__sort_order")
    )
    shown = [s.pk for s in shifts if scope.allows_shift(C.VIEW_PEOPLE, s)]
    people = _people_by_shift(shown)
    rows = [
        {
            "shift": s,
            "fill": fill_of(s),
            "people": people.get(s.pk),  # None: not for this user's eyes
            "contact": scope.allows_shift(C.VIEW_CONTACT, s),
            "invite": scope.allows_shift(C.INVITE, s),
        }
        for s in shifts
    ]
    contacts_shown = sum(len(people[r["shift"].pk]) for r in rows if r["contact"])
    if contacts_shown:
        audit.record_read(
            request,
            "read.station_people",
            station,
            election_id=election.pk,
            detail={"people": contacts_shown},
        )
    days = sorted({timezone.localtime(s.starts_at).date() for s in shifts})  # no query
    can_print = any(r["contact"] for r in rows)
    return render(
        request,
        "staffing/station.html",
        {
            "election": election,
            "station": station,
            "days": days if can_print else [],
            "rows": rows,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def shift_invite(request: HttpRequest, election_id: int, shift_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.INVITE)
    shift = access.get_shift_for_user(request.user, election, shift_id, C.INVITE)
    among = scope_of(request.user).filter(Volunteer.objects.all(), C.VIEW_CONTACT)
    search = VolunteerSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    form = InviteForm(request.POST if request.method == "POST" else None, among=among)
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
    found = candidates.search(shift, query, among=among) if query else []
    if found:
        audit.record_read(
            request,
            "read.volunteer_search",
            election_id=election.pk,
            detail={"query": query, "results": len(found), "shift": shift.pk},
        )
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
            "fill": fill_of_shift(shift),
        },
    )


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
