"""The export pages: for each list (board, volunteers, assignments, messages),
the payroll and the station staffing, a page with the column picker and the
file format; the page's filters travel along in the query string. Asking for a
format downloads the file (a GET: an export changes nothing, and is audited).
Outside the user's scope is the 404 of the page the export belongs to.

The full data export (exit) is the admin's: a page with a button whose POST
queues the ZIP as a background job (``exchange.exit_jobs``: at national scale it
takes longer than a web request may last), a page following the job, and the
download, recorded in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import audit
from accounts.audit import client_ip
from accounts.models import User
from accounts.scopes import Capability, scope_of
from elections.models import Election
from exchange import exit as data_exit
from exchange import exit_jobs
from exchange.exports import lists, payroll, station_staffing
from exchange.exports.base import Column, Export, picked, respond
from exchange.forms_export import AssignmentFilterForm, ExportForm
from staffing import access

C = Capability
# Query parameters that are the picker's, not the page's filters.
OWN = ("columns", "format", "page", "pick", "invite")
Build = Callable[[list[str]], Export]


def _session_key(kind: str) -> str:
    return f"exchange.export.columns.{kind}"


def _export_page(
    request: HttpRequest,
    *,
    kind: str,
    title: str,
    columns: list[Column],
    build: Build,
    back: str,
    election: Election | None = None,
    filter_form: Any = None,
    intro: str = "",
    pick_columns: bool = True,
) -> HttpResponse:
    remembered = request.session.get(_session_key(kind), [])
    chosen = [c.key for c in picked(columns, remembered)]
    if "format" in request.GET:
        form = ExportForm(request.GET, columns=columns, chosen=chosen)
        if form.is_valid():
            wanted = form.cleaned_data["columns"] if pick_columns else []
            if pick_columns and wanted:
                request.session[_session_key(kind)] = wanted
            return respond(request, build(wanted), form.cleaned_data["format"])
    else:
        form = ExportForm(columns=columns, chosen=chosen)
    own = set(OWN) | (set(filter_form.fields) if filter_form is not None else set())
    hidden = [(k, v) for k, values in request.GET.lists() if k not in own for v in values]
    return render(
        request,
        "exchange/export.html",
        {
            "title": title,
            "intro": intro,
            "election": election,
            "form": form,
            "filter_form": filter_form,
            "hidden": hidden,
            "back": back,
            "pick_columns": pick_columns,
            "others": _election_exports(request.user, election, kind) if election else [],
        },
    )


def _election_exports(user: User, election: Election, kind: str) -> list[tuple[str, str]]:
    """The election's other exports the user may take (links on the page)."""
    scope = scope_of(user)
    found = [("board", _("The board"))]
    if scope.can(C.VIEW_PEOPLE):
        found += [("assignments", _("The seats")), ("station_staffing", _("Station staffing"))]
    if scope.can(C.VIEW_CONTACT):
        found.append(("messages", _("The messages")))
    if scope.allows(C.MANAGE, election_id=election.pk):
        found.append(("payroll", _("Payroll")))
    return [
        (label, reverse(f"exchange:export_{name}", args=[election.pk]))
        for name, label in found
        if name != kind
    ]


def _query(request: HttpRequest) -> QueryDict:
    data = request.GET.copy()
    for key in OWN:
        data.pop(key, None)
    return data


def _back(name: str, request: HttpRequest, *args: Any) -> str:
    query = _query(request).urlencode()
    return reverse(name, args=args) + (f"?{query}" if query else "")


@login_required
@require_GET
def export_board(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id)
    user: User = request.user  # type: ignore[assignment]
    return _export_page(
        request,
        kind="board",
        title=_("Export the board of %(name)s") % {"name": election.name},
        intro=_("One row per polling station and role, for the stations the board shows."),
        columns=lists.board_columns(user),
        build=lambda wanted: lists.board_export(user, election, _query(request), wanted),
        back=_back("staffing:board", request, election.pk),
        election=election,
    )


@login_required
@require_GET
def export_volunteers(request: HttpRequest) -> HttpResponse:
    access.require(request.user, C.VIEW_CONTACT)
    user: User = request.user  # type: ignore[assignment]
    return _export_page(
        request,
        kind="volunteers",
        title=_("Export volunteers"),
        intro=_("Everyone the volunteer list shows with its search and filters, on every page."),
        columns=lists.volunteer_columns(user),
        build=lambda wanted: lists.volunteers_export(user, _query(request), wanted),
        back=_back("staffing:volunteers", request),
    )


@login_required
@require_GET
def export_assignments(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.VIEW_PEOPLE)
    user: User = request.user  # type: ignore[assignment]
    return _export_page(
        request,
        kind="assignments",
        title=_("Export the seats of %(name)s") % {"name": election.name},
        intro=_("Who was invited to, holds or gave up which seat, one row per person and shift."),
        columns=lists.assignment_columns(user),
        build=lambda wanted: lists.assignments_export(user, election, _query(request), wanted),
        back=reverse("staffing:board", args=[election.pk]),
        election=election,
        filter_form=AssignmentFilterForm(request.GET or None, election=election),
    )


