"""Check-in links: what the QR code on a sign-in sheet opens on the day.

The token is the assignment id signed with the site's SECRET_KEY (django.core.signing,
its own salt). It is not a secret (the page behind it needs a signed-in station
manager with the CHECK_IN capability over that station), but it cannot be guessed
or walked through: without the key no other assignment's token can be made. It
does not expire, so sheets printed weeks before the election keep working.

A token is ``<id in base 62>:<signature>``, about 47 characters, so the QR code
stays small.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "pollcrew.staffing.checkin"
_MAX_TOKEN_LENGTH = 80


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def checkin_token(assignment_id: int) -> str:
    return _signer().sign(signing.b62_encode(int(assignment_id)))


def assignment_for_checkin_token(token: str) -> int | None:
    """The assignment id the token was made for; None for anything tampered with,
    truncated or made with another key or salt."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    try:
        assignment_id = signing.b62_decode(value)
    except (ValueError, IndexError):
        return None
    return assignment_id if assignment_id > 0 else None


def checkin_url(assignment_id: int) -> str:
    """The absolute URL of the check-in page for one assignment (for QR codes)."""
    return settings.SITE_URL + reverse("staffing:check_in", args=[checkin_token(assignment_id)])
