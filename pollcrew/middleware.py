from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _


class RejectNulBytes:
    """A NUL byte anywhere in the query or form data is refused with a 400.

    PostgreSQL cannot store NUL in text, so such input would otherwise surface as
    a 500 from whichever query first touches it (a search, a filter, a reason).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or self._has_nul(request):
            return HttpResponseBadRequest(_("The request contained an invalid character."))
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        data = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            data.append(request.POST)
        for query in data:
            for key, values in query.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return True
        return False


class NoStoreWhenSignedIn:
    """Every page a signed-in staff user gets (lists of people, contact data, the
    admin, downloads) says ``Cache-Control: no-store, private``: no shared cache
    keeps it, and the browser does not put it in its disk cache or history."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class TrustedProxies:
    """The client's address behind the reverse proxies listed in TRUSTED_PROXIES.

    Only when the request comes from a trusted proxy is X-Forwarded-For read, from
    the right: the first address that is not a trusted proxy is the client's, and
    it replaces REMOTE_ADDR for everything after this middleware (rate limits,
    the audit log). A client cannot forge its address by sending the header
    itself: an untrusted peer's header is ignored, and entries left of the first
    untrusted one are never believed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.networks = [
            ipaddress.ip_network(entry, strict=False) for entry in settings.TRUSTED_PROXIES
        ]

    @staticmethod
    def _address(entry: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """An X-Forwarded-For entry: "203.0.113.5", "203.0.113.5:41000" (some
        proxies add the port), "[2001:db8::1]:41000" or "2001:db8::1"."""
        text = entry.strip()
        if text.startswith("["):
            text = text[1:].split("]", 1)[0]
        elif text.count(":") == 1:
            text = text.split(":", 1)[0]
        try:
            return ipaddress.ip_address(text)
        except ValueError:
            return None

    def _trusted(self, address: str) -> bool:
        ip = self._address(address)
        return ip is not None and any(ip in network for network in self.networks)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR", "")
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # No peer address: a unix socket, which only the local proxy can reach.
        from_proxy = self._trusted(peer) or (self.networks and not peer)
        if self.networks and forwarded and from_proxy:
            for entry in reversed([e for e in forwarded.split(",") if e.strip()]):
                if not self._trusted(entry):
                    client = self._address(entry)
                    if client is not None:  # garbage: keep the proxy's address
                        request.META["REMOTE_ADDR"] = str(client)
                    break
        return self.get_response(request)
