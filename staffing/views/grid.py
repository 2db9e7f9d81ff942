"""The seat grid: for an election and a day, stations (rows, by area) by roles
(columns), one number of seats per cell; and one cell's details (its shifts with
their teams and times).

Thin: the read model (staffing.grid) builds what is shown, the forms
(staffing.forms_grid) read what was typed, the service (staffing.services.grid)
saves it in one transaction. A save that would take seats from people is shown
back as a confirmation page naming them; confirmed, it is carried out and they
are told. Who may: those who manage the election's seats (coordinators of the
election, admins); everyone else gets a 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from elections.models import Election, Role
from pollcrew.ids import parse_id
from pollcrew.refusals import Refused
from polling_stations.models import Area, PollingStation
from staffing import access
from staffing import grid as grid_model
from staffing.forms_grid import CellForm, DayForm, GridForm, cell_formset, times_label
from staffing.services.grid import GridRefused, GridResult, SeatsHeld, save_cell, save_grid
from staffing.views._common import C


def _election(request: HttpRequest, election_id: int) -> Election:
    return access.get_election_for_user(request.user, election_id, C.MANAGE)


def _day(request: HttpRequest, election: Election) -> tuple[DayForm, date]:
    """The day asked for (``?day=``), or election day if none or not a valid one
    (the form then says why)."""
    form = DayForm(request.GET or None, election=election)
    if request.GET.get("day") and form.is_valid():
        return form, form.cleaned_data["day"]
    if not request.GET.get("day"):
        form = DayForm(initial={"day": election.election_date}, election=election)
    return form, election.election_date


def _area(request: HttpRequest, election: Election) -> Area | None:
    area_id = parse_id(request.GET.get("area", ""))
    if area_id is None:
        return None
    return election.areas.filter(pk=area_id).first()


def _grid_url(election: Election, day: date, area: Area | None = None) -> str:
    query = {"day": day.isoformat()}
    if area is not None:
        query["area"] = str(area.pk)
    return f"{reverse('staffing:grid', args=[election.pk])}?{urlencode(query)}"


def _confirm(request: HttpRequest) -> bool | list[int]:
    """The assignments the coordinator was shown and confirmed (``confirm``), when
    they pressed the confirm button; else False (nobody may lose a seat)."""
    if request.POST.get("do") != "confirm":
        return False
    ids = (parse_id(v) for v in request.POST.getlist("confirm")[:100000])
    return [i for i in ids if i is not None]


def _saved_message(request: HttpRequest, result: GridResult) -> None:
    counts = (
        (result.created, ngettext("%(count)d new shift", "%(count)d new shifts", result.created)),
        (result.resized, ngettext("%(count)d resized", "%(count)d resized", result.resized)),
        (result.changed, ngettext("%(count)d changed", "%(count)d changed", result.changed)),
        (result.deleted, ngettext("%(count)d removed", "%(count)d removed", result.deleted)),
    )
    parts = [text % {"count": n} for n, text in counts if n]
    if not parts:
        messages.info(request, _("Nothing to save: no number was changed."))
        return
    messages.success(request, _("Saved: %(what)s.") % {"what": ", ".join(parts)})
    if result.notified:
        messages.info(
            request,
            ngettext(
                "%(count)d person was told: %(names)s.",
                "%(count)d people were told: %(names)s.",
                len(result.notified),
            )
            % {
                "count": len(result.notified),
                "names": ", ".join(a.volunteer.full_name for a in result.notified),
            },
        )
    if result.not_notified:
        messages.warning(
            request,
            _("No message could reach %(names)s: please call them.")
            % {"names": ", ".join(a.volunteer.full_name for a in result.not_notified)},
        )


def _effects_context(held: SeatsHeld) -> list[dict[str, Any]]:
    return [
        {
            "assignment_id": e.assignment_id,
            "volunteer": e.volunteer,
            "station": e.station,
            "role": e.role,
            "when": f"{date_format(e.starts_at, 'SHORT_DATE_FORMAT')} "
            f"{times_label(e.starts_at, e.ends_at)}",
            "kind": e.kind,
            "reachable": e.reachable,
        }
        for e in held.effects
    ]


@login_required
@require_http_methods(["GET", "POST"])
@grid_model.collector_held_off()
def seat_grid(request: HttpRequest, election_id: int) -> HttpResponse:
    election = _election(request, election_id)
    day_form, day = _day(request, election)
    area = _area(request, election)
    grid = grid_model.build(election, day, area_id=area.pk if area else None)
    form = GridForm(grid)
    status = 200
    if request.method == "POST":
        form = GridForm(grid, request.POST)
        if election.status == Election.Status.ARCHIVED:
            messages.error(request, _("This election is archived: its seats cannot be changed."))
            return redirect(_grid_url(election, day, area))
        if form.is_valid() and request.POST.get("do") == "back":
            pass  # back from the confirmation: the grid with the numbers typed
        elif form.is_valid():
            try:
                result = save_grid(
                    election,
                    day,
                    form.edits,
                    by=request.user,
                    confirm=_confirm(request),
                )
            except SeatsHeld as held:
                return render(
                    request,
                    "staffing/grid_confirm.html",
                    {
                        "election": election,
                        "day": day,
                        "area": area,
                        "refusal": held,
                        "effects": _effects_context(held),
                        "packed": form.packed,
                        "back": _grid_url(election, day, area),
                        "action": request.get_full_path(),
                    },
                )
            except GridRefused as refused:
                form.add_errors(refused.errors)  # the page lists them above the grid
                status = 400
            except Refused as refused:
                messages.error(request, refused.message)
                status = 400
            else:
                _saved_message(request, result)
                return redirect(_grid_url(election, day, area))
        else:
            if form.unknown:
                messages.error(
                    request,
                    _("Some cells are no longer on this grid: reload the page and try again."),
                )
            status = 400
    big = form.too_big_without_javascript()
    areas = list(election.areas.order_by("sort_order", "name").values_list("pk", "name"))
    cell_url = reverse("staffing:grid_cell", args=[election.pk, 0, 0]).removesuffix("0/0/")
    return render(
        request,
        "staffing/grid.html",
        {
            "election": election,
            "day": day,
            "day_form": day_form,
            "days": grid.days,
            "area": area,
            "areas": areas,
            "grid": grid,
            "form": form,
            "rows": form.groups(
                cell_url, day, named=not big, readonly=election.status == Election.Status.ARCHIVED
            ),
            "columns": [(r, times_label(r.default_start, r.default_end)) for r in grid.roles],
            "readonly": election.status == Election.Status.ARCHIVED,
            "big": big,
            "action": request.get_full_path(),
        },
        status=status,
    )


def _cell_station(election: Election, station_id: int) -> PollingStation:
    """A station on the election's grid (in its areas, or with seats in it); else 404."""
    found = (
        PollingStation.objects.select_related("area")
        .filter(pk=station_id, pk__in=[s[0] for s in grid_model.stations_of(election)])
        .first()
    )
    if found is None:
        raise Http404
    return found


