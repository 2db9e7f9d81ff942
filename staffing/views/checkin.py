"""Check-in on the day: the page a sign-in sheet's QR code opens.

The station manager (or a coordinator) scans the code, sees who it is and checks
them in with one button. A bad or tampered token and a seat outside the user's
scope are the same 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pollcrew.refusals import Refused
from staffing import access
from staffing.checkin import assignment_for_checkin_token
from staffing.models import Assignment
from staffing.services.checkin import (
    AlreadyCheckedIn,
    check_in,
    checkin_open,
    checkin_window,
    local_time,
    undo_check_in,
)

UNDO = "undo"


@login_required
@require_http_methods(["GET", "POST"])
def check_in_page(request: HttpRequest, token: str) -> HttpResponse:
    assignment_id = assignment_for_checkin_token(token)
    if assignment_id is None:
        raise Http404
    seat = access.get_assignment_for_checkin(request.user, assignment_id)
    if request.method == "POST":
        name = seat.volunteer.full_name
        try:
            if request.POST.get("action") == UNDO:
                undo_check_in(seat, by=request.user)
                messages.success(request, _("%(name)s is no longer checked in.") % {"name": name})
            else:
                done = check_in(seat, by=request.user)
                messages.success(
                    request,
                    _("%(name)s is checked in (at %(time)s).")
                    % {"name": name, "time": local_time(done.checked_in_at)},
                )
        except AlreadyCheckedIn as already:
            messages.info(request, already.message)
        except Refused as refusal:
            messages.error(request, refusal.message)
        return redirect(request.path)
    shift = seat.shift
    opens, closes = checkin_window(shift)
    return render(
        request,
        "staffing/checkin.html",
        {
            "seat": seat,
            "shift": shift,
            "volunteer": seat.volunteer,
            "election": shift.election,
            "checked_in": seat.status == Assignment.Status.CHECKED_IN,
            "checkable": seat.status == Assignment.Status.ACCEPTED,
            "open": checkin_open(shift, timezone.now()),
            "opens": opens,
            "closes": closes,
        },
    )
