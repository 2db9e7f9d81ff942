"""Rate limits per token (``API_RATE``, e.g. "600/minute"), counted in the
shared cache, so every worker process counts the same token together."""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api_token"

    def get_rate(self) -> str | None:
        return getattr(settings, "API_RATE", "600/minute")

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None  # the docs page read with a session: not limited per token
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
