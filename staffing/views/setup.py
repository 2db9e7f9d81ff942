"""The setup pages: areas, polling stations and roles — the reference data every
election uses. List (search, order), create, edit, delete (with a confirmation
page that says where something is used, and refuses if it is).

Who may use them is decided in ``staffing.setup_access`` (admins and coordinators
of every election; a 404 for everyone else); writes go through
``polling_stations.services`` and ``elections.services.roles``, with the where-used
checks of ``elections.where_used``.

Lists are sorted and searched in Python over the few columns they need (one
query): Danish order (Æ, Ø, Å last, "Aa" as Å) and Danish folding ("soren" finds
Søren, "aabenraa" finds Åbenrå) are what the database cannot do on both SQLite and
PostgreSQL, and a whole country has 1,400 stations. Only the page's stations are
loaded as objects.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from elections import where_used
from elections.models import Role
from elections.services import roles as role_services
from pollcrew.collation import danish_key
from pollcrew.refusals import Refused
from polling_stations import services as station_services
from polling_stations.models import Area, PollingStation
from staffing import setup_access as access
from staffing.forms_setup import (
    AreaForm,
    MoveForm,
    RoleForm,
    SearchForm,
    StationFilterForm,
    StationForm,
    changed_fields,
    put_on_form,
)

PER_PAGE = 50


# --- searching and ordering ---------------------------------------------------------


def fold(text: str) -> str:
    """Text as a Danish reader searches it: case and accents off, and each Danish
    letter alike with its spellings — æ/ae/a, ø/oe/o, å/aa/a ("Søren", "Soeren"
    and "soren" are one; "Åbenrå" and "Aabenraa" are "abenra")."""
    text = text.casefold().replace("ø", "o").replace("æ", "a")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.replace("aa", "a").replace("ae", "a").replace("oe", "o")


def matcher(query: str) -> Callable[[Iterable[str]], bool]:
    """True for texts containing every word of ``query`` (folded), in any of them."""
    words = [fold(word) for word in query.split()[:5]]

    def matches(texts: Iterable[str]) -> bool:
        haystack = " ".join(fold(t) for t in texts if t)
        return all(word in haystack for word in words)

    return matches


@dataclass(frozen=True)
class Row:
    """One line of a list: the object, its place among its siblings (1 = first)."""

    obj: Any
    position: int
    siblings: int
    count: int | None = None  # stations in an area

    @property
    def first(self) -> bool:
        return self.position == 1

    @property
    def last(self) -> bool:
        return self.position == self.siblings


def _ordered_rows(objects: list[Any], counts: dict[int, int] | None = None) -> list[Row]:
    objects = station_services.ordered(objects)
    return [
        Row(o, i, len(objects), (counts or {}).get(o.pk, 0) if counts is not None else None)
        for i, o in enumerate(objects, start=1)
    ]


def _search(request: HttpRequest) -> tuple[SearchForm, str]:
    form = SearchForm(request.GET or None)
    return form, (form.cleaned_data["q"] if form.is_valid() else "")


def _next(request: HttpRequest) -> str:
    """Where a form came from (its list with the filters: ``?next=``), if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _back(request: HttpRequest, default: str) -> str:
    return _next(request) or default


# --- create, edit, move, delete: the same for each kind -----------------------------


@dataclass(frozen=True)
class Kind:
    """What the shared create / edit / move / delete views need to know of a kind."""

    name: str  # areas, stations, roles: the list's URL name is setup_<name>
    title: Any  # "Polling stations" (lazy): the list's title
    new_title: Any  # "New polling station"
    form: type[forms.ModelForm]
    create: Callable[..., Model]
    update: Callable[..., Model]
    move: Callable[..., Model]
    delete: Callable[..., None]
    refusal: Callable[[Any], Refused | None]
    fieldsets: list[tuple[Any, list[str]]]
    delete_note: Any = ""

    @property
    def singular(self) -> str:
        return self.name[:-1]

    def url(self, action: str, obj: Any) -> str:
        return reverse(f"staffing:setup_{self.singular}_{action}", args=[obj.pk])

    def list_url(self, obj: Any = None) -> str:
        url = reverse(f"staffing:setup_{self.name}")
        if obj is not None and self.name == "stations":
            url += f"?area={obj.area_id}"
        return url


