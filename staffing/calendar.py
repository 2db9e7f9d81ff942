"""Shifts in the volunteer's own calendar: an ``.ics`` file per booked shift,
and a private feed of all their booked shifts in an election (icalendar).

Each seat is one event with a stable UID (the assignment's), so an updated file
or the next read of the feed replaces the entry instead of adding one; its
SEQUENCE grows whenever the seat or its shift changed (the assignment's or the
shift's last change, in seconds), so calendars take the new time. A seat given
up or taken away leaves the feed, and with it the calendar.

The feed's address holds its own token (read-only, unlike the personal link it
does not answer anything, so a calendar service that fetches it holds nothing
more): derived from the site's secret and the feed row (``feed_token``), only
its hash stored; it works as long as the election's personal links do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from elections.models import Election
from staffing.links import link_expiry
from staffing.models import FILLED_STATUSES, Assignment, CalendarFeed, hash_token
from volunteers.models import Volunteer

_SALT = "pollcrew.calendar.feed"
_SEQUENCE_FROM = datetime(2024, 1, 1, tzinfo=UTC)
CONTENT_TYPE = "text/calendar; charset=utf-8"


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "pollcrew"


def uid(assignment: Assignment) -> str:
    return f"assignment-{assignment.pk}@{_host()}"


def sequence(assignment: Assignment) -> int:
    """Grows with every change of the seat (a move) or its shift (time, place, role)."""
    changed = max(filter(None, (assignment.updated_at, assignment.shift.changed_at)))
    return max(int((changed - _SEQUENCE_FROM).total_seconds()), 0)


def role_text(assignment: Assignment, language: str) -> str:
    """The role's description and what to bring, in ``language`` where written."""
    role = assignment.shift.role
    description = role.description_in(language)
    bring = role.what_to_bring_in(language)
    parts = [description.strip()]
    if bring.strip():
        parts.append(f"{_('What to bring')}: {bring.strip()}")
    return "\n\n".join(part for part in parts if part)


def event(assignment: Assignment, language: str, now: datetime) -> Event:
    shift = assignment.shift
    entry = Event()
    entry.add("uid", uid(assignment))
    entry.add("sequence", sequence(assignment))
    entry.add("dtstamp", now.astimezone(UTC))
    entry.add("dtstart", shift.starts_at.astimezone(UTC))
    entry.add("dtend", shift.ends_at.astimezone(UTC))
    entry.add("summary", f"{shift.role.name} · {shift.station.name}")
    entry.add("location", f"{shift.station.name}, {shift.station.full_address}")
    entry.add("description", f"{shift.election.name}\n\n{role_text(assignment, language)}".strip())
    entry.add("status", "CONFIRMED")
    entry.add("transp", "OPAQUE")
    return entry


def calendar(assignments: list[Assignment], *, name: str, language: str) -> bytes:
    """An iCalendar file with an event per assignment."""
    now = timezone.now()
    with translation.override(language):
        cal = Calendar()
        cal.add("prodid", "-//Pollcrew//Election staffing//EN")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("x-wr-calname", name)
        for assignment in assignments:
            cal.add_component(event(assignment, language, now))
    return cal.to_ical()


def booked(volunteer: Volunteer, election: Election) -> list[Assignment]:
    """The volunteer's booked seats in the election, by time."""
    return list(
        Assignment.objects.filter(
            volunteer=volunteer, shift__election=election, status__in=FILLED_STATUSES
        )
        .select_related("shift__role", "shift__station", "shift__election")
        .order_by("shift__starts_at", "pk")
    )


# --- the feed --------------------------------------------------------------------------------


def feed_token(feed: CalendarFeed) -> str:
    return salted_hmac(_SALT, f"{feed.pk}:{feed.generation}", algorithm="sha256").hexdigest()


def resolve_feed(token: str) -> CalendarFeed | None:
    """The feed of ``token`` while the election's links work; else None."""
    if not token or len(token) > 128:
        return None
    feed = (
        CalendarFeed.objects.select_related("volunteer", "election")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if feed is None or link_expiry(feed.election) <= timezone.now():
        return None
    return feed
