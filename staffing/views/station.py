"""A station's shifts and who holds them, with what the user may do about each
seat: invite, seat directly, answer on someone's behalf, move, remove, replace,
send a new link (each a link to its own confirmation page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.scopes import scope_of
from pollcrew.collation import danish_key
from staffing import access
from staffing.fill import fill_of, with_fill
from staffing.models import Assignment
from staffing.views._common import _STATUS_ORDER, C
from staffing.views.filling import not_inviting


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
            "manage": scope.allows_shift(C.MANAGE, s),
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
            "may_invite": any(r["invite"] for r in rows),
            "may_manage": any(r["manage"] for r in rows),
            **not_inviting(request, election),
        },
    )
