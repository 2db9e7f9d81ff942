"""The volunteer's personal-link pages: /v/<token>/. No login, no account.

Every response carries Referrer-Policy: no-referrer (the token must not leak to
other sites), Cache-Control: no-store and X-Robots-Tag: noindex. A token that
does not resolve, an assignment outside the link's scope and a wrong HTTP method
all get the same 404 page, so nothing tells a valid token from an invalid one.

Forgery protection: with no-referrer, browsers send "Origin: null" and no Referer
on the page's form POSTs, which Django's CSRF middleware must reject (and over
HTTPS it insists on one of them). So the answer forms carry their own token
instead: an HMAC (SECRET_KEY) of the link and the assignment, checked on POST.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from notifications import codes
from notifications.models import Channel
from pollcrew.phones import display_phone
from pollcrew.prepared import Prepared
from pollcrew.refusals import Refused
from portal import limits
from portal.forms import ContactForm, DeclineForm, NeedsForm, VerifyForm
from staffing import calendar, messaging, rules, services
from staffing.links import resolve_link, touch_link
from staffing.models import Assignment, PersonalLink
from staffing.rules import RuleViolation
from staffing.services import self_service
from volunteers.models import Volunteer
from volunteers.services import update_volunteer

Status = Assignment.Status
_ANSWER_SALT = "volunteers.portal.answer"  # unchanged since the move: forms in flight stay valid

TokenView = Callable[..., HttpResponse]


def private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/not_found.html", status=404)


def token_page(*methods: str) -> Callable[[TokenView], TokenView]:
    """Resolve the link and answer only ``methods``; everything else is the 404."""

    def decorate(view: TokenView) -> TokenView:
        @wraps(view)
        def wrapper(request: HttpRequest, token: str, *args, **kwargs) -> HttpResponse:
            if wait := limits.over(request, limits.PAGES):
                return private(limits.too_many(request, wait))
            link = resolve_link(token)
            if link is None or request.method not in methods:
                return private(not_found(request))
            with translation.override(link.volunteer.language):
                try:
                    response = view(request, link, token, *args, **kwargs)
                except Http404:
                    response = not_found(request)
                response["Content-Language"] = link.volunteer.language
            return private(response)

        return wrapper

    return decorate


def _seats_in(volunteer_id: int, election_id: int) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(volunteer_id=volunteer_id, shift__election_id=election_id)
        .select_related("shift__role", "shift__station")
        .order_by("shift__starts_at", "shift_id", "-pk")
    )


# The personal page's seats: its SQL compiled once per process.
_SEATS_IN = Prepared(_seats_in, ("int", "int"))


def _latest_per_shift(link: PersonalLink) -> list[Assignment]:
    """The volunteer's assignments in the link's election, newest per shift
    (a removal by the office included: it hides older answers)."""
    rows = _SEATS_IN.run(link.volunteer_id, link.election_id)
    seen: set[int] = set()
    latest: list[Assignment] = []
    for assignment in rows:
        if assignment.shift_id not in seen:
            seen.add(assignment.shift_id)
            # The link's election, already loaded: not joined again for every seat.
            assignment.shift.election = link.election
            assignment.volunteer = link.volunteer
            latest.append(assignment)
    return latest


def _actions(assignment: Assignment, now: datetime) -> dict[str, bool]:
    """Which buttons to show; the services decide again on POST."""
    shift = assignment.shift
    running = shift.election.is_active and now < shift.starts_at
    changes_open = running and rules.self_service_open(shift, now)
    status = assignment.status
    held = status == Status.INVITED and assignment.awaiting_approval
    return {
        # A first answer to an invitation is always possible until the shift;
        # changing an answer closes lock_days before it. A sign-up held for
        # approval is the office's to confirm; the person may withdraw it.
        "can_accept": (running and status == Status.INVITED and not held)
        or (changes_open and status in services.GIVEN_UP),
        "held": held,
        "can_decline": (running and status == Status.INVITED)
        or (changes_open and status == Status.ACCEPTED),
        "locked": running and not changes_open and status == Status.ACCEPTED,
    }


def answer_token(link: PersonalLink, assignment_id: int) -> str:
    return salted_hmac(_ANSWER_SALT, f"{link.token_hash}:{assignment_id}").hexdigest()


def _facts(assignment: Assignment, language: str) -> dict[str, object]:
    """What the page says about a seat beyond the shift: the job in the
    volunteer's language, the answer-by date of an invitation."""
    role = assignment.shift.role
    return {
        "description": role.description_in(language),
        "bring": role.what_to_bring_in(language),
        "respond_by": messaging.respond_by(assignment)
        if assignment.status == Status.INVITED
        and assignment.invited_at
        and not assignment.awaiting_approval
        else None,
        "booked": assignment.status in (Status.ACCEPTED, Status.CHECKED_IN),
    }


