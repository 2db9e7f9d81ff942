"""The volunteer's standby pages: the claim page of a seat offer
(``/v/offer/<token>/``), and joining or leaving a standby list from the personal
page (``/v/<token>/standby/…``).

The claim page follows the personal page's rules (portal.views): no-referrer,
no-store and noindex headers, the page rate limit, one uniform 404 for a token
that does not resolve (or whose shift has begun, or whose offer was withdrawn),
and instead of Django's CSRF check (which no-referrer breaks) a form token: an
HMAC of the offer, checked on POST. An offer that was taken by someone quicker
or ran out says so, and that the person is still on the list.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from elections.models import Shift
from portal import limits
from portal.forms_standby import JoinForm, LeaveForm
from portal.views import not_found, page_form, private
from staffing.models import Assignment, PersonalLink, SeatOffer, StandbyEntry
from staffing.rules import RuleViolation
from staffing.services import standby

_CLAIM_SALT = "portal.standby.claim"
# Full shifts offered on the personal page, at most (the nearest first).
MAX_FULL_SHIFTS = 12
Offer = SeatOffer.Status
Status = Assignment.Status


def claim_token(offer: SeatOffer) -> str:
    return salted_hmac(_CLAIM_SALT, offer.token_hash).hexdigest()


def _state(offer: SeatOffer, now: datetime) -> str:
    """What the claim page says: open, claimed, held (claimed, for the office to
    confirm), taken or late (a claimed seat the office took back: late too)."""
    if offer.status == Offer.OPEN:
        return "open" if offer.deadline > now else "late"
    if offer.status == Offer.CLAIMED:
        seat = (
            Assignment.objects.filter(shift=offer.shift_id, volunteer=offer.entry.volunteer_id)
            .order_by("-pk")
            .first()
        )
        if seat is None or not seat.holds_seat:
            return "late"
        return "held" if seat.awaiting_approval and seat.status == Status.INVITED else "claimed"
    return {Offer.TAKEN: "taken"}.get(offer.status, "late")


@csrf_exempt  # the form token below instead: no-referrer breaks Django's check
def offer(request: HttpRequest, offer_token: str) -> HttpResponse:
    """The offered seat with one button; POST claims it."""
    if wait := limits.over(request, limits.PAGES):
        return private(limits.too_many(request, wait))
    found = standby.resolve_offer(offer_token)
    if found is None or request.method not in ("GET", "HEAD", "POST"):
        return private(not_found(request))
    language = found.entry.volunteer.language
    with translation.override(language):
        if request.method == "POST":
            response = _claim(request, found, offer_token)
        else:
            response = render(
                request,
                "portal/offer.html",
                {
                    "offer": found,
                    "offer_token": offer_token,
                    "shift": found.shift,
                    "volunteer": found.entry.volunteer,
                    "state": _state(found, timezone.now()),
                    "claim_token": claim_token(found),
                    "description": found.shift.role.description_in(language),
                    "bring": found.shift.role.what_to_bring_in(language),
                },
            )
        response["Content-Language"] = language
    return private(response)


def _claim(request: HttpRequest, found: SeatOffer, offer_token: str) -> HttpResponse:
    sent = request.POST.get("claim_token", "")
    if not constant_time_compare(sent, claim_token(found)):
        return render(request, "portal/form_expired.html", status=403)
    try:
        seat = standby.claim_offer(found)
    except RuleViolation as refusal:
        messages.error(request, refusal.message)
    else:
        if seat.awaiting_approval and seat.status == Assignment.Status.INVITED:
            said = _(
                "Thank you! Your seat as %(role)s is held until the election office confirms "
                "it. We will let you know."
            )
        else:
            said = _(
                "The seat is yours! You are booked as %(role)s. A confirmation with your "
                "personal link is on its way."
            )
        messages.success(request, said % {"role": seat.shift.role.name})
    return redirect(reverse("portal:offer", args=[offer_token]))


# --- the personal page's standby section -----------------------------------------------------


def section(link: PersonalLink, assignments: list[Assignment], now: datetime) -> dict:
    """What the personal page shows about standby: the person's waiting entries,
    and the election's full public shifts they could wait for (near them: at the
    stations of the areas they have shifts or standby lists in). No query at all when
    the election has no standby lists."""
    election = link.election
    if not (election.standby_enabled and election.is_active):
        return {"standby": False}
    volunteer = link.volunteer
    waiting = list(
        StandbyEntry.objects.filter(
            volunteer=volunteer, election=election, status=StandbyEntry.Status.WAITING
        )
        .select_related("shift__role", "shift__station", "station")
        .order_by("created_at", "pk")
    )
    areas = {a.shift.station.area_id for a in assignments} | {
        (e.shift.station if e.shift_id else e.station).area_id for e in waiting
    }
    holding = [a.shift for a in assignments if a.holds_seat]
    on_list = {e.shift_id for e in waiting if e.shift_id}
    full: list[Shift] = []
    if areas:
        candidates = (
            Shift.objects.filter(
                election=election,
                station__area_id__in=sorted(areas),
                starts_at__gt=now,
                role__invite_only=False,
                role__standby_enabled=True,
            )
            .alias(held=F("seat_fill__invited") + F("seat_fill__accepted"))
            .filter(held__gte=F("capacity"))
            .exclude(pk__in=[s.pk for s in holding])
            .exclude(pk__in=sorted(on_list))
            .select_related("role", "station", "team")
            .order_by("starts_at", "station__name", "pk")
        )
        teams = None
        for shift in candidates[: MAX_FULL_SHIFTS * 3]:
            if shift.team_id is not None:
                if teams is None:
                    teams = set(volunteer.teams.values_list("pk", flat=True))
                if shift.team_id not in teams:
                    continue
            if volunteer.age_on(timezone.localtime(shift.starts_at).date()) < shift.role.min_age:
                continue
            if any(h.starts_at < shift.ends_at and h.ends_at > shift.starts_at for h in holding):
                continue
            full.append(shift)
            if len(full) == MAX_FULL_SHIFTS:
                break
    return {"standby": True, "waiting": waiting, "full_shifts": full}


@page_form
def join(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    """ "Put me on the standby list" of a full shift of the link's election."""
    form = JoinForm(request.POST)
    shift = (
        Shift.objects.select_related("election", "role", "station")
        .filter(pk=form.cleaned_data["shift"], election=link.election)
        .first()
        if form.is_valid()
        else None
    )
    if shift is None:
        return not_found(request)
    try:
        standby.join_standby(link.volunteer, election=link.election, shift=shift)
    except RuleViolation as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _(
                "You are on the standby list for %(role)s at %(station)s. If a seat frees "
                "up, we send you a link to claim it."
            )
            % {"role": shift.role.name, "station": shift.station.name},
        )
    return redirect("portal:home", token=token)


@page_form
def leave(request: HttpRequest, link: PersonalLink, token: str) -> HttpResponse:
    """Leave one of the person's standby lists."""
    form = LeaveForm(request.POST)
    entry = (
        StandbyEntry.objects.filter(
            pk=form.cleaned_data["entry"], volunteer=link.volunteer, election=link.election
        ).first()
        if form.is_valid()
        else None
    )
    if entry is None:
        return not_found(request)
    standby.leave_standby(entry)
    messages.success(request, _("You are off the standby list."))
    return redirect("portal:home", token=token)


__all__ = ["claim_token", "join", "leave", "offer", "section"]