@login_required
@require_GET
def export_messages(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.VIEW_CONTACT)
    user: User = request.user  # type: ignore[assignment]
    return _export_page(
        request,
        kind="messages",
        title=_("Export the messages of %(name)s") % {"name": election.name},
        intro=_("Every message the message log shows with its filters, on every page."),
        columns=lists.message_columns(user),
        build=lambda wanted: lists.messages_export(user, election, _query(request), wanted),
        back=_back("staffing:election_messages", request, election.pk),
        election=election,
    )


@login_required
@require_GET
def export_payroll(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.MANAGE)
    user: User = request.user  # type: ignore[assignment]
    return _export_page(
        request,
        kind="payroll",
        title=_("Payroll for %(name)s") % {"name": election.name},
        intro=_(
            "One row per paid shift: accepted and checked-in seats (no-shows, withdrawals "
            "and removals are not paid). The rate is the role's pay per shift; the totals "
            "per role follow the rows (in an Excel file, on a sheet of their own)."
        ),
        columns=payroll.payroll_columns(user),
        build=lambda wanted: payroll.payroll_export(user, election, _query(request), wanted),
        back=reverse("staffing:board", args=[election.pk]),
        election=election,
    )


@login_required
@require_GET
def export_station_staffing(request: HttpRequest, election_id: int) -> HttpResponse:
    election = access.get_election_for_user(request.user, election_id, C.VIEW_PEOPLE)
    user: User = request.user  # type: ignore[assignment]
    return _export_page(
        request,
        kind="station_staffing",
        title=_("Station staffing of %(name)s") % {"name": election.name},
        intro=_(
            "For the national election system: one row per polling station and role with "
            "the seats needed, the seats accepted and the names, in a fixed format "
            "(UTF-8, comma-separated) described in the documentation."
        ),
        columns=list(station_staffing.STAFFING_COLUMNS),
        build=lambda wanted: station_staffing.station_staffing_export(
            user, election, _query(request), wanted
        ),
        back=reverse("staffing:board", args=[election.pk]),
        election=election,
        pick_columns=False,
    )


# --- the full data export (exit) ------------------------------------------------------------


REFRESH_SECONDS = 2


def _admin(request: HttpRequest) -> User:
    if not scope_of(request.user).is_admin:
        raise Http404
    return request.user  # type: ignore[return-value]


@login_required
@require_http_methods(["GET", "POST"])
def export_all(request: HttpRequest) -> HttpResponse:
    """The button: a POST queues the export (``exchange.exit_jobs``) and shows
    its page; the ZIP is made by a worker, not in this request."""
    user = _admin(request)
    if request.method == "POST":
        token, new = exit_jobs.request_export(by=user, ip=client_ip(request))
        if not new:
            messages.info(
                request, _("Your full export is being made already: this is how far it is.")
            )
        return redirect("exchange:export_all_job", token)
    found = exit_jobs.latest(user)
    return render(
        request,
        "exchange/export_all.html",
        {
            "tables": [
                (m._meta.label_lower, m._meta.verbose_name_plural)
                for m in data_exit.exported_models()
            ],
            "latest": found[0] if found else None,
        },
    )


def _job_context(token: str, state: dict[str, Any]) -> dict[str, Any]:
    total = state.get("tables_total") or 0
    done = state.get("tables_done") or 0
    created = datetime.fromisoformat(state["created_at"])
    return {
        "token": token,
        "job": state,
        "percent": int(100 * done / total) if total else 0,
        "active": exit_jobs.active(state),
        "stale": state["status"] in exit_jobs.ACTIVE and not exit_jobs.active(state),
        "expires_at": created + exit_jobs.keep_for(),
        "refresh": REFRESH_SECONDS if exit_jobs.active(state) else None,
    }


@login_required
@require_GET
def export_all_job(request: HttpRequest, token: str) -> HttpResponse:
    state = exit_jobs.job_for(_admin(request), token)
    if state is None:
        raise Http404
    if state["status"] == exit_jobs.DONE and not exit_jobs.file_path(token).is_file():
        state = {**state, "status": "expired"}
    return render(request, "exchange/exit_job.html", _job_context(token, state))


@login_required
@require_GET
def export_all_download(request: HttpRequest, token: str) -> HttpResponse:
    state = exit_jobs.job_for(_admin(request), token)
    path = exit_jobs.file_path(token)
    if state is None or state["status"] != exit_jobs.DONE:
        raise Http404
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    audit.record_read(
        request,
        "read.export_all",
        detail={"made_at": state["created_at"], "size": state["size"]},
    )
    stamp = timezone.localtime(datetime.fromisoformat(state["created_at"])).strftime("%Y%m%d-%H%M")
    response = FileResponse(
        handle,
        content_type="application/zip",
        as_attachment=True,
        filename=f"pollcrew-export-{stamp}.zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response
