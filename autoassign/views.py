"""The auto-assign pages of an election: start a run and follow it (the latest
proposal's progress, reloaded by htmx while it works), its figures and stations;
one station's diff against today with lock, drop and swap; the people left out;
accept, send the next wave, discard.

Every page needs the election managed by the user (admins and coordinators,
``autoassign.access``); for anyone else the uniform 404. Every change is a POST
with the page's CSRF token through ``autoassign.job`` or ``autoassign.review``; a
refused change says why (at the field, or above the form)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import audit
from accounts.scopes import Capability, scope_of
from autoassign import read_model, review, waves
from autoassign.access import get_autoassign_election, get_proposal_for_user, get_row_for_user
from autoassign.forms_review import RunForm, SwapForm, WaveForm
from autoassign.job import latest_proposal, start_proposal
from autoassign.models import Proposal, ProposalRow
from autoassign.settings_services import current_weights
from elections.models import Election
from pollcrew.refusals import Refused
from staffing import access, candidates, rules
from volunteers.models import Volunteer

Status = Proposal.Status
# While a run works, htmx reloads its progress this often (and a link does).
REFRESH_SECONDS = 2
LEFT_OUT_PER_PAGE = 100
STATIONS_PER_PAGE = 100


def _people_among(request: HttpRequest):
    """The people this user may look for and put on a seat: whose contact data they may see."""
    return candidates.searchable(
        scope_of(request.user).filter(Volunteer.objects.all(), Capability.VIEW_CONTACT)
    )


def _page(
    request: HttpRequest,
    election: Election,
    proposal: Proposal | None,
    *,
    run_form: RunForm | None = None,
    wave_form: WaveForm | None = None,
    refusal: str = "",
    latest: bool | None = None,
) -> HttpResponse:
    """The auto-assign page: the run form, and ``proposal`` (the latest, or one
    asked for) with its progress, figures, stations and what can be done with it.
    ``latest``: whether it is the election's latest (looked up if not said)."""
    if latest is None:
        latest = proposal is not None and proposal.pk == getattr(
            latest_proposal(election), "pk", None
        )
    default_wave = current_weights(election).wave_size
    context: dict[str, Any] = {
        "election": election,
        "proposal": proposal,
        "run_form": run_form or RunForm(election=election),
        "wave_form": wave_form or WaveForm(default=default_wave),
        "refusal": refusal,
        "refresh": None,
        "latest": latest,
    }
    if proposal is not None:
        working = proposal.status in Proposal.IN_PROGRESS or proposal.wave_running
        context["refresh"] = REFRESH_SECONDS if working else None
        if proposal.status in (Status.READY, Status.ACCEPTED, Status.DISCARDED):
            lines = read_model.stations_overview(proposal)
            page = Paginator(lines, STATIONS_PER_PAGE).get_page(request.GET.get("page"))
            context.update(
                figures=read_model.figures(proposal),
                stations=page,
                totals={
                    "new": sum(line.new for line in lines),
                    "unchanged": sum(line.unchanged for line in lines),
                    "open": sum(line.open for line in lines),
                    "dropped": sum(line.dropped for line in lines),
                },
                left_out_count=sum(n for _code, n in read_model.left_out_reasons(proposal)),
            )
        if proposal.status in (Status.ACCEPTED, Status.DISCARDED):
            context["answers"] = waves.answers(proposal)
    return render(request, "autoassign/page.html", context)


@login_required
@require_GET
def home(request: HttpRequest, election_id: int) -> HttpResponse:
    """The election's auto-assign page, with its latest proposal."""
    election = get_autoassign_election(request.user, election_id)
    return _page(request, election, latest_proposal(election), latest=True)


@login_required
@require_GET
def proposal_page(request: HttpRequest, election_id: int, proposal_id: int) -> HttpResponse:
    """The page of one proposal (the latest is also the election's auto-assign page)."""
    proposal = get_proposal_for_user(request.user, election_id, proposal_id)
    return _page(request, proposal.election, proposal)


@login_required
@require_POST
def run(request: HttpRequest, election_id: int) -> HttpResponse:
    """Start a run (for everything open, or one area, station, role or day)."""
    election = get_autoassign_election(request.user, election_id)
    form = RunForm(request.POST, election=election)
    if not form.is_valid():
        return _page(request, election, latest_proposal(election), run_form=form, latest=True)
    data = form.cleaned_data
    try:
        proposal = start_proposal(
            election,
            by=request.user,
            area=data["area"],
            station=data["station"],
            role=data["role"],
            day=data["day"],
            time_limit=data["time_limit"],
        )
    except Refused as refused:
        return _page(
            request,
            election,
            latest_proposal(election),
            run_form=form,
            refusal=refused.message,
            latest=True,
        )
    return redirect("autoassign:proposal", election_id=election.pk, proposal_id=proposal.pk)


