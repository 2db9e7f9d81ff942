"""Inviting volunteers to one shift: search (live with htmx), tick, invite. The
result page says who was invited and who was not, and why."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts import audit
from accounts.scopes import scope_of
from staffing import access, candidates, rules
from staffing.fill import fill_of_shift
from staffing.forms import InviteForm, VolunteerSearchForm
from staffing.views._common import C
from staffing.views.filling import invite_round, not_inviting, people_among, remember_result


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def shift_invite(request: HttpRequest, election_id: int, shift_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.INVITE)
    shift = access.get_shift_for_user(request.user, election, shift_id, C.INVITE)
    among = candidates.searchable(people_among(request))
    inactive = not_inviting(request, election)
    search = VolunteerSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    form = InviteForm(request.POST if request.method == "POST" else None, among=among)
    if request.method == "POST" and not inactive["inactive_reason"] and form.is_valid():
        outcomes = invite_round(request, [shift], list(form.cleaned_data["volunteers"]))
        return redirect(remember_result(request, election, outcomes))
    fill = fill_of_shift(shift)
    searching = bool(query) and not inactive["inactive_reason"] and not fill.full
    found = (
        candidates.search(shift, query, among=among, may_name=rules.may_name_for(request.user))
        if searching
        else candidates.Found()
    )
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
            "form": form if request.method == "POST" else None,
            "candidates": found,
            "query": query,
            "fill": fill,
            "may_manage": scope_of(request.user).allows_shift(C.MANAGE, shift),
            **inactive,
        },
    )
