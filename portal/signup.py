"""Public sign-up: /s/<token>/. No login, no account.

The seats a sign-up link opens, grouped by station and day with their free
seats and filtered by postal code or area; then name, birth date and a phone
number or email address; a one-time code to it; and the seat (held for the
office if the role needs approval), a place on a full shift's standby list,
or, through a team's link, the team. What was typed travels from step to step
signed, never stored, until the code is proved.

As on the personal pages (portal.views): anything invalid is the one 404, the
responses are private (no-referrer, no-store, noindex), every request counts
against the sender's limits, and the forms carry their own token instead of
Django's CSRF cookie check (no-referrer makes browsers send "Origin: null").
The page's language is the visitor's (``?lang=`` switches it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from notifications import codes
from notifications.models import Channel
from pollcrew.phones import display_phone
from pollcrew.refusals import Refused
from portal import limits
from portal.forms_signup import CodeForm, SeatFilterForm, SignupForm
from portal.views import not_found, private
from staffing import signup as reading
from staffing.models import SignupLink
from staffing.services import signup as services
from volunteers.models import Volunteer

_FORM_SALT = "pollcrew.signup.form"
_STATE_SALT = "pollcrew.signup.state"
STATE_SECONDS = (codes.CODE_MINUTES + 5) * 60
LANGUAGES = dict(Volunteer.Language.choices)

SignupView = Callable[..., HttpResponse]


def form_token(link: SignupLink) -> str:
    return salted_hmac(_FORM_SALT, link.token_hash, algorithm="sha256").hexdigest()


def _language(request: HttpRequest) -> str:
    chosen = request.GET.get("lang") or request.POST.get("lang") or ""
    if chosen in LANGUAGES:
        return chosen
    current = (translation.get_language() or "da")[:2]
    return current if current in LANGUAGES else "da"


def signup_page(*methods: str) -> Callable[[SignupView], SignupView]:
    """Resolve the link, in the visitor's language; only ``methods``, else the 404.
    A POST must carry the page's form token (else 403)."""

    def decorate(view: SignupView) -> SignupView:
        @wraps(view)
        def wrapper(request: HttpRequest, token: str, *args, **kwargs) -> HttpResponse:
            if wait := limits.over(request, limits.PAGES):
                return private(limits.too_many(request, wait))
            link = reading.resolve_signup_link(token)
            if link is None or request.method not in methods:
                return private(not_found(request))
            language = _language(request)
            with translation.override(language):
                if request.method == "POST" and not constant_time_compare(
                    request.POST.get("form_token", ""), form_token(link)
                ):
                    response = render(request, "portal/form_expired.html", status=403)
                else:
                    request.signup_language = language  # type: ignore[attr-defined]
                    response = view(request, link, token, *args, **kwargs)
                response["Content-Language"] = language
            return private(response)

        return csrf_exempt(wrapper)

    return decorate


def _base(request: HttpRequest, link: SignupLink, token: str, **extra) -> dict:
    return {
        "link": link,
        "election": link.election,
        "token": token,
        "form_token": form_token(link),
        "lang": request.signup_language,  # type: ignore[attr-defined]
        "languages": Volunteer.Language.choices,
        **extra,
    }


def _standby_open(shift) -> bool:
    return bool(shift.election.standby_enabled and shift.role.standby_enabled)


@signup_page("GET", "HEAD")
def home(request: HttpRequest, link: SignupLink, token: str) -> HttpResponse:
    """The open seats (a team's link: the join form)."""
    if link.kind == SignupLink.Kind.TEAM:
        return _details_page(request, link, token, SignupForm(), shift=None, standby=False)
    areas = [(a.pk, a.name) for a in reading.areas_of(link)]
    filters = SeatFilterForm(request.GET or None, areas=areas)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    groups = reading.open_seats(
        link, postal_code=wanted.get("postal_code") or "", area_id=wanted.get("area")
    )
    return render(
        request,
        "portal/signup/seats.html",
        _base(
            request,
            link,
            token,
            groups=groups,
            filters=filters,
            show_area_filter=len(areas) > 1,
            standby=link.election.standby_enabled,
            filtered=bool(wanted.get("postal_code") or wanted.get("area")),
            full=link.full,
        ),
    )


def _details_page(
    request: HttpRequest,
    link: SignupLink,
    token: str,
    form: SignupForm,
    *,
    shift,
    standby: bool,
    place: services.Place | None = None,
    station=None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "portal/signup/details.html",
        _base(
            request,
            link,
            token,
            form=form,
            shift=shift,
            standby=standby,
            place=place,
            station=station,
        ),
        status=status,
    )


@signup_page("GET", "HEAD", "POST")
def details(request: HttpRequest, link: SignupLink, token: str, shift_id: int) -> HttpResponse:
    """Who is signing up, for a seat (or, ``?standby=1``, a full shift's list)."""
    shift = reading.signup_shift(link, shift_id) if link.kind == SignupLink.Kind.SEATS else None
    if shift is None:
        return not_found(request)
    standby = request.GET.get("standby") == "1" or request.POST.get("standby") == "1"
    if standby and not _standby_open(shift):
        return not_found(request)
    if not standby and request.method != "POST" and _full(shift):
        # Taken since the list was shown: say so now, not after the code.
        return render(
            request,
            "portal/signup/details.html",
            _base(request, link, token, shift=shift, full=True, can_wait=_standby_open(shift)),
        )
    return _details(request, link, token, shift=shift, standby=standby)


def _full(shift) -> bool:
    held = shift.assignments.holding_seat().count()
    return held + reading.offered_seats(shift) >= shift.capacity


