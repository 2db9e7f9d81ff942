"""The volunteer's personal-link pages: /v/<token>/. No login, no account.

Every response carries Referrer-Policy: no-referrer (the token must not leak to
other sites), Cache-Control: no-store and X-Robots-Tag: noindex. Any token or
assignment that does not resolve gets the same 404 page.

Forgery protection: with no-referrer, browsers send "Origin: null" and no Referer
on the page's form POSTs, which Django's CSRF middleware must reject (and over
HTTPS it insists on one of them). So the answer forms carry their own token
instead: an HMAC (SECRET_KEY) of the link and the assignment, checked on POST.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from volunteers import rules, services
from volunteers.links import resolve_link
from volunteers.models import Assignment, PersonalLink
from volunteers.rules import RuleViolation

Status = Assignment.Status
_ANSWER_SALT = "volunteers.portal.answer"


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def token_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args, **kwargs) -> HttpResponse:
        link = resolve_link(token)
        if link is None:
            return _private(render(request, "volunteers/not_found.html", status=404))
        with translation.override(link.volunteer.language):
            try:
                response = view(request, link, token, *args, **kwargs)
            except Http404:
                response = render(request, "volunteers/not_found.html", status=404)
            response["Content-Language"] = link.volunteer.language
        return _private(response)

    return wrapper


def _latest_per_shift(link: PersonalLink) -> list[Assignment]:
    """The volunteer's assignments in the link's election, newest per shift."""
    rows = (
        Assignment.objects.filter(volunteer=link.volunteer, shift__election=link.election)
        .exclude(status=Status.REMOVED)
        .select_related("shift__role", "shift__station", "shift__election")
        .order_by("shift__starts_at", "shift_id", "-invited_at", "-pk")
    )
    seen: set[int] = set()
    latest: list[Assignment] = []
    for assignment in rows:
        if assignment.shift_id not in seen:
            seen.add(assignment.shift_id)
            latest.append(assignment)
    return latest


def _actions(assignment: Assignment, now) -> dict[str, bool]:
    shift = assignment.shift
    open_online = rules.self_service_open(shift, now)
    active = shift.election.is_active and open_online
    return {
        "can_accept": active
        and assignment.status
        in (Status.INVITED, Status.DECLINED, Status.EXPIRED, Status.WITHDRAWN),
        "can_decline": active and assignment.status in (Status.INVITED, Status.ACCEPTED),
        "locked": not open_online and assignment.status in (Status.INVITED, Status.ACCEPTED),
    }


@token_page
@require_GET
def portal(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    now = timezone.now()
    PersonalLink.objects.filter(pk=link.pk).update(last_used_at=now)
    rows = [(a, _actions(a, now), answer_token(link, a.pk)) for a in _latest_per_shift(link)]
    return render(
        request,
        "volunteers/portal.html",
        {
            "volunteer": link.volunteer,
            "election": link.election,
            "rows": rows,
            "token": token,
        },
    )


def answer_token(link: PersonalLink, assignment_id: int) -> str:
    return salted_hmac(_ANSWER_SALT, f"{link.token_hash}:{assignment_id}").hexdigest()


def answer_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An accept/decline POST: link resolved, method checked, form token verified."""

    @wraps(view)
    def checked(request: HttpRequest, link: PersonalLink, token: str, assignment_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        sent = request.POST.get("answer_token", "")
        if not constant_time_compare(sent, answer_token(link, assignment_id)):
            return render(request, "volunteers/form_expired.html", status=403)
        return view(request, link, token, assignment_id)

    # Django's cookie-and-Origin check is replaced by the form token above.
    return csrf_exempt(token_page(checked))


def _assignment_in_scope(link: PersonalLink, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.filter(
            pk=assignment_id, volunteer=link.volunteer, shift__election=link.election
        )
        .exclude(status=Status.REMOVED)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


@answer_view
def accept(
    request: HttpRequest, link: PersonalLink, token: str, assignment_id: int
) -> HttpResponse:
    assignment = _assignment_in_scope(link, assignment_id)
    try:
        done = services.accept(assignment)
    except RuleViolation as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Thank you! You are booked as %(role)s. A confirmation is on its way.")
            % {"role": done.shift.role.name},
        )
    return redirect("volunteers:portal", token=token)


@answer_view
def decline(
    request: HttpRequest, link: PersonalLink, token: str, assignment_id: int
) -> HttpResponse:
    assignment = _assignment_in_scope(link, assignment_id)
    try:
        done = services.decline(assignment, reason=request.POST.get("reason", ""))
    except RuleViolation as refusal:
        messages.error(request, refusal.message)
    else:
        if done.status == Status.WITHDRAWN:
            messages.success(request, _("Your shift is cancelled and the seat released."))
        else:
            messages.success(
                request,
                _("Thank you for answering. We have noted that you cannot take this shift."),
            )
    return redirect("volunteers:portal", token=token)
