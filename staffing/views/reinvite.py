"""Inviting the previous election's volunteers into a copy: the page that starts the
job (``staffing.reinvite.start``) and the run's page, which shows its progress and
then who was invited to which shift and who was not, with the reason.

Both need the copy and its source in the user's scope to manage (404 otherwise,
``staffing.access.get_copy_for_user``): the people are the source's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pollcrew.ids import parse_id
from pollcrew.refusals import Refused
from staffing import access, reinvite
from staffing.models import ReinviteRow, ReinviteRun

ROWS_PER_PAGE = 100
# While the job runs, htmx reloads the progress and list this often (and a link does).
REFRESH_SECONDS = 3
INVITED = "invited"
Outcome = ReinviteRow.Outcome


@login_required
@require_http_methods(["GET", "POST"])
def election_reinvite(request: HttpRequest, election_id: int) -> HttpResponse:
    election, source = access.get_copy_for_user(request.user, election_id)
    refusal = None
    if request.method == "POST":
        try:
            started = reinvite.start(
                election, by=request.user, language=translation.get_language() or "en"
            )
        except Refused as refused:
            refusal = refused.message
        else:
            if not started.created and not started.run.finished:
                messages.info(
                    request,
                    _("The previous volunteers are being invited already: this is how far it is."),
                )
            return redirect("staffing:election_reinvite_run", election.pk, started.run.pk)
    latest = reinvite.latest_run(election)
    return render(
        request,
        "staffing/election_reinvite.html",
        {
            "election": election,
            "source": source,
            "previous": reinvite.previous_seats(election).values("volunteer_id").distinct().count(),
            "latest": latest,
            "refusal": refusal,
        },
    )


def _groups(run: ReinviteRun) -> tuple[int, list[dict]]:
    """How many were invited, and the not invited by reason (largest first)."""
    invited, groups = 0, []
    counted = run.rows.values("outcome", "reason_code").annotate(n=Count("pk")).order_by()
    for group in counted:
        if group["outcome"] == Outcome.INVITED:
            invited += group["n"]
        else:
            code = group["reason_code"]
            groups.append({"code": code, "label": reinvite.reason_label(code), "n": group["n"]})
    groups.sort(key=lambda g: (-g["n"], g["label"]))
    return invited, groups


@login_required
@require_GET
def election_reinvite_run(request: HttpRequest, election_id: int, run_id: int) -> HttpResponse:
    election, source, run = access.get_reinvite_run_for_user(request.user, election_id, run_id)
    invited, groups = _groups(run)
    # What the list shows: the invited, or the not invited for one reason.
    codes = [g["code"] for g in groups]
    show = request.GET.get("show", "")
    if show not in (INVITED, *codes):
        show = codes[0] if codes else INVITED
    listed = run.rows.all()
    if show == INVITED:
        listed = listed.filter(outcome=Outcome.INVITED)
    else:
        listed = listed.filter(outcome=Outcome.NOT_INVITED, reason_code=show)
    # The page's ids in Danish name order (a narrow sort of the tens of thousands of
    # rows of a national run), then those rows with their people and shifts. In one
    # query PostgreSQL joins every row before picking the page's: 2-5 times slower.
    ordered = listed.order_by("volunteer__sort_name", "pk").values_list("pk", flat=True)
    page_number = parse_id(request.GET.get("page", "")) or 1
    page = Paginator(ordered, ROWS_PER_PAGE).get_page(page_number)
    rows = (
        ReinviteRow.objects.filter(pk__in=list(page.object_list))
        .select_related(
            "volunteer",
            "previous_shift__station",
            "previous_shift__role",
            "shift__station",
            "shift__role",
            "shift__team",
        )
        .order_by("volunteer__sort_name", "pk")
    )
    return render(
        request,
        "staffing/election_reinvite_run.html",
        {
            "election": election,
            "source": source,
            "run": run,
            "stalled": reinvite.stalled(run),
            "refresh": REFRESH_SECONDS if not run.finished else None,
            "invited": invited,
            "groups": groups,
            "show": show,
            "show_label": _("Invited") if show == INVITED else reinvite.reason_label(show),
            "page": page,
            "rows": rows,
        },
    )


__all__ = ["election_reinvite", "election_reinvite_run"]
