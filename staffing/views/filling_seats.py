"""What the office does about one seat: seat someone directly (they said yes by
phone), answer on someone's behalf (also after the self-service lock), move them
to another shift, remove them with a notice, replace them (remove and invite the
next person in one step), and send them a new personal link.

Each is a page that says what will happen (GET) and a POST (CSRF) that calls one
service with ``by=`` the user; the service audits. A refusal is shown on the page
as a message, nothing written. Scope: MANAGE on the seat's shift (coordinators,
admins); a new link needs INVITE (team leaders, for their team's seats); outside
it, 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import audit
from elections.models import Election, Shift
from pollcrew.ids import parse_id
from pollcrew.refusals import Refused
from staffing import access, candidates, messaging, rules, services
from staffing.fill import fill_of, fill_of_shift, with_fill
from staffing.forms import VolunteerSearchForm
from staffing.forms_filling import AnswerForm, MoveForm, PickOneForm, RemoveForm, ReplaceForm
from staffing.models import SEAT_HOLDING_STATUSES, Assignment
from staffing.services.personal_links import reissue_link
from staffing.services.replace import replace as replace_seat
from staffing.views._common import C
from staffing.views.filling import next_url, not_inviting, people_among
from volunteers.models import Volunteer

Status = Assignment.Status
MOVE_TARGETS_LISTED = 100
ANSWERABLE = (Status.INVITED, Status.ACCEPTED, Status.DECLINED, Status.EXPIRED, Status.WITHDRAWN)


# --- shared ---------------------------------------------------------------------------------


def _seat(
    request: HttpRequest, election_id: int, assignment_id: int, capability: str = C.MANAGE
) -> tuple[Election, Assignment]:
    election = access.get_election_for_user(request.user, election_id, capability)
    seat = access.get_assignment_for_user(request.user, election, assignment_id, capability)
    return election, seat


def station_url(shift: Shift) -> str:
    """The station page, at the shift."""
    url = reverse("staffing:station", args=[shift.election_id, shift.station_id])
    return f"{url}#shift-{shift.pk}"


def notice_text(volunteer: Volunteer, election: Election, shift: Shift) -> str:
    """Whether (and how) the volunteer is told about a change to their seat."""
    if shift.starts_at <= timezone.now():
        return _("The shift has started, so no message is sent.")
    if volunteer.do_not_contact:
        return _("They are marked “do not contact”, so no message is sent.")
    if not election.is_active:
        return _("The election is not active, so no message is sent.")
    if volunteer.preferred_channel == "sms":
        return _("A notice goes to them by SMS.")
    return _("A notice goes to them by email.")


def _context(request: HttpRequest, election: Election, seat: Assignment, **extra: Any) -> dict:
    shift = seat.shift
    return {
        "election": election,
        "seat": seat,
        "shift": shift,
        "volunteer": seat.volunteer,
        "back": next_url(request, station_url(shift)),
        **extra,
    }


def _posted(request: HttpRequest) -> Any:
    """The form data of a POST (even an empty one: a bound form says what is missing)."""
    return request.POST if request.method == "POST" else None


def _refused(request: HttpRequest, refusal: Refused) -> None:
    messages.error(request, refusal.message)


def _change_seat(
    request: HttpRequest,
    election: Election,
    seat: Assignment,
    change: Callable[[], object],
    done: str,
    *,
    to: Shift | None = None,
) -> HttpResponse | None:
    """Carry out ``change`` (a service call on ``seat``); then say ``done`` and
    whether the seat's volunteer is told, and go back to the station page at the
    seat's shift (or ``to``, where a move took them). A refusal is shown as a
    message and None returned: the page is shown again, nothing changed."""
    volunteer, shift = seat.volunteer, (to if to is not None else seat.shift)
    try:
        change()
    except Refused as refusal:
        _refused(request, refusal)
        return None
    messages.success(request, done + " " + notice_text(volunteer, election, shift))
    return redirect(next_url(request, station_url(shift)))


def _searched(request: HttpRequest, shift: Shift, query: str, found: candidates.Found) -> None:
    """People's data shown by a search (or the suggestions) for ``shift``: in the
    audit log as a read, if anyone was found."""
    if found:
        audit.record_read(
            request,
            "read.volunteer_search",
            election_id=shift.election_id,
            detail={"query": query, "results": len(found), "shift": shift.pk},
        )


def _gone(request: HttpRequest, seat: Assignment) -> HttpResponse:
    """A second click on a seat already taken back (or a stale page): say so, go back."""
    messages.info(
        request,
        _("%(name)s is no longer on %(shift)s: nothing changed.")
        % {"name": seat.volunteer.full_name, "shift": rules.shift_label(seat.shift)},
    )
    return redirect(next_url(request, station_url(seat.shift)))


# --- seat someone directly ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def assign(request: HttpRequest, election_id: int, shift_id: int) -> HttpResponse:
    """Seat someone who already said yes (by phone, at the office)."""
    election = access.get_election_for_user(request.user, election_id, C.MANAGE)
    shift = access.get_shift_for_user(request.user, election, shift_id, C.MANAGE)
    among = candidates.searchable(people_among(request))
    back = next_url(request, station_url(shift))
    inactive = not_inviting(request, election)
    if request.method == "POST" and not inactive["inactive_reason"]:
        form = PickOneForm(request.POST, among=among)
        if form.is_valid():
            volunteer = form.cleaned_data["volunteer"]
            try:
                services.assign(shift, volunteer, by=request.user)
            except Refused as refusal:
                _refused(request, refusal)
            else:
                messages.success(
                    request,
                    _(
                        "%(name)s now holds a seat on %(shift)s (they said yes already). "
                        "A confirmation with their link goes to them."
                    )
                    % {"name": volunteer.full_name, "shift": rules.shift_label(shift)},
                )
                return redirect(back)
        else:
            for error in form.errors.get("volunteer", []):
                messages.error(request, error)
    search = VolunteerSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    fill = fill_of_shift(shift)
    chosen = None
    found = candidates.Found()
    may_name = rules.may_name_for(request.user)  # an overlap they may not see is not named
    if not inactive["inactive_reason"] and not fill.full:
        picked = parse_id(request.GET.get("volunteer", ""))
        if picked is not None:
            person = among.filter(pk=picked).first()
            if person is not None:
                chosen = candidates.judged(shift, [person], 1, may_name=may_name)[0]
        elif query:
            found = candidates.search(shift, query, among=among, may_name=may_name)
            _searched(request, shift, query, found)
    return render(
        request,
        "staffing/fill_assign.html",
        {
            "election": election,
            "shift": shift,
            "fill": fill,
            "search": search,
            "query": query,
            "chosen": chosen,
            "candidates": found,
            "back": back,
            **inactive,
        },
    )


# --- answer on someone's behalf -------------------------------------------------------------


def _answer_choices(status: str) -> list[tuple[str, str]]:
    choices = dict(AnswerForm.base_fields["answer"].choices)
    if status in (Status.INVITED, Status.ACCEPTED):
        return list(choices.items())
    return [(AnswerForm.ACCEPT, choices[AnswerForm.ACCEPT])]  # given up: only yes is an answer


@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, election_id: int, assignment_id: int) -> HttpResponse:
    """Record a volunteer's yes or no as they gave it to the office. The office may
    do so after the self-service lock too (until the shift starts)."""
    election, seat = _seat(request, election_id, assignment_id)
    volunteer, shift = seat.volunteer, seat.shift
    inactive = not_inviting(request, election)
    form = AnswerForm(_posted(request))
    form.fields["answer"].choices = _answer_choices(seat.status)
    if seat.status in (Status.INVITED, Status.ACCEPTED) and request.method == "GET":
        form.initial["answer"] = AnswerForm.ACCEPT if seat.status == Status.INVITED else None
    if request.method == "POST" and seat.status in ANSWERABLE and form.is_valid():
        try:
            if form.cleaned_data["answer"] == AnswerForm.ACCEPT:
                done = services.accept(seat, by=request.user)
                text = _("Answered for %(name)s: yes, they take the seat on %(shift)s.")
            else:
                done = services.decline(seat, reason=form.cleaned_data["reason"], by=request.user)
                text = _("Answered for %(name)s: no, they do not take the seat on %(shift)s.")
        except Refused as refusal:
            _refused(request, refusal)
        else:
            told = messaging.may_message(volunteer, election)
            messages.success(
                request,
                " ".join(
                    [
                        text % {"name": volunteer.full_name, "shift": rules.shift_label(shift)},
                        _("Their answer now: %(status)s.") % {"status": done.get_status_display()},
                        _("A confirmation goes to them.") if told else "",
                    ]
                ).strip(),
            )
            return redirect(next_url(request, station_url(shift)))
    locked = not rules.self_service_open(shift, timezone.now())
    return render(
        request,
        "staffing/fill_answer.html",
        _context(
            request,
            election,
            seat,
            form=form,
            answerable=seat.status in ANSWERABLE and not inactive["inactive_reason"],
            locked=locked,
            started=shift.starts_at <= timezone.now(),
            **inactive,
        ),
    )


# --- move -----------------------------------------------------------------------------------


def _move_targets(
    request: HttpRequest, election: Election, shift: Shift, everywhere: bool
) -> tuple[QuerySet[Shift], list[Shift], int]:
    """The shifts one may move to (the form's choices), and those listed: the
    station's other shifts and the same role elsewhere in the area (or every
    shift of the election), up to MOVE_TARGETS_LISTED, with how many there are."""
    allowed = access.election_shifts(request.user, election, C.MANAGE)
    listed = allowed.exclude(pk=shift.pk)
    if not everywhere:
        listed = listed.filter(
            Q(station_id=shift.station_id)
            | Q(role_id=shift.role_id, station__area_id=shift.station.area_id)
        )
    listed = with_fill(listed).select_related("station", "role", "team")
    total = listed.count()
    rows = list(
        listed.order_by("starts_at", "station__name", "role__sort_order", "pk")[
            :MOVE_TARGETS_LISTED
        ]
    )
    return allowed.select_related("election", "station", "role", "team"), rows, total


@login_required
@require_http_methods(["GET", "POST"])
def move(request: HttpRequest, election_id: int, assignment_id: int) -> HttpResponse:
    """Move someone to another shift of the election, keeping their answer."""
    election, seat = _seat(request, election_id, assignment_id)
    volunteer, shift = seat.volunteer, seat.shift
    everywhere = bool(request.GET.get("all"))
    allowed, listed, total = _move_targets(request, election, shift, everywhere)
    form = MoveForm(_posted(request), shifts=allowed)
    if request.method == "POST" and seat.status in SEAT_HOLDING_STATUSES and form.is_valid():
        target = form.cleaned_data["to_shift"]
        if target.pk == shift.pk:  # a second click, or nothing chosen to change
            messages.info(
                request,
                _("%(name)s is already on %(shift)s: nothing changed.")
                % {"name": volunteer.full_name, "shift": rules.shift_label(shift)},
            )
            return redirect(next_url(request, station_url(shift)))
        done = _change_seat(
            request,
            election,
            seat,
            lambda: services.move(seat, target, by=request.user),
            _("%(name)s moved from %(old)s to %(new)s.")
            % {
                "name": volunteer.full_name,
                "old": rules.shift_label(shift),
                "new": rules.shift_label(target),
            },
            to=target,
        )
        if done is not None:
            return done
    return render(
        request,
        "staffing/fill_move.html",
        _context(
            request,
            election,
            seat,
            form=form,
            movable=seat.status in (Status.INVITED, Status.ACCEPTED),
            targets=[(s, fill_of(s)) for s in listed],
            targets_total=total,
            targets_limited=total > len(listed),
            everywhere=everywhere,
        ),
    )


# --- remove ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def remove(request: HttpRequest, election_id: int, assignment_id: int) -> HttpResponse:
    """Take someone off a shift; they are told (when they can be)."""
    election, seat = _seat(request, election_id, assignment_id)
    volunteer, shift = seat.volunteer, seat.shift
    form = RemoveForm(_posted(request))
    if request.method == "POST" and seat.status == Status.REMOVED:
        return _gone(request, seat)
    if request.method == "POST" and seat.status in SEAT_HOLDING_STATUSES and form.is_valid():
        done = _change_seat(
            request,
            election,
            seat,
            lambda: services.remove(seat, by=request.user, reason=form.cleaned_data["reason"]),
            _("%(name)s was removed from %(shift)s.")
            % {"name": volunteer.full_name, "shift": rules.shift_label(shift)},
        )
        if done is not None:
            return done
    return render(
        request,
        "staffing/fill_remove.html",
        _context(
            request,
            election,
            seat,
            form=form,
            removable=seat.status in SEAT_HOLDING_STATUSES,
            notice=notice_text(volunteer, election, shift),
        ),
    )


# --- replace --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def replace(request: HttpRequest, election_id: int, assignment_id: int) -> HttpResponse:
    """Take someone off and invite (or seat) the next person, in one step. Without
    a search, the page suggests people with no seat in the election yet; the first
    who may be invited is chosen already."""
    election, seat = _seat(request, election_id, assignment_id)
    leaving, shift = seat.volunteer, seat.shift
    among = candidates.searchable(people_among(request))
    inactive = not_inviting(request, election)
    replaceable = seat.status in (Status.INVITED, Status.ACCEPTED)
    form = ReplaceForm(_posted(request), among=among)
    if request.method == "POST" and seat.status == Status.REMOVED:
        return _gone(request, seat)
    if request.method == "POST" and replaceable and not inactive["inactive_reason"]:
        if form.is_valid():
            newcomer = form.cleaned_data["volunteer"]
            directly = form.cleaned_data["seat_directly"]
            text = (
                _("%(old)s was taken off %(shift)s and %(new)s seated in their place.")
                if directly
                else _("%(old)s was taken off %(shift)s and %(new)s invited in their place.")
            )
            done = _change_seat(
                request,
                election,
                seat,
                lambda: replace_seat(
                    seat,
                    newcomer,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    seat_directly=directly,
                ),
                text
                % {
                    "old": leaving.full_name,
                    "new": newcomer.full_name,
                    "shift": rules.shift_label(shift),
                },
            )
            if done is not None:
                return done
        else:
            for error in form.errors.get("volunteer", []):
                messages.error(request, error)
    search = VolunteerSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    found = candidates.Found()
    if replaceable and not inactive["inactive_reason"]:
        may_name = rules.may_name_for(request.user)  # an overlap they may not see is not named
        if query:
            found = candidates.search(shift, query, among=among, may_name=may_name)
        else:
            found = candidates.suggest(shift, among, exclude=[leaving.pk], may_name=may_name)
        _searched(request, shift, query, found)
    found = candidates.Found([c for c in found if c.volunteer.pk != leaving.pk], found.total)
    chosen = request.POST.get("volunteer") or next(
        (str(c.volunteer.pk) for c in found if c.eligible), ""
    )
    return render(
        request,
        "staffing/fill_replace.html",
        _context(
            request,
            election,
            seat,
            form=form,
            search=search,
            query=query,
            candidates=found,
            chosen=chosen,
            replaceable=replaceable,
            notice=notice_text(leaving, election, shift),
            **inactive,
        ),
    )


# --- a new personal link --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def new_link(request: HttpRequest, election_id: int, assignment_id: int) -> HttpResponse:
    """Send the volunteer a new personal link for the election; the old ones stop
    working at once (a lost phone, a forwarded message)."""
    election, seat = _seat(request, election_id, assignment_id, C.INVITE)
    volunteer = seat.volunteer
    may_send = messaging.may_message(volunteer, election)
    if request.method == "POST":
        try:
            reissue_link(volunteer, election, by=request.user)
        except Refused as refusal:
            _refused(request, refusal)
        else:
            channel = _("by SMS") if volunteer.preferred_channel == "sms" else _("by email")
            messages.success(
                request,
                _(
                    "A new personal link is on its way to %(name)s %(channel)s. "
                    "Their old links no longer work."
                )
                % {"name": volunteer.full_name, "channel": channel},
            )
            return redirect(next_url(request, station_url(seat.shift)))
    return render(
        request,
        "staffing/fill_new_link.html",
        _context(request, election, seat, may_send=may_send, **not_inviting(request, election)),
    )
