"""Limits on the volunteer pages, per sender (an IPv4 address or an IPv6 /64),
counted in the shared cache (Redis in production) as sign-ins are
(``accounts.limits.Counter``): every token page, and more tightly the requests
that send a one-time code and the codes typed back. A sender over a limit gets
429 with a plain message and Retry-After, whatever the token: the limit says
nothing about whether a link, a number or an address exists."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.audit import client_ip
from accounts.limits import Counter, network_of

# Any /v/ request. Generous: a polling station's volunteers may share one address
# (the school's network); guessing a 256-bit token needs far more than this.
PAGES = ("portal-page", settings.PORTAL_REQUESTS_PER_MINUTE, 60)
CODES = ("portal-code", settings.PORTAL_CODES_PER_HOUR, 60 * 60)  # "send me a code"
GUESSES = ("portal-guess", settings.PORTAL_GUESSES_PER_15_MINUTES, 15 * 60)  # a code typed back


def over(request: HttpRequest, limit: tuple[str, int, int]) -> int:
    """Count this request; the seconds to wait if it is over ``limit``, else 0."""
    name, most, window = limit
    counter = Counter(name, most, window, network_of(client_ip(request) or "unknown"))
    return window if counter.reserve() > most else 0


def too_many(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(request, "portal/too_many.html", {"minutes": max(wait // 60, 1)}, status=429)
    response["Retry-After"] = str(wait)
    return response
