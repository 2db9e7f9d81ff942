"""The volunteer register: the list (search, filters, status in an election,
pages), a volunteer's page (contact data, teams, skills, seats across
elections, history), create and edit (with warnings for likely duplicates
before saving) and merge two records.

Scope: the list and the page show only people the user may see with their
contact data (staffing.volunteer_list); creating, editing and merging need the
manage capability. Writes go through volunteers.services and
staffing.services.merge."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts import audit
from accounts.models import User
from accounts.scopes import scope_of
from elections.models import Election
from pollcrew.ids import parse_id
from pollcrew.phones import display_phone
from pollcrew.refusals import Refused
from staffing import access
from staffing.access import get_volunteer_for_user, visible_volunteers
from staffing.forms_volunteers import MergeForm, VolunteerFilterForm
from staffing.models import SEAT_HOLDING_STATUSES, Assignment
from staffing.services.merge import merge_volunteers
from staffing.views._common import C
from staffing.volunteer_list import (
    COUNT_CAP,
    CappedPaginator,
    filtered,
    seats_in,
    teams_of,
    visible_teams,
)
from staffing.volunteer_timeline import timeline
from volunteers import search, services
from volunteers.forms import VolunteerPageForm
from volunteers.models import Skill, Volunteer

PER_PAGE = 50
MAX_PICKED = 200
MERGE_MATCHES = 20


def _reason_text(reasons: tuple[str, ...]) -> str:
    labels = {
        "phone": _("same mobile number"),
        "email": _("same email address"),
        "name_birth_date": _("same name and date of birth"),
    }
    return ", ".join(str(labels[r]) for r in reasons)


def shown_phone(phone: str) -> str:
    """A number as pages show it; Danish mobiles (most of the register) without
    parsing: +4520123456 → "+45 20 12 34 56", as pollcrew.phones.display_phone."""
    if len(phone) == 11 and phone.startswith("+45") and phone[1:].isdigit():
        return f"+45 {phone[3:5]} {phone[5:7]} {phone[7:9]} {phone[9:11]}"
    return display_phone(phone) if phone else ""


def _invite_url(election: Election | None) -> str:
    """The filling pages' invite page for ``election``, if it exists."""
    if election is None:
        return ""
    try:
        return reverse("staffing:fill_invite", args=[election.pk])
    except NoReverseMatch:
        return ""


def _picked(request: HttpRequest) -> list[int]:
    ids = []
    for raw in request.GET.getlist("pick")[:MAX_PICKED]:
        number = parse_id(raw)
        if number is not None and number not in ids:
            ids.append(number)
    return ids


# --- the list -------------------------------------------------------------------------------


@login_required
@require_GET
def volunteer_list(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, C.VIEW_CONTACT)
    elections = list(
        access.visible_elections(request.user, C.VIEW_PEOPLE).order_by("-election_date", "-pk")
    )
    data = request.GET.copy()
    if not data.get("election") and elections:
        current = [e for e in elections if e.status == Election.Status.ACTIVE]
        data["election"] = str((current or elections)[0].pk)
    form = VolunteerFilterForm(
        data,
        teams=visible_teams(request.user),
        skills=Skill.objects.order_by("name"),
        elections=elections,
    )
    form.is_valid()
    cleaned: dict[str, Any] = getattr(form, "cleaned_data", {})
    election = cleaned.get("election")
    invite_url = _invite_url(election) if scope.can(C.INVITE) else ""

    if "invite" in request.GET and invite_url:
        wanted = _picked(request)
        allowed = set(
            visible_volunteers(request.user).filter(pk__in=wanted).values_list("pk", flat=True)
        )
        picked = [pk for pk in wanted if pk in allowed]  # in the order ticked
        if picked:
            query = urlencode([("volunteers", pk) for pk in picked])
            return redirect(f"{invite_url}?{query}")
        messages.error(request, _("Tick the people to invite first."))

    people = filtered(request.user, cleaned)
    narrowed = any(cleaned.get(k) for k in ("q", "team", "skill", "language", "channel")) or bool(
        cleaned.get("status")
    )
    paginator = CappedPaginator(people, PER_PAGE, cap=COUNT_CAP if narrowed else None)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    ids = [v.pk for v in rows]
    seats = seats_in(election, ids, scope)
    teams = teams_of(ids)
    query = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key not in ("page", "pick", "invite"):
            query.setlist(key, values)
    base = reverse("staffing:volunteers")  # a volunteer's page is <list>/<id>/ (urls_volunteers)
    audit.record_read(
        request,
        "read.volunteer_list",
        detail={"people": len(rows), "searched": bool(cleaned.get("q"))},
    )
    return render(
        request,
        "staffing/volunteers/list.html",
        {
            "form": form,
            "page": page,
            "rows": [
                {
                    "v": v,
                    "url": f"{base}{v.pk}/",
                    "phone": shown_phone(v.phone),
                    "seats": seats[v.pk].tags(),
                    "teams": teams[v.pk],
                }
                for v in rows
            ],
            "total": page.paginator.count,
            "capped": paginator.capped,
            "election": election,
            "query": query.urlencode(),
            "invite_url": invite_url,
            "may_manage": scope.can(C.MANAGE),
            "has_elections": bool(elections),
            "filtered": narrowed,
        },
    )


