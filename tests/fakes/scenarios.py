"""Outbox test scenarios through the real staffing services (invite, accept, decline),
so that messages are queued exactly as the domain queues them."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from notifications.models import Message
from staffing import services
from staffing.links import resolve_link
from staffing.messaging import messages_for_volunteer
from staffing.models import Assignment, PersonalLink
from tests import factories
from volunteers.models import Volunteer

# Realistic worst cases for SMS length: Danish names as long as they come.
LONG_STATION = "Nørre Fælled Skole, Gymnastiksalen (indgang fra Guldbergsgade)"
LONG_ADDRESS = "Guldbergsgade 29D, 2. sal"
LONG_MUNICIPALITY = "Lyngby-Taarbæk Kommune"
LONG_ROLE = "Tilforordnet vælger ved brevstemmeoptælling"
LONG_FIRST_NAME = "Anne-Mette Christiansdatter"
LONG_SITE_URL = "https://valg.lyngby-taarbaek.dk"


def invite_one(volunteer: Volunteer, **shift_kw) -> Assignment:
    """Invite ``volunteer`` to a new shift. Call inside a block that commits
    (or ``django_capture_on_commit_callbacks(execute=True)``) to dispatch."""
    shift = factories.shift(**shift_kw)
    result = services.invite(shift, [volunteer], by=None)
    assert result.invited, result.refused
    return result.invited[0]


def message_for(volunteer: Volunteer, kind: str) -> Message:
    return messages_for_volunteer(volunteer).get(kind=kind)


_LINK = re.compile(r"(?P<url>https?://[^\s\"<]+/v/(?P<token>[A-Za-z0-9_-]+)/)")


def link_in(text: str) -> tuple[str, str]:
    """The first personal link in ``text``, as (URL, token)."""
    match = _LINK.search(text)
    assert match, f"no personal link in {text!r}"
    assert match["url"].startswith(settings.SITE_URL + "/v/")
    return match["url"], match["token"]


def resolve(text: str) -> PersonalLink:
    """The personal link found in ``text``, resolved as the portal would."""
    _url, token = link_in(text)
    link = resolve_link(token)
    assert link is not None, "the link in the message does not resolve"
    return link


def make_due(message: Message) -> None:
    """Move a message's scheduled time (a retry's backoff) into the past."""
    Message.objects.filter(pk=message.pk).update(
        scheduled_for=timezone.now() - timedelta(seconds=1)
    )