@signup_page("GET", "HEAD", "POST")
def join(request: HttpRequest, link: SignupLink, token: str) -> HttpResponse:
    """A team's link: the same form, for the team."""
    if link.kind != SignupLink.Kind.TEAM:
        return not_found(request)
    return _details(request, link, token, shift=None, standby=False)


@signup_page("GET", "HEAD", "POST")
def wait(
    request: HttpRequest, link: SignupLink, token: str, station_id: int, day: str
) -> HttpResponse:
    """The standby list of a station on a day: any of its seats that frees up."""
    try:
        place = services.Place(station_id, date.fromisoformat(day))
    except ValueError:
        return not_found(request)
    station = reading.signup_place(link, station_id, place.day)
    if station is None or not link.election.standby_enabled:
        return not_found(request)
    return _details(request, link, token, shift=None, standby=True, place=place, station=station)


def _details(
    request: HttpRequest,
    link: SignupLink,
    token: str,
    *,
    shift,
    standby: bool,
    place: services.Place | None = None,
    station=None,
) -> HttpResponse:
    where = {"shift": shift, "standby": standby, "place": place, "station": station}
    if request.method != "POST":
        return _details_page(request, link, token, SignupForm(), **where)
    form = SignupForm(request.POST)
    if not form.is_valid():
        return _details_page(request, link, token, form, **where, status=400)
    if wait := limits.over(request, limits.CODES):
        return limits.too_many(request, wait)
    data = form.cleaned_data
    person = services.Details(
        first_name=data["first_name"].strip(),
        last_name=data["last_name"].strip(),
        birth_date=data["birth_date"],
        phone=data["phone"],
        email=data["email"],
        language=request.signup_language,  # type: ignore[attr-defined]
        proved=data["proved"],
    )
    try:
        services.send_signup_code(
            link, person, shift_id=shift.pk if shift else None, standby=standby, place=place
        )
    except Refused as refused:
        form.add_error(None, refused.message)
        return _details_page(request, link, token, form, **where, status=429)
    state = state_for(link, shift, person, standby, place)
    return _code_page(request, link, token, person, state)


def state_for(
    link: SignupLink,
    shift,
    person: services.Details,
    standby: bool,
    place: services.Place | None = None,
) -> str:
    """What was typed, signed, for the code page's form to send back."""
    return signing.dumps(
        {
            "link": link.pk,
            "shift": shift.pk if shift else None,
            "standby": standby,
            "place": [place.station_id, place.day.isoformat()] if place else None,
            "person": person.as_dict(),
        },
        salt=_STATE_SALT,
        compress=True,
    )


def _code_page(
    request: HttpRequest,
    link: SignupLink,
    token: str,
    person: services.Details,
    state: str,
    error: str = "",
) -> HttpResponse:
    shown = display_phone(person.address) if person.proved == Channel.SMS else person.address
    return render(
        request,
        "portal/signup/code.html",
        _base(
            request,
            link,
            token,
            state=state,
            shown=shown,
            minutes=codes.CODE_MINUTES,
            error=error,
        ),
        status=400 if error else 200,
    )


@signup_page("POST")
def confirm(request: HttpRequest, link: SignupLink, token: str) -> HttpResponse:
    """The code typed back: the sign-up is done (or told why not)."""
    if wait := limits.over(request, limits.GUESSES):
        return limits.too_many(request, wait)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return not_found(request)
    try:
        state = signing.loads(form.cleaned_data["state"], salt=_STATE_SALT, max_age=STATE_SECONDS)
        person = services.Details.from_dict(state["person"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, ValidationError):
        return _expired(request, link, token)
    if state.get("link") != link.pk:
        return not_found(request)
    code = form.cleaned_data["code"]
    if not code:
        return _code_page(
            request, link, token, person, form.cleaned_data["state"], _("Write the code.")
        )
    try:
        outcome = services.sign_up(
            link,
            person,
            code,
            shift_id=state.get("shift"),
            standby=bool(state.get("standby")),
            place=_place(state.get("place")),
        )
    except services.WrongCode as wrong:
        return _code_page(request, link, token, person, form.cleaned_data["state"], wrong.message)
    except ValidationError:  # what was typed no longer passes (a rule changed meanwhile)
        return _expired(request, link, token)
    return _done(request, link, token, outcome)


def _place(value) -> services.Place | None:
    if not value:
        return None
    station_id, day = value
    return services.Place(int(station_id), date.fromisoformat(day))


def _expired(request: HttpRequest, link: SignupLink, token: str) -> HttpResponse:
    return render(
        request,
        "portal/signup/expired.html",
        _base(request, link, token, minutes=codes.CODE_MINUTES),
        status=400,
    )


_SAID = {
    "seated": lambda o: (
        _("You are booked as %(role)s. A confirmation is on its way.")
        % {"role": o.assignment.shift.role.name}
    ),
    "held": lambda o: (
        _(
            "Thank you! Your seat as %(role)s is held until the election office confirms it. "
            "We will let you know."
        )
        % {"role": o.assignment.shift.role.name}
    ),
    "standby": lambda o: _(
        "You are on the standby list. If a seat frees up, we send you a link to take it."
    ),
}


def _done(request: HttpRequest, link: SignupLink, token: str, outcome) -> HttpResponse:
    """To the person's own page, with what happened on it; a team join (no
    seat, no personal page) gets its own page."""
    with translation.override(outcome.volunteer.language):
        if outcome.state in _SAID:
            messages.success(request, _SAID[outcome.state](outcome))
        elif outcome.state == "refused" and outcome.token:
            messages.error(request, outcome.message)
    if outcome.token:
        return redirect("portal:home", token=outcome.token)
    return render(
        request,
        "portal/signup/joined.html",
        _base(request, link, token, outcome=outcome, team=link.team),
        status=200 if outcome.state == "joined" else 409,
    )