@token_page("GET", "HEAD")
def portal(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    from portal import standby  # it builds on this module's helpers

    now = timezone.now()
    if request.method == "GET":
        touch_link(link, now)
    language = link.volunteer.language
    latest = _latest_per_shift(link)
    rows = [(a, _actions(a, now), answer_token(link, a.pk), _facts(a, language)) for a in latest]
    feed = (
        self_service.calendar_feed(link.volunteer, link.election)
        if any(r[3]["booked"] for r in rows)
        else None
    )
    return render(
        request,
        "portal/portal.html",
        {
            "volunteer": link.volunteer,
            "election": link.election,
            "rows": rows,
            "token": token,
            "feed_url": settings.SITE_URL
            + reverse("portal:calendar_feed", args=[calendar.feed_token(feed)])
            if feed
            else "",
            "language_token": answer_token(link, 0),
            "languages": Volunteer.Language.choices,
            **standby.section(link, latest, now),
        },
    )


@token_page("GET", "HEAD")
def shift_calendar(
    request: HttpRequest, link: PersonalLink, token: str, assignment_id: int
) -> HttpResponse:
    """One booked shift as an .ics file."""
    seat = next(
        (a for a in calendar.booked(link.volunteer, link.election) if a.pk == assignment_id), None
    )
    if seat is None:
        raise Http404
    body = calendar.calendar([seat], name=link.election.name, language=link.volunteer.language)
    response = HttpResponse(body, content_type=calendar.CONTENT_TYPE)
    day = timezone.localtime(seat.shift.starts_at).date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="shift-{day}.ics"'
    return response


def calendar_feed(request: HttpRequest, feed_token: str) -> HttpResponse:
    """All booked shifts of a volunteer in an election, for a calendar app to
    subscribe to. Anything invalid: the uniform 404."""
    if wait := limits.over(request, limits.PAGES):
        return private(limits.too_many(request, wait))
    feed = calendar.resolve_feed(feed_token) if request.method in ("GET", "HEAD") else None
    if feed is None:
        return private(not_found(request))
    volunteer = feed.volunteer
    body = calendar.calendar(
        calendar.booked(volunteer, feed.election),
        name=feed.election.name,
        language=volunteer.language,
    )
    return private(HttpResponse(body, content_type=calendar.CONTENT_TYPE))


def page_form(view: TokenView) -> TokenView:
    """A POST from a form of the page itself (not about one seat): the link
    resolved (else the uniform 404) and the page's form token checked (else 403)."""

    @wraps(view)
    def checked(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
        sent = request.POST.get("answer_token", "")
        if not constant_time_compare(sent, answer_token(link, 0)):
            return render(request, "portal/form_expired.html", status=403)
        return view(request, link, token)

    return csrf_exempt(token_page("POST")(checked))


@page_form
def language(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    """The volunteer's language, for this page and every message from now on."""
    chosen = request.POST.get("language", "")
    if chosen in Volunteer.Language.values and chosen != link.volunteer.language:
        update_volunteer(link.volunteer, by=None, language=chosen)
    return redirect("portal:home", token=token)


def answer_view(view: TokenView) -> TokenView:
    """An accept/decline POST: link resolved, assignment in the link's scope (else
    the uniform 404), then the form token verified (else 403: the form was not
    sent from the volunteer's page)."""

    @wraps(view)
    def checked(request: HttpRequest, link: PersonalLink, token: str, assignment_id: int):
        assignment = (
            Assignment.objects.filter(
                pk=assignment_id, volunteer=link.volunteer, shift__election=link.election
            )
            .exclude(status=Status.REMOVED)
            .first()
        )
        if assignment is None:
            raise Http404
        sent = request.POST.get("answer_token", "")
        if not constant_time_compare(sent, answer_token(link, assignment_id)):
            return render(request, "portal/form_expired.html", status=403)
        view(request, assignment)
        return redirect("portal:home", token=token)

    # Django's cookie-and-Origin check is replaced by the form token above.
    return csrf_exempt(token_page("POST")(checked))


@answer_view
def accept(request: HttpRequest, assignment: Assignment) -> None:
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


@answer_view
def decline(request: HttpRequest, assignment: Assignment) -> None:
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return
    try:
        done = services.decline(assignment, reason=form.cleaned_data["reason"])
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


@page_form
def renew_calendar(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    """A new calendar address; the old one stops working (shared by mistake)."""
    self_service.renew_calendar_feed(self_service.calendar_feed(link.volunteer, link.election))
    messages.success(
        request, _("Your calendar has a new address. Subscribe to it instead of the old one.")
    )
    return redirect("portal:home", token=token)


@page_form
def stop_contact(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    """ "Don't ask me again", confirmed on the page."""
    self_service.stop_contact(link.volunteer)
    messages.success(
        request,
        _(
            "We will not contact you again. Your open invitations are declined; shifts you "
            "have accepted stay yours. The election office can undo this if you ask."
        ),
    )
    return redirect("portal:home", token=token)


@page_form
def needs(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    form = NeedsForm(request.POST)
    if form.is_valid():
        self_service.update_needs(link.volunteer, diet=form.cleaned_data["diet"])
        messages.success(request, _("Thank you. The election office can see it."))
    else:
        messages.error(request, " ".join(form.errors.get("diet", [])))
    return redirect("portal:home", token=token)


@page_form
def change_contact(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    """A new phone number or email address: a code goes to it first."""
    if wait := limits.over(request, limits.CODES):
        return limits.too_many(request, wait)
    form = ContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("portal:home", token=token)
    channel = form.cleaned_data["channel"]
    try:
        address = self_service.request_contact_code(
            link.volunteer, channel, form.cleaned_data["address"]
        )
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages))
        return redirect("portal:home", token=token)
    except Refused as refused:
        messages.error(request, refused.message)
        return redirect("portal:home", token=token)
    return _verify_page(request, link, token, channel, address)


def _verify_page(
    request: HttpRequest, link: PersonalLink, token: str, channel: str, address: str, **extra
) -> HttpResponse:
    return render(
        request,
        "portal/verify_contact.html",
        {
            "token": token,
            "channel": channel,
            "address": address,
            "shown": display_phone(address) if channel == Channel.SMS else address,
            "page_token": answer_token(link, 0),
            "minutes": codes.CODE_MINUTES,
            **extra,
        },
    )


@page_form
def verify_contact(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    if wait := limits.over(request, limits.GUESSES):
        return limits.too_many(request, wait)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        raise Http404
    channel, address = form.cleaned_data["channel"], form.cleaned_data["address"]
    try:
        changed = self_service.confirm_contact(
            link.volunteer, channel, address, form.cleaned_data["code"]
        )
    except ValidationError:
        raise Http404 from None
    if not changed:
        error = _("That code is wrong or too old. Check it, or ask for a new one.")
        return _verify_page(request, link, token, channel, address, error=error)
    messages.success(
        request,
        _("Your mobile number is changed.")
        if channel == Channel.SMS
        else _("Your email is changed."),
    )
    return redirect("portal:home", token=token)