# --- one station ------------------------------------------------------------------------------


@login_required
@require_GET
def station(
    request: HttpRequest, election_id: int, proposal_id: int, station_id: int
) -> HttpResponse:
    """One station's diff: per shift, who holds a seat now, who is proposed (lock,
    drop, swap), and the seats left open with the reason."""
    proposal = get_proposal_for_user(request.user, election_id, proposal_id)
    election = proposal.election
    polling_station = access.get_station_for_user(
        request.user, election, station_id, Capability.MANAGE
    )
    shifts = read_model.station_review(proposal, polling_station)
    audit.record_read(
        request,
        "read.autoassign_station",
        proposal,
        election_id=election.pk,
        detail={"station": polling_station.pk},
    )
    return render(
        request,
        "autoassign/station.html",
        {
            "election": election,
            "proposal": proposal,
            "station": polling_station,
            "shifts": shifts,
            "reviewable": proposal.status == Status.READY,
        },
    )


def _row_done(request: HttpRequest, row: ProposalRow, refusal: str = "") -> HttpResponse:
    """After a change to a row: the row again (htmx), or back to the station page."""
    if request.htmx:
        return render(
            request,
            "autoassign/_row.html",
            {
                "election": row.proposal.election,
                "proposal": row.proposal,
                "row": read_model.row_for_page(row),
                "reviewable": row.proposal.status == Status.READY,
                "row_error": refusal,
            },
        )
    if refusal:
        flash.error(request, refusal)
    return redirect(
        reverse(
            "autoassign:station",
            args=[row.proposal.election_id, row.proposal_id, row.shift.station_id],
        )
        + f"#row-{row.pk}"
    )


@login_required
@require_POST
def row_lock(request: HttpRequest, election_id: int, proposal_id: int, row_id: int) -> HttpResponse:
    """Lock (``locked=1``) or unlock a proposed seat."""
    row = get_row_for_user(request.user, election_id, proposal_id, row_id)
    try:
        row = review.lock_row(row, request.POST.get("locked") == "1", by=request.user)
    except Refused as refused:
        return _row_done(request, row, refused.message)
    return _row_done(request, row)


@login_required
@require_POST
def row_drop(request: HttpRequest, election_id: int, proposal_id: int, row_id: int) -> HttpResponse:
    """Drop (``dropped=1``) a proposed seat from the invitations, or take it back."""
    row = get_row_for_user(request.user, election_id, proposal_id, row_id)
    try:
        row = review.drop_row(row, request.POST.get("dropped") == "1", by=request.user)
    except Refused as refused:
        return _row_done(request, row, refused.message)
    return _row_done(request, row)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def row_swap(request: HttpRequest, election_id: int, proposal_id: int, row_id: int) -> HttpResponse:
    """Put someone else on a proposed seat: search among the people one may see,
    each with why they cannot take it (if so); choose one."""
    row = get_row_for_user(request.user, election_id, proposal_id, row_id)
    proposal, shift = row.proposal, row.shift
    shift.election = proposal.election
    among = _people_among(request)
    query = request.GET.get("q", "").strip()[:100]
    form = SwapForm(request.POST if request.method == "POST" else None, among=among)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            swapped = review.swap_row(row, form.cleaned_data["volunteer"], by=request.user)
        except Refused as refused:
            refusal = refused.message
        else:
            flash.success(
                request,
                _("%(name)s is proposed for this seat now.")
                % {"name": swapped.volunteer.full_name},
            )
            return redirect(
                reverse("autoassign:station", args=[election_id, proposal.pk, shift.station_id])
                + f"#row-{row.pk}"
            )
    may_name = rules.may_name_for(request.user)
    if query:
        found = candidates.search(shift, query, among=among, may_name=may_name)
    else:
        found = candidates.suggest(shift, among, exclude=[row.volunteer_id], may_name=may_name)
    eligible = [c.volunteer for c in found if c.eligible]
    extra = review.swap_refusals(proposal, shift, eligible, by=request.user, instead_of=row)
    people = [
        {
            "volunteer": c.volunteer,
            "age": c.age,
            "refusal": c.refusal.message
            if c.refusal
            else getattr(extra.get(c.volunteer.pk), "message", ""),
        }
        for c in found
    ]
    if found:
        audit.record_read(
            request,
            "read.volunteer_search",
            election_id=proposal.election_id,
            detail={"query": query, "results": len(found), "shift": shift.pk},
        )
    partial = request.htmx and not request.htmx.history_restore_request
    return render(
        request,
        "autoassign/_swap_results.html" if partial else "autoassign/swap.html",
        {
            "election": proposal.election,
            "proposal": proposal,
            "row": read_model.row_for_page(row),
            "shift": shift,
            "query": query,
            "people": people,
            "found": found,
            "form": form,
            "refusal": refusal,
            "reviewable": proposal.status == Status.READY,
        },
    )


