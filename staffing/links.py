"""Personal links: a volunteer's key to their shifts in one election.

The token (256 random bits, URL-safe) is returned once, to be put in a message,
and only its SHA-256 is stored. Anything that does not resolve to a usable link
is treated the same way by the views: one uniform 404.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from functools import lru_cache

from django.conf import settings
from django.db.models import QuerySet
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from elections.models import Election
from pollcrew.bulk import bulk_insert
from pollcrew.prepared import Prepared
from staffing.models import PersonalLink, hash_token
from volunteers.models import Volunteer

TOKEN_BYTES = 32
_MAX_TOKEN_LENGTH = 64


def link_expiry(election: Election) -> datetime:
    last_day = election.election_date + timedelta(days=settings.PERSONAL_LINK_DAYS_AFTER_ELECTION)
    return datetime.combine(last_day, time.max, tzinfo=timezone.get_current_timezone())


def issue_link(volunteer: Volunteer, election: Election) -> str:
    """Create a link and return its token. The token is not stored anywhere."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    PersonalLink.objects.create(
        volunteer=volunteer,
        election=election,
        token_hash=hash_token(token),
        expires_at=link_expiry(election),
    )
    return token


def issue_links(pairs: list[tuple[Volunteer, Election]]) -> list[str]:
    """Bulk version of issue_link, one INSERT for all."""
    tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in pairs]
    expiry = {election.pk: link_expiry(election) for _volunteer, election in pairs}
    bulk_insert(
        [
            PersonalLink(
                volunteer=volunteer,
                election=election,
                token_hash=hash_token(token),
                expires_at=expiry[election.pk],
            )
            for (volunteer, election), token in zip(pairs, tokens, strict=True)
        ],
        ids=False,
    )
    return tokens


def _usable_link(token_hash: str, now: datetime) -> QuerySet[PersonalLink]:
    return (
        PersonalLink.objects.usable(now)
        .filter(token_hash=token_hash)
        .select_related("volunteer", "election")
        .order_by("pk")[:1]
    )


# Every personal page starts here: its SQL compiled once per process.
_USABLE_LINK = Prepared(_usable_link, ("text", "time"))


def resolve_link(token: str) -> PersonalLink | None:
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    found = _USABLE_LINK.run(hash_token(token), timezone.now())
    return found[0] if found else None


_STAND_IN = "TOKEN"


@lru_cache(maxsize=8)
def _link_frame(site_url: str, urlconf: str, prefix: str) -> tuple[str, str]:
    """The personal link around its token: URL reversing is made once, not for
    each of a round's thousands of links (a token is URL-safe base64: the URL
    holds it as it is)."""
    url = site_url + reverse("portal:home", args=[_STAND_IN], urlconf=urlconf)
    before, after = url.split(_STAND_IN)
    return before, after


def link_url(token: str) -> str:
    before, after = _link_frame(settings.SITE_URL, settings.ROOT_URLCONF, get_script_prefix())
    return f"{before}{token}{after}"


# How exact "last opened" is: a page read more often than this writes nothing
# (under load, a write and its commit on every read cost more than the page).
TOUCH_EVERY = timedelta(minutes=5)


def touch_link(link: PersonalLink, now: datetime) -> None:
    """Record that the volunteer opened their link (shown to the office)."""
    if link.last_used_at is not None and now - link.last_used_at < TOUCH_EVERY:
        return
    PersonalLink.objects.filter(pk=link.pk).update(last_used_at=now)


# Expired links are kept a while (when were they last used?), then deleted.
KEEP_EXPIRED = timedelta(days=30)


def purge_expired(now: datetime | None = None) -> int:
    """Delete links that expired more than KEEP_EXPIRED ago. Returns how many."""
    cutoff = (now or timezone.now()) - KEEP_EXPIRED
    deleted, _ = PersonalLink.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