AREAS = Kind(
    "areas",
    gettext_lazy("Areas"),
    gettext_lazy("New area"),
    AreaForm,
    station_services.create_area,
    station_services.update_area,
    station_services.move_area,
    lambda area, *, by: station_services.delete_area(area, by=by, check=where_used.check_area),
    where_used.area_refusal,
    [(None, ["name"])],
)
STATIONS = Kind(
    "stations",
    gettext_lazy("Polling stations"),
    gettext_lazy("New polling station"),
    StationForm,
    station_services.create_station,
    station_services.update_station,
    station_services.move_station,
    lambda station, *, by: station_services.delete_station(
        station, by=by, check=where_used.check_station
    ),
    where_used.station_refusal,
    [
        (None, ["area", "name"]),
        (gettext_lazy("Address"), ["address", "postal_code", "city"]),
        (gettext_lazy("Position"), ["latitude", "longitude"]),
        (
            gettext_lazy("On the day"),
            ["accessibility", "capacity_note", "manager_contact", "notes"],
        ),
    ],
    gettext_lazy("Station managers granted this station no longer have it in their role."),
)
ROLES = Kind(
    "roles",
    gettext_lazy("Roles"),
    gettext_lazy("New role"),
    RoleForm,
    role_services.create_role,
    role_services.update_role,
    role_services.move_role,
    role_services.delete_role,
    where_used.role_refusal,
    [
        (None, ["name", "short_name"]),
        (gettext_lazy("Default times"), ["default_start", "default_end"]),
        (
            gettext_lazy("Conditions"),
            [
                "pay",
                "min_age",
                "invite_only",
                "reminders_enabled",
                "invitation_reminder_days",
                "invitation_reminders_max",
                "required_skills",
            ],
        ),
        (gettext_lazy("Danish"), ["description", "what_to_bring"]),
        (gettext_lazy("English"), ["description_en", "what_to_bring_en"]),
    ],
)


def _edit(request: HttpRequest, kind: Kind, obj: Any = None) -> HttpResponse:
    initial = {}
    if obj is None and kind is STATIONS:
        initial["area"] = request.GET.get("area")
    form = kind.form(request.POST or None, instance=obj, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if obj is None:
                saved = kind.create(by=request.user, **form.cleaned_data)
            else:
                changes = changed_fields(form)
                saved = kind.update(obj, by=request.user, **changes) if changes else obj
        except ValidationError as error:
            put_on_form(form, error)
        except Refused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("“%(name)s” is saved.") % {"name": saved})
            return redirect(_back(request, kind.list_url(saved)))
    fieldsets = [(legend, [form[name] for name in names]) for legend, names in kind.fieldsets]
    return render(
        request,
        "staffing/setup/form.html",
        {
            "kind": kind,
            "obj": obj,
            "form": form,
            "fieldsets": fieldsets,
            "section": kind.name,
            "delete_url": kind.url("delete", obj) if obj is not None else "",
            "next": _next(request),
            "back": _back(request, kind.list_url(obj)),
        },
    )


def _move(request: HttpRequest, kind: Kind, obj: Any) -> HttpResponse:
    """Back to the list, at the moved row's button that was used (setup.js puts
    the focus there, so that pressing it again moves the row on)."""
    form = MoveForm(request.POST)
    fragment = f"#row-{obj.pk}"
    if form.is_valid():
        to = form.cleaned_data["to"]
        try:
            kind.move(obj, by=request.user, to=to)
        except Refused as refusal:
            messages.error(request, refusal.message)
        else:
            fragment = f"#move-{obj.pk}-{to if isinstance(to, str) else 'to'}"
    else:
        messages.error(request, " ".join(form.errors.get("to", [])))
    return redirect(_back(request, kind.list_url(obj)) + fragment)


def _delete(request: HttpRequest, kind: Kind, obj: Any) -> HttpResponse:
    refusal = kind.refusal(obj)
    if request.method == "POST" and refusal is None:
        try:
            kind.delete(obj, by=request.user)
        except Refused as refused:  # used meanwhile
            refusal = refused
        else:
            messages.success(request, _("“%(name)s” is deleted.") % {"name": obj})
            return redirect(_back(request, kind.list_url()))
    return render(
        request,
        "staffing/setup/delete.html",
        {
            "kind": kind,
            "obj": obj,
            "refusal": refusal,
            # The list below the message only when it says more than the message.
            "list_uses": refusal is not None
            and any(name not in refusal.message for name in refusal.names),
            "stations_url": (
                reverse("staffing:setup_stations") + f"?area={obj.pk}"
                if kind is AREAS and refusal is not None and obj.stations.exists()
                else ""
            ),
            "section": kind.name,
            "next": _next(request),
            "back": _back(request, kind.list_url(obj)),
        },
    )


# --- the lists ----------------------------------------------------------------------


def _page(request: HttpRequest, rows: list[Any]) -> tuple[Page, str]:
    """This page of ``rows`` and the query string of the list without its page."""
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