@login_required
@require_http_methods(["GET", "POST"])
def seat_grid_cell(
    request: HttpRequest, election_id: int, station_id: int, role_id: int
) -> HttpResponse:
    election = _election(request, election_id)
    station = _cell_station(election, station_id)
    role = Role.objects.filter(pk=role_id).first()
    if role is None:
        raise Http404
    _day_form, day = _day(request, election)
    cell = grid_model.build_cell(election, station, role, day)
    back = f"{_grid_url(election, day)}#s{station.pk}"  # back at the station's row
    effects: list[dict[str, Any]] = []
    refusal: Refused | None = None
    status = 200
    if request.method == "POST" and election.status != Election.Status.ARCHIVED:
        formset = cell_formset(cell, role, day, request.POST)
        version_form = CellForm(request.POST)
        if formset.is_valid() and version_form.is_valid():
            specs = [
                spec for i, f in enumerate(formset.forms) if (spec := f.spec(i, day)) is not None
            ]
            try:
                result = save_cell(
                    election,
                    station=station,
                    role=role,
                    day=day,
                    version=version_form.cleaned_data["version"],
                    specs=specs,
                    by=request.user,
                    confirm=_confirm(request),
                )
            except SeatsHeld as held:
                refusal, effects = held, _effects_context(held)
            except GridRefused as refused:
                refusal = refused
                for key, problems in refused.errors.items():
                    for problem in problems:
                        if key is None or not 0 <= key < len(formset.forms):
                            formset._non_form_errors = [*formset.non_form_errors(), problem]
                        else:
                            formset.forms[key].add_error(None, problem)
                if None in refused.errors:
                    # The cell changed meanwhile: show it as it is now.
                    cell = grid_model.build_cell(election, station, role, day)
                    formset = cell_formset(cell, role, day)
                status = 400
            except Refused as refused:
                refusal, status = refused, 400
            else:
                _saved_message(request, result)
                return redirect(back)
        else:
            status = 400
        version = request.POST.get("version", "")
    else:
        formset = cell_formset(cell, role, day)
        version = cell.version
    return render(
        request,
        "staffing/grid_cell.html",
        {
            "election": election,
            "station": station,
            "role": role,
            "day": day,
            "cell": cell,
            "formset": formset,
            "version": version,
            "default_times": times_label(role.default_start, role.default_end),
            "shift_times": [(s, times_label(s.starts_at, s.ends_at)) for s in cell.shifts],
            "refusal": refusal,
            "effects": effects,
            "back": back,
            "readonly": election.status == Election.Status.ARCHIVED,
        },
        status=status,
    )
