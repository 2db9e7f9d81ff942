"""The export pages: for each list (board, volunteers, assignments, messages),
the payroll and the station staffing, a page with the column picker and the
file format; the page's filters travel along in the query string. Asking for a
format downloads the file (a GET: an export changes nothing, and is audited).
Outside the user's scope is the 404 of the page the export belongs to.

The full data export (exit) is the admin's: a page with a button whose POST
builds the ZIP (``exchange.exit``) and sends it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from accounts.scopes import Capability, scope_of
from elections.models import Election
from exchange import exit as data_exit
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


@login_required
@require_http_methods(["GET", "POST"])
def export_all(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).is_admin:
        raise Http404
    if request.method == "POST":
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(
            data_exit.stream_export(by=request.user, ip=request.META.get("REMOTE_ADDR")),
            content_type="application/zip",
        )
        response["Content-Disposition"] = f'attachment; filename="pollcrew-export-{stamp}.zip"'
        return response
    return render(
        request,
        "exchange/export_all.html",
        {
            "tables": [
                (m._meta.label_lower, m._meta.verbose_name_plural)
                for m in data_exit.exported_models()
            ]
        },
    )