@login_required
@require_GET
def areas(request: HttpRequest) -> HttpResponse:
    """Every area with its number of stations: two queries (areas, counts)."""
    access.require_manager(request.user)
    form, query = _search(request)
    counts = dict(
        PollingStation.objects.order_by()
        .values_list("area_id")
        .annotate(n=Count("pk"))
        .values_list("area_id", "n")
    )
    rows = _ordered_rows(list(Area.objects.all()), counts)
    total = len(rows)
    if query:
        matches = matcher(query)
        rows = [r for r in rows if matches([r.obj.name])]
    page, params = _page(request, rows)
    return render(
        request,
        "staffing/setup/areas.html",
        {
            "page": page,
            "total": total,
            "form": form,
            "query": query,
            "params": params,
            "section": "areas",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def area_create(request: HttpRequest) -> HttpResponse:
    access.require_manager(request.user)
    return _edit(request, AREAS)


@login_required
@require_http_methods(["GET", "POST"])
def area_edit(request: HttpRequest, area_id: int) -> HttpResponse:
    return _edit(request, AREAS, access.get_area(request.user, area_id))


@login_required
@require_POST
def area_move(request: HttpRequest, area_id: int) -> HttpResponse:
    return _move(request, AREAS, access.get_area(request.user, area_id))


@login_required
@require_http_methods(["GET", "POST"])
def area_delete(request: HttpRequest, area_id: int) -> HttpResponse:
    return _delete(request, AREAS, access.get_area(request.user, area_id))


# --- polling stations ---------------------------------------------------------------

_STATION_KEYS = (
    "pk",
    "name",
    "address",
    "postal_code",
    "city",
    "sort_order",
    "area_id",
    "area__name",
    "area__sort_order",
)


@login_required
@require_GET
def stations(request: HttpRequest) -> HttpResponse:
    """Every station, by area, 50 a page, in two queries however many there are:
    the keys of all (to order, filter and search them), then this page's stations."""
    access.require_manager(request.user)
    keys = list(PollingStation.objects.order_by().values_list(*_STATION_KEYS))
    # Areas in their order, stations in theirs within each; positions count within the area.
    keys.sort(key=lambda k: (k[8], danish_key(k[7]), k[6], k[5], danish_key(k[1]), k[0]))
    sizes: dict[int, int] = {}
    positions: dict[int, int] = {}
    areas: dict[int, str] = {}
    for k in keys:
        sizes[k[6]] = positions[k[0]] = sizes.get(k[6], 0) + 1
        areas.setdefault(k[6], k[7])
    total = len(keys)
    form = StationFilterForm(request.GET or None, areas=list(areas.items()))
    filters = form.cleaned_data if form.is_valid() else {}
    if filters.get("area"):
        keys = [k for k in keys if k[6] == filters["area"]]
    if filters.get("q"):
        matches = matcher(filters["q"])
        keys = [k for k in keys if matches(k[1:5])]
    page, params = _page(request, [k[0] for k in keys])
    loaded = PollingStation.objects.select_related("area").in_bulk(page.object_list)
    page.object_list = [
        Row(loaded[pk], positions[pk], sizes[loaded[pk].area_id])
        for pk in page.object_list
        if pk in loaded  # deleted between the two queries
    ]
    return render(
        request,
        "staffing/setup/stations.html",
        {
            "page": page,
            "total": total,
            "form": form,
            "filtered": bool(filters.get("q") or filters.get("area")),
            "searching": bool(filters.get("q")),
            "section": "stations",
            "params": params,
            "area_id": filters.get("area"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def station_create(request: HttpRequest) -> HttpResponse:
    access.require_manager(request.user)
    return _edit(request, STATIONS)


@login_required
@require_http_methods(["GET", "POST"])
def station_edit(request: HttpRequest, station_id: int) -> HttpResponse:
    return _edit(request, STATIONS, access.get_station(request.user, station_id))


@login_required
@require_POST
def station_move(request: HttpRequest, station_id: int) -> HttpResponse:
    return _move(request, STATIONS, access.get_station(request.user, station_id))


@login_required
@require_http_methods(["GET", "POST"])
def station_delete(request: HttpRequest, station_id: int) -> HttpResponse:
    return _delete(request, STATIONS, access.get_station(request.user, station_id))


# --- roles ------------------------------------------------------------------------


@login_required
@require_GET
def roles(request: HttpRequest) -> HttpResponse:
    """Every role: one query."""
    access.require_manager(request.user)
    form, query = _search(request)
    rows = _ordered_rows(list(Role.objects.all()))
    total = len(rows)
    if query:
        matches = matcher(query)
        rows = [r for r in rows if matches([r.obj.name, r.obj.short_name])]
    page, params = _page(request, rows)
    return render(
        request,
        "staffing/setup/roles.html",
        {
            "page": page,
            "total": total,
            "form": form,
            "query": query,
            "params": params,
            "section": "roles",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def role_create(request: HttpRequest) -> HttpResponse:
    access.require_manager(request.user)
    return _edit(request, ROLES)


@login_required
@require_http_methods(["GET", "POST"])
def role_edit(request: HttpRequest, role_id: int) -> HttpResponse:
    return _edit(request, ROLES, access.get_role(request.user, role_id))


@login_required
@require_POST
def role_move(request: HttpRequest, role_id: int) -> HttpResponse:
    return _move(request, ROLES, access.get_role(request.user, role_id))


@login_required
@require_http_methods(["GET", "POST"])
def role_delete(request: HttpRequest, role_id: int) -> HttpResponse:
    return _delete(request, ROLES, access.get_role(request.user, role_id))