# --- left out ---------------------------------------------------------------------------------


@login_required
@require_GET
def left_out(request: HttpRequest, election_id: int, proposal_id: int) -> HttpResponse:
    """The willing people the proposal did not place, and why (by reason, paginated)."""
    proposal = get_proposal_for_user(request.user, election_id, proposal_id)
    reasons = read_model.left_out_labelled(proposal)
    codes = [code for code, _label, _n in reasons]
    show = request.GET.get("reason", "")
    if show not in codes:
        show = ""
    page = Paginator(read_model.left_out(proposal, show or None), LEFT_OUT_PER_PAGE).get_page(
        request.GET.get("page")
    )
    read_model.with_reasons(page.object_list)
    if page.object_list:
        audit.record_read(
            request,
            "read.autoassign_left_out",
            proposal,
            election_id=proposal.election_id,
            detail={"people": len(page.object_list)},
        )
    return render(
        request,
        "autoassign/left_out.html",
        {
            "election": proposal.election,
            "proposal": proposal,
            "reasons": reasons,
            "show": show,
            "page": page,
            "total": sum(n for _code, _label, n in reasons),
        },
    )


# --- accept, waves, discard -------------------------------------------------------------------


def _wave_post(request: HttpRequest, election_id: int, proposal_id: int, accepting: bool):
    proposal = get_proposal_for_user(request.user, election_id, proposal_id)
    election = proposal.election
    form = WaveForm(request.POST, default=current_weights(election).wave_size)
    if not form.is_valid():
        return _page(request, election, proposal, wave_form=form)
    size = form.cleaned_data["size"]
    if not accepting and request.POST.get("resend") == "1":
        if waves.redispatch_wave(proposal, by=request.user) is not None:
            flash.success(request, _("The wave was handed to the worker again."))
        return redirect("autoassign:proposal", election_id=election.pk, proposal_id=proposal.pk)
    try:
        if accepting:
            waves.accept_proposal(proposal, by=request.user, wave_size=size)
        else:
            waves.send_wave(proposal, by=request.user, size=size)
    except Refused as refused:
        return _page(request, election, proposal, wave_form=form, refusal=refused.message)
    if accepting:
        flash.success(
            request, _("The proposal is accepted: the first wave of invitations is on its way.")
        )
    else:
        flash.success(request, _("The next wave of invitations is on its way."))
    return redirect("autoassign:proposal", election_id=election.pk, proposal_id=proposal.pk)


@login_required
@require_POST
def accept(request: HttpRequest, election_id: int, proposal_id: int) -> HttpResponse:
    """Accept the proposal and send its first wave (``size`` invitations, or the default)."""
    return _wave_post(request, election_id, proposal_id, accepting=True)


@login_required
@require_POST
def wave(request: HttpRequest, election_id: int, proposal_id: int) -> HttpResponse:
    """Send the next wave of an accepted proposal."""
    return _wave_post(request, election_id, proposal_id, accepting=False)


@login_required
@require_POST
def discard(request: HttpRequest, election_id: int, proposal_id: int) -> HttpResponse:
    """Set the proposal aside (an accepted one sends no more waves)."""
    proposal = get_proposal_for_user(request.user, election_id, proposal_id)
    try:
        waves.discard_proposal(proposal, by=request.user)
    except Refused as refused:
        return _page(request, proposal.election, proposal, refusal=refused.message)
    flash.success(request, _("The proposal is discarded."))
    return redirect("autoassign:home", election_id=proposal.election_id)


__all__ = [
    "accept",
    "discard",
    "home",
    "left_out",
    "proposal_page",
    "row_drop",
    "row_lock",
    "row_swap",
    "run",
    "station",
    "wave",
]
