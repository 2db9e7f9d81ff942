"""The staff pages' language: the one the user chose, wherever they sign in.

Before a choice, Django's LocaleMiddleware decides (the language cookie, then the
browser's Accept-Language, then ``LANGUAGE_CODE``: Danish). The switch in the
header (``me:language``) stores the choice on the staff user (``User.language``)
and in the language cookie, so it sticks: on this browser, on the next one after
signing in, and for the emails a signed-in action sends. Volunteers' pages follow
the volunteer's own language, not this."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

AVAILABLE = frozenset(code for code, _name in settings.LANGUAGES)


class StaffLanguage:
    """After authentication: a signed-in staff user's chosen language wins."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None else ""
        if chosen in AVAILABLE and user.is_authenticated:  # type: ignore[union-attr]
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


def set_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