# --- a volunteer's page ---------------------------------------------------------------------


@login_required
@require_GET
def volunteer_detail(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    volunteer = get_volunteer_for_user(request.user, volunteer_id)
    scope = scope_of(request.user)
    assignments = list(
        scope.filter(Assignment.objects.filter(volunteer=volunteer), C.VIEW_PEOPLE)
        .select_related("shift__election", "shift__station", "shift__role", "shift__team")
        .order_by("-shift__starts_at", "-pk")
    )
    events = timeline(volunteer.pk, assignments, personal=scope.can(C.MANAGE))
    audit.record_read(request, "read.volunteer_page", volunteer)
    return render(
        request,
        "staffing/volunteers/detail.html",
        {
            "volunteer": volunteer,
            "assignments": assignments,
            "events": events,
            "may_manage": scope.can(C.MANAGE),
            "age": volunteer.age_on(timezone.localdate()),
        },
    )


# --- create and edit ------------------------------------------------------------------------


def _save(
    request: HttpRequest, form: VolunteerPageForm, volunteer: Volunteer | None
) -> tuple[Volunteer | None, list[Any]]:
    """Save the valid ``form`` unless it looks like a duplicate not yet confirmed:
    (saved volunteer, []) or (None, the likely duplicates to warn about)."""
    data = form.cleaned_data
    duplicates = search.likely_duplicates(
        visible_volunteers(request.user),
        first_name=data["first_name"],
        last_name=data["last_name"],
        birth_date=data["birth_date"],
        email=data["email"],
        phone=data["phone"],
        exclude_pk=volunteer.pk if volunteer else None,
    )
    confirmed = (
        "save_anyway" in request.POST
        and {d.volunteer.pk for d in duplicates} <= form.seen_duplicates()
    )
    if duplicates and not confirmed:
        return None, duplicates
    try:
        if volunteer is None:
            saved = services.create_volunteer(by=request.user, **form.changes())
        else:
            saved = services.update_volunteer(volunteer, by=request.user, **form.changes())
    except ValidationError as error:
        form.add_error(None, error)
        return None, []
    return saved, []


def _form_page(
    request: HttpRequest,
    form: VolunteerPageForm,
    volunteer: Volunteer | None,
    duplicates: list[Any],
) -> HttpResponse:
    return render(
        request,
        "staffing/volunteers/form.html",
        {
            "form": form,
            "volunteer": volunteer,
            "duplicates": [
                {"v": d.volunteer, "reasons": _reason_text(d.reasons)} for d in duplicates
            ],
            "duplicates_seen": ",".join(str(d.volunteer.pk) for d in duplicates),
        },
        status=200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_create(request: HttpRequest) -> HttpResponse:
    access.require(request.user, C.MANAGE)
    form = VolunteerPageForm(request.POST if request.method == "POST" else None)
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        saved, duplicates = _save(request, form, None)
        if saved is not None:
            messages.success(request, _("%(name)s is saved.") % {"name": saved.full_name})
            return redirect("staffing:volunteer", saved.pk)
    return _form_page(request, form, None, duplicates)


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_edit(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    volunteer = get_volunteer_for_user(request.user, volunteer_id, C.MANAGE)
    stored = Volunteer.objects.get(pk=volunteer.pk)  # the form changes its instance
    form = VolunteerPageForm(request.POST if request.method == "POST" else None, instance=volunteer)
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        saved, duplicates = _save(request, form, stored)
        if saved is not None:
            messages.success(request, _("%(name)s is saved.") % {"name": saved.full_name})
            return redirect("staffing:volunteer", saved.pk)
    return _form_page(request, form, stored, duplicates)


# --- merge ----------------------------------------------------------------------------------


def _merge_candidates(request: HttpRequest, volunteer: Volunteer) -> tuple[list[Any], str]:
    """Likely duplicates of ``volunteer`` and, with a search, other matches."""
    people = visible_volunteers(request.user, C.MANAGE)
    found = [
        {"v": d.volunteer, "reasons": _reason_text(d.reasons)}
        for d in search.likely_duplicates(
            people,
            first_name=volunteer.first_name,
            last_name=volunteer.last_name,
            birth_date=volunteer.birth_date,
            email=volunteer.email,
            phone=volunteer.phone,
            exclude_pk=volunteer.pk,
        )
    ]
    query = (request.GET.get("q") or "")[: search.MAX_QUERY_LENGTH]
    if query.strip():
        seen = {row["v"].pk for row in found}
        matches = search.in_danish_order(search.matching(people, query).exclude(pk=volunteer.pk))[
            :MERGE_MATCHES
        ]
        found += [{"v": v, "reasons": ""} for v in matches if v.pk not in seen]
    return found, query


def _seat_summary(volunteer_ids: list[int]) -> dict[int, dict[str, int]]:
    summary = {pk: {"all": 0, "live": 0} for pk in volunteer_ids}
    for volunteer_id, status in Assignment.objects.filter(
        volunteer_id__in=volunteer_ids
    ).values_list("volunteer_id", "status"):
        summary[volunteer_id]["all"] += 1
        summary[volunteer_id]["live"] += status in SEAT_HOLDING_STATUSES
    return summary


def _shared_shifts(user: User, a: Volunteer, b: Volunteer) -> list[Any]:
    """Shifts both records hold a seat on (the merge keeps one seat), in the
    elections the user manages (others are not named: the merge is refused then)."""
    live = Assignment.objects.filter(status__in=SEAT_HOLDING_STATUSES)
    shared = live.filter(volunteer=a, shift__in=live.filter(volunteer=b).values("shift_id"))
    shared = scope_of(user).filter(shared, C.MANAGE)
    return list(
        shared.select_related("shift__election", "shift__station", "shift__role").order_by(
            "shift__starts_at"
        )
    )


def _covers_all_seats(request: HttpRequest, ids: list[int]) -> bool:
    """The user may change every seat of both records (all their elections)."""
    everything = Assignment.objects.filter(volunteer_id__in=ids)
    mine = scope_of(request.user).filter(everything, C.MANAGE)
    return everything.count() == mine.count()


def _merged_message(result: Any) -> str:
    text = _("%(merged)s is merged into %(survivor)s: %(seats)s, %(links)s, %(messages)s.") % {
        "merged": result.merged_name,
        "survivor": result.survivor.full_name,
        "seats": ngettext("%(n)d seat moved", "%(n)d seats moved", result.assignments)
        % {"n": result.assignments},
        "links": ngettext("%(n)d link", "%(n)d links", result.links) % {"n": result.links},
        "messages": ngettext("%(n)d message", "%(n)d messages", result.messages)
        % {"n": result.messages},
    }
    return text


def _conflict_lines(result: Any) -> list[str]:
    lines = []
    for c in result.conflicts:
        shift = c.kept.shift
        where = f"{shift.election.name}, {shift.station.name}, {shift.role.name}"
        if c.kind == "same_shift":
            lines.append(
                _(
                    "Both records were on the same shift (%(shift)s): the seat kept is the one "
                    "that was %(kept)s; the other, %(dropped)s, is removed (no notice sent)."
                )
                % {
                    "shift": where,
                    "kept": c.kept.get_status_display().lower(),
                    "dropped": Assignment.Status(c.dropped_status).label.lower(),
                }
            )
        else:
            other = c.other.shift
            lines.append(
                _(
                    "Two seats now overlap in time: %(shift)s and %(other)s. Move or remove "
                    "one of them."
                )
                % {
                    "shift": where,
                    "other": f"{other.election.name}, {other.station.name}, {other.role.name}",
                }
            )
    return lines


@login_required
@require_http_methods(["GET", "POST"])
def volunteer_merge(request: HttpRequest, volunteer_id: int) -> HttpResponse:
    volunteer = get_volunteer_for_user(request.user, volunteer_id, C.MANAGE)
    raw_other = request.POST.get("other") if request.method == "POST" else request.GET.get("other")
    form = MergeForm(
        request.POST if request.method == "POST" else None,
        initial={"other": raw_other, "keep": "this"},
    )
    other = None
    other_id = parse_id(raw_other or "")
    if other_id is not None and other_id != volunteer.pk:
        other = visible_volunteers(request.user, C.MANAGE).filter(pk=other_id).first()
    if request.method == "POST":
        valid = form.is_valid()
        if other is None:
            form.add_error(None, _("Choose the other record."))
        elif valid:
            survivor, merged = (
                (volunteer, other) if form.cleaned_data["keep"] == "this" else (other, volunteer)
            )
            if not _covers_all_seats(request, [volunteer.pk, other.pk]):
                messages.error(
                    request,
                    _(
                        "These records have seats in elections you do not manage: "
                        "ask a coordinator of those elections to merge them."
                    ),
                )
                return redirect(
                    f"{reverse('staffing:volunteer_merge', args=[volunteer.pk])}?other={other.pk}"
                )
            try:
                result = merge_volunteers(survivor, merged, by=request.user)
            except Refused as refusal:
                messages.error(request, refusal.message)
            else:
                messages.success(request, _merged_message(result))
                for line in _conflict_lines(result):
                    messages.warning(request, line)
                return redirect("staffing:volunteer", result.survivor.pk)
    context: dict[str, Any] = {"volunteer": volunteer, "other": other, "form": form}
    if other is None:
        candidates, query = _merge_candidates(request, volunteer)
        context.update(candidates=candidates, query=query)
    else:
        seats = _seat_summary([volunteer.pk, other.pk])
        context.update(
            pair=[
                {"key": "this", "v": volunteer, "teams": volunteer.teams.all()},
                {"key": "other", "v": other, "teams": other.teams.order_by("name")},
            ],
            keep=request.POST.get("keep") or "this",
            shared=_shared_shifts(request.user, volunteer, other),
        )
        for rec in context["pair"]:
            rec["seats"] = seats[rec["v"].pk]
    return render(request, "staffing/volunteers/merge.html", context)
