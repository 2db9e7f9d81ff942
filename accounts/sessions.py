"""Sessions end after ``STAFF_SESSION_IDLE_HOURS`` without activity.

The session's expiry is SESSION_COOKIE_AGE from its last save; this middleware
saves an active session again at most every few minutes (not on every request,
which would write the session table on every page view), so the expiry slides
with activity and an idle session expires on time, to within that interval."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

REFRESH_EVERY = 5 * 60  # seconds
_KEY = "pollcrew_activity"


def mark_active(session) -> None:
    """Stamp the session as active now (at sign-in, and by the middleware)."""
    session[_KEY] = int(time.time())


class IdleTimeout:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        signed_in = session is not None and user is not None and user.is_authenticated
        if signed_in and int(time.time()) - int(session.get(_KEY, 0)) >= REFRESH_EVERY:
            mark_active(session)  # modified: saved, and the expiry moves on
        return response
