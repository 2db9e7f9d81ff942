"""Rate limits per token (``API_RATE``, e.g. "600/minute"), counted in the
shared cache, so every worker process counts the same token together. Every
answer to a token says where it stands (``RateLimit-Limit``,
``RateLimit-Remaining``, ``RateLimit-Reset`` in seconds), so a client can slow
down before it is refused."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken

HEADERS = "_api_rate_limit_headers"


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api_token"

    def get_rate(self) -> str | None:
        return getattr(settings, "API_RATE", "600/minute")

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None  # the docs page read with a session: not limited per token
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

    def allow_request(self, request: Request, view: Any) -> bool:
        allowed = super().allow_request(request, view)
        history = getattr(self, "history", None)
        if history is not None and self.num_requests is not None and self.duration:
            oldest = history[-1] if history else self.now
            setattr(
                request,
                HEADERS,
                {
                    "RateLimit-Limit": str(self.num_requests),
                    "RateLimit-Remaining": str(max(self.num_requests - len(history), 0)),
                    "RateLimit-Reset": str(max(math.ceil(self.duration - (self.now - oldest)), 0)),
                },
            )
        return allowed


def add_headers(request: Request, response: Any) -> None:
    for name, value in getattr(request, HEADERS, {}).items():
        response[name] = value
