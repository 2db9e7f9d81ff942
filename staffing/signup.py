"""Open sign-up, the read side: a sign-up link's token, the link it opens, and
the open seats it lists (``staffing.services.signup`` writes).

A link's token is derived from the site's secret and the link's id (as a
calendar feed's is), so the office can show and print it again; only its hash
is stored, to find the link. Revoking a link ends it for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from elections.models import Election, Shift, day_bounds
from polling_stations.models import Area, PollingStation
from staffing.models import Assignment, SeatOffer, SignupLink, hash_token

_SALT = "pollcrew.signup-link"
_MAX_TOKEN_LENGTH = 128


def seats_on_offer(open_offers: int, offers_per_seat: int) -> int:
    """Seats that open standby offers stand for (each free seat goes to
    ``offers_per_seat`` people at once): theirs until the offers end, not open
    to sign-up."""
    return -(-open_offers // max(offers_per_seat, 1))


def offered_seats(shift: Shift) -> int:
    """``seats_on_offer`` of one shift (its election loaded)."""
    open_offers = SeatOffer.objects.filter(shift=shift, status=SeatOffer.Status.OPEN).count()
    return seats_on_offer(open_offers, shift.election.offers_per_seat)


def link_token(link: SignupLink) -> str:
    """The link's token: 256 bits from the site's secret and the link's id."""
    return salted_hmac(_SALT, str(link.pk), algorithm="sha256").hexdigest()


def link_url(link: SignupLink) -> str:
    return settings.SITE_URL + reverse("signup:home", args=[link_token(link)])


def resolve_signup_link(token: str) -> SignupLink | None:
    """The usable link of ``token`` in an active election; else None (one 404)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    link = (
        SignupLink.objects.usable()
        .select_related("election", "area", "station", "role", "team")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None or not link.election.is_active:
        return None
    return link


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())[:10]


def matching_shifts(link: SignupLink, now: datetime | None = None) -> QuerySet[Shift]:
    """Shifts a sign-up through ``link`` may take: the link's election and
    limits, not begun, never an invite-only role; a team's reserved seats only
    through a link limited to that team."""
    now = now or timezone.now()
    shifts = Shift.objects.filter(
        election=link.election, starts_at__gt=now, role__invite_only=False
    )
    if link.area_id:
        shifts = shifts.filter(station__area_id=link.area_id)
    if link.station_id:
        shifts = shifts.filter(station_id=link.station_id)
    if link.role_id:
        shifts = shifts.filter(role_id=link.role_id)
    if link.team_id:
        shifts = shifts.filter(team_id=link.team_id)
    else:
        shifts = shifts.filter(team__isnull=True)
    if link.day:
        start, end = day_bounds(link.day)
        shifts = shifts.filter(starts_at__gte=start, starts_at__lt=end)
    return shifts


@dataclass
class Seat:
    shift: Shift
    free: int


@dataclass
class Day:
    day: date
    seats: list[Seat] = field(default_factory=list)

    @property
    def free(self) -> int:
        return sum(seat.free for seat in self.seats)


@dataclass
class StationSeats:
    station: PollingStation
    days: list[Day] = field(default_factory=list)

    @property
    def free(self) -> int:
        return sum(day.free for day in self.days)


def open_seats(
    link: SignupLink, *, postal_code: str = "", area_id: int | None = None
) -> list[StationSeats]:
    """The link's shifts grouped by station and day, with their free seats (a
    full shift is listed too: its standby list may be joined). One query,
    whatever the number of shifts: the counts are the shifts' SeatFill rows."""
    shifts = matching_shifts(link)
    if code := _digits(postal_code):
        shifts = shifts.filter(station__postal_code__startswith=code)
    if area_id:
        shifts = shifts.filter(station__area_id=area_id)
    offers = (
        SeatOffer.objects.filter(shift=OuterRef("pk"), status=SeatOffer.Status.OPEN)
        .order_by()
        .values("shift")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        shifts.select_related("station__area", "role")
        .annotate(
            held=Coalesce(F("seat_fill__invited"), 0) + Coalesce(F("seat_fill__accepted"), 0),
            offered=Coalesce(Subquery(offers, output_field=IntegerField()), 0),
        )
        .order_by(
            "station__area__sort_order",
            "station__area__name",
            "station__sort_order",
            "station__name",
            "station_id",
            "starts_at",
            "role__sort_order",
            "pk",
        )
    )
    groups: list[StationSeats] = []
    for shift in rows:
        if not groups or groups[-1].station.pk != shift.station_id:
            groups.append(StationSeats(shift.station))
        days = groups[-1].days
        day = timezone.localtime(shift.starts_at).date()
        if not days or days[-1].day != day:
            days.append(Day(day))
        offered = seats_on_offer(shift.offered, link.election.offers_per_seat)
        days[-1].seats.append(Seat(shift, max(shift.capacity - shift.held - offered, 0)))
    return groups


def areas_of(link: SignupLink) -> QuerySet[Area]:
    """The areas the link's shifts are in (the filter's choices)."""
    area_ids = matching_shifts(link).values("station__area_id")
    return Area.objects.filter(pk__in=area_ids)


def signup_shift(link: SignupLink, shift_id: int) -> Shift | None:
    """One shift the link may take, or None."""
    return (
        matching_shifts(link)
        .select_related("election", "station", "role", "team")
        .filter(pk=shift_id)
        .first()
    )


def signup_place(link: SignupLink, station_id: int, day: date) -> PollingStation | None:
    """The station, if the link has shifts there on ``day`` (its standby list
    waits for any of them), else None."""
    start, end = day_bounds(day)
    shifts = matching_shifts(link).filter(
        station_id=station_id, starts_at__gte=start, starts_at__lt=end
    )
    if not shifts.exists():
        return None
    return PollingStation.objects.filter(pk=station_id).first()


def pending_approval(election: Election) -> QuerySet[Assignment]:
    """Sign-ups of the election held for the office's approval, oldest first."""
    return (
        Assignment.objects.filter(
            shift__election=election, awaiting_approval=True, status=Assignment.Status.INVITED
        )
        .select_related("shift__role", "shift__station", "volunteer", "signup_link")
        .order_by("invited_at", "pk")
    )
