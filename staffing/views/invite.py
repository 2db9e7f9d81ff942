"""Inviting volunteers to a shift."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts import audit
from accounts.scopes import scope_of
from staffing import access, candidates, services
from staffing.fill import fill_of_shift
from staffing.forms import InviteForm, VolunteerSearchForm
from staffing.rules import RuleViolation
from staffing.views._common import C
from volunteers.models import Volunteer


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
