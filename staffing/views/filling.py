"""Inviting many people to many shifts, the result of a round of invitations,
and what the filling pages share (why nobody can be invited, where to go back).

The many-to-many page is a GET form (it writes nothing): choose shifts (of a
station, or of the whole election by area, role and day), search and tick
people, and see per person where they may be invited and why not elsewhere.
"Review" shows exactly what sending would do, shift by shift; only that page's
POST (CSRF) invites, one service call per shift, and the result page lists who
was invited to what and who was not, with the reason per person.

That result (names of people) is kept in the session between the POST and the
page it redirects to, and only for that: one round at a time, for the user who
sent it and the election it belongs to, shown once and then dropped (a reload
says it is no longer shown); a round not looked at within RESULT_KEPT_SECONDS
is dropped unseen."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import audit
from accounts.scopes import scope_of
from elections.models import Election, Role, Shift
from pollcrew.collation import danish_sorted
from polling_stations.models import Area, PollingStation
from staffing import access, candidates, rules, services
from staffing.candidates import Outcome
from staffing.fill import fill_of, with_fill
from staffing.forms_filling import (
    MAX_PEOPLE,
    MAX_SHIFTS,
    ManyInviteForm,
    ShiftFilterForm,
    ids_from,
)
from staffing.rules import RuleViolation
from staffing.views._common import C
from volunteers.models import Volunteer

SHIFTS_LISTED = 100
RESULT_KEY = "pollcrew_fill_result"
RESULT_KEPT_SECONDS = 600


# --- shared by the filling pages ----------------------------------------------------------


def not_inviting(request: HttpRequest, election: Election) -> dict[str, Any]:
    """Template context for "why nobody can be invited now" (an election that is
    not active): the reason, and whether to offer the activation link."""
    if election.is_active:
        return {"inactive_reason": ""}
    may_activate = election.status in (Election.Status.DRAFT, Election.Status.CLOSED) and (
        scope_of(request.user).allows(C.MANAGE, election_id=election.pk)
    )
    return {"inactive_reason": rules.not_active_reason(election), "may_activate": may_activate}


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go after an action: ``next`` (this site's path only) or ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def people_among(request: HttpRequest) -> QuerySet[Volunteer]:
    """The people this user may look for and invite: those whose contact data they may see."""
    return scope_of(request.user).filter(Volunteer.objects.all(), C.VIEW_CONTACT)


# --- the result of a round of invitations (kept in the session: post, redirect, get) ------


def remember_result(request: HttpRequest, election: Election, outcomes: list[Outcome]) -> str:
    """Keep what a round of invitations did for the result page (replacing any
    round kept before: one at a time); its URL."""
    request.session[RESULT_KEY] = {
        "user": request.user.pk,
        "election": election.pk,
        "at": timezone.now().timestamp(),
        "outcomes": [
            {
                "shift": o.shift.pk,
                "station": o.shift.station_id,
                "label": rules.shift_label(o.shift),
                "invited": [{"id": v.pk, "name": v.full_name} for v in o.invited],
                "refused": [
                    {
                        "id": v.pk,
                        "name": v.full_name,
                        "reason": reason,
                        "names_them": v.full_name in reason,
                    }
                    for v, reason in o.refused
                ],
            }
            for o in outcomes
        ],
    }
    return reverse("staffing:fill_invite_result", args=[election.pk])


def take_result(request: HttpRequest, election: Election) -> list[dict[str, Any]] | None:
    """The round kept for this user and ``election``, taken out of the session (it
    is shown once); None if there is none. A round that is stale or not this
    user's is dropped; another election's is left for its own page."""
    kept = request.session.get(RESULT_KEY)
    if not isinstance(kept, dict):
        request.session.pop(RESULT_KEY, None)
        return None
    fresh = kept.get("at", 0) >= timezone.now().timestamp() - RESULT_KEPT_SECONDS
    if not fresh or kept.get("user") != request.user.pk:
        del request.session[RESULT_KEY]
        return None
    if kept.get("election") != election.pk:
        return None
    del request.session[RESULT_KEY]
    return kept.get("outcomes", [])


def invite_round(
    request: HttpRequest, shifts: list[Shift], volunteers: list[Volunteer]
) -> list[Outcome]:
    """Invite everyone to each shift (one service call, one transaction, per shift,
    in id order): who was invited, and who was not, with the reason."""
    outcomes = []
    for shift in sorted(shifts, key=lambda s: s.pk):
        outcome = Outcome(shift)
        try:
            result = services.invite(shift, volunteers, by=request.user)
        except RuleViolation as refusal:  # the whole shift: not active, started
            outcome.refused = [(v, refusal.message) for v in candidates.service_order(volunteers)]
        else:
            outcome.invited = [a.volunteer for a in result.invited]
            outcome.refused = [(v, refusal.message) for v, refusal in result.refused]
        outcomes.append(outcome)
    return outcomes


@login_required
@require_GET
@never_cache  # names of people: not kept by the browser either
def invite_result(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.INVITE)
    outcomes = take_result(request, election) or []
    invited = sum(len(o["invited"]) for o in outcomes)
    refused = sum(len(o["refused"]) for o in outcomes)
    stations = sorted({o["station"] for o in outcomes})
    return render(
        request,
        "staffing/fill_invite_result.html",
        {
            "election": election,
            "outcomes": outcomes,
            "invited_count": invited,
            "refused_count": refused,
            "station_id": stations[0] if len(stations) == 1 else None,
        },
    )


# --- invite many to many ------------------------------------------------------------------


def _filter_form(request: HttpRequest, shifts: QuerySet[Shift]) -> ShiftFilterForm:
    """The shift filters; "only with free seats" is on until the user says otherwise."""
    data: QueryDict = request.GET.copy()
    if "filtered" not in data:
        data["free"] = "on"
    days = shifts.local_days()
    return ShiftFilterForm(
        data,
        areas=Area.objects.filter(pk__in=shifts.values("station__area")),
        roles=Role.objects.filter(pk__in=shifts.values("role")),
        days=[(d.isoformat(), date_format(d, "DATE_FORMAT")) for d in days],
    )


def _listed_shifts(
    shifts: QuerySet[Shift], filters: dict[str, Any], chosen: list[int]
) -> tuple[list[Shift], int]:
    """Up to SHIFTS_LISTED shifts matching the filters (not those already chosen),
    by station, time and role; and how many match in all."""
    listed = shifts.exclude(pk__in=chosen)
    if filters.get("station"):
        listed = listed.filter(station_id=filters["station"])
    if filters.get("area"):
        listed = listed.filter(station__area=filters["area"])
    if filters.get("role"):
        listed = listed.filter(role=filters["role"])
    if filters.get("day"):
        listed = listed.on_day(filters["day"])
    listed = with_fill(listed)
    if filters.get("free"):
        listed = listed.filter(capacity__gt=F("fill_invited") + F("fill_accepted"))
    total = listed.count()
    rows = list(
        listed.select_related("station", "role", "team").order_by(
            "station__name", "starts_at", "role__sort_order", "pk"
        )[:SHIFTS_LISTED]
    )
    return rows, total


def _free(shifts: list[Shift]) -> dict[int, int]:
    return {s.pk: fill_of(s).vacant for s in shifts}


@login_required
@require_http_methods(["GET", "POST"])
def invite_many(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.INVITE)
    shifts = access.election_shifts(request.user, election, C.INVITE)
    among = people_among(request)
    inactive = not_inviting(request, election)
    if request.method == "POST":
        return _send(request, election, shifts, among, inactive)

    form = _filter_form(request, shifts)
    filters = form.cleaned_data if form.is_valid() else {"free": True}
    station = None
    if filters.get("station"):
        station = (
            PollingStation.objects.filter(pk=filters["station"], pk__in=shifts.values("station"))
            .only("name")
            .first()
        )
    chosen_ids = ids_from(request.GET.getlist("shifts"), MAX_SHIFTS)
    chosen = list(
        with_fill(shifts.filter(pk__in=chosen_ids))
        .select_related("station", "role", "team")
        .order_by("starts_at", "station__name", "role__sort_order", "pk")
    )
    listed, shifts_total = _listed_shifts(shifts, filters, [s.pk for s in chosen])

    picked_ids = ids_from(request.GET.getlist("volunteers"), MAX_PEOPLE)
    picked = (
        danish_sorted(
            candidates.searchable(among).filter(pk__in=picked_ids),
            key=lambda v: f"{v.last_name} {v.first_name}",
        )
        if picked_ids
        else []
    )
    query = filters.get("q", "")
    found, people_total = candidates.matching(query, among) if query else ([], 0)
    people_shown = len(found)
    picked_set = {v.pk for v in picked}
    found = danish_sorted(
        [v for v in found if v.pk not in picked_set], key=lambda v: f"{v.last_name} {v.first_name}"
    )
    # An overlap with a seat the user may not see is not named (rules.may_name_for).
    may_name = rules.may_name_for(request.user)
    verdicts = {
        key: None if refusal is None else rules.seen_by(refusal, may_name)
        for key, refusal in candidates.assess(chosen, [*picked, *found]).items()
    }
    free = _free(chosen)
    open_shifts = [s for s in chosen if free[s.pk] > 0]
    if query:
        audit.record_read(
            request,
            "read.volunteer_search",
            election_id=election.pk,
            detail={"query": query, "results": len(found), "shifts": [s.pk for s in chosen]},
        )
    picked_fits = candidates.fits(open_shifts, picked, verdicts)
    found_fits = candidates.fits(open_shifts, found, verdicts)
    context = {
        "election": election,
        "form": form,
        "station": station,
        "chosen": [(s, fill_of(s)) for s in chosen],
        "listed": [(s, fill_of(s)) for s in listed],
        "shifts_total": shifts_total,
        "shifts_limited": shifts_total > len(listed),
        "open_shifts": open_shifts,
        "picked": picked_fits,
        "found": found_fits,
        "query": query,
        "people_total": people_total,
        "people_shown": people_shown,
        "people_limited": people_total > people_shown,
        "anyone_eligible": any(f.eligible for f in [*picked_fits, *found_fits]),
        **inactive,
    }
    if request.GET.get("review") and chosen and picked and not inactive["inactive_reason"]:
        outcomes = candidates.plan(chosen, picked, verdicts, free)
        review_query = request.GET.copy()
        review_query.pop("review", None)
        context.update(
            outcomes=outcomes,
            sending=sum(len(o.invited) for o in outcomes),
            back_query=review_query.urlencode(),
        )
        return render(request, "staffing/fill_invite_review.html", context)
    return render(request, "staffing/fill_invite.html", context)


def _send(
    request: HttpRequest,
    election: Election,
    shifts: QuerySet[Shift],
    among: QuerySet[Volunteer],
    inactive: dict[str, Any],
) -> HttpResponse:
    """The confirmed round (the review page's POST): invite, then show the result."""
    if inactive["inactive_reason"]:  # say why, invite nobody
        return render(request, "staffing/fill_invite.html", {"election": election, **inactive})
    form = ManyInviteForm(
        request.POST,
        shifts=shifts.select_related("election", "station", "role", "team"),
        among=candidates.searchable(among),
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        back = QueryDict(mutable=True)
        back.setlist("shifts", ids_from(request.POST.getlist("shifts"), MAX_SHIFTS))
        back.setlist("volunteers", ids_from(request.POST.getlist("volunteers"), MAX_PEOPLE))
        url = reverse("staffing:fill_invite", args=[election.pk])
        return redirect(f"{url}?{back.urlencode()}")
    outcomes = invite_round(
        request, list(form.cleaned_data["shifts"]), list(form.cleaned_data["volunteers"])
    )
    return redirect(remember_result(request, election, outcomes))
