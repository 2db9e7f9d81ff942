"""What drf-spectacular needs to know about our own classes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

DOCS_PATHS = ("/api/v1/schema/", "/api/v1/docs/")


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made on /api/tokens/.",
        }


class ApiAutoSchema(AutoSchema):
    """The errors every endpoint may answer (docs/api.md, api.errors), in the
    schema: 400 for a write (a refusal or bad input), 401, 404 and 429."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        from api.serializers import ErrorSerializer

        responses = super()._get_response_bodies(direction)
        if not self.path.startswith("/api/v1/") or self.path.startswith(DOCS_PATHS):
            return responses
        errors = {
            "401": _("No token, or one that is unknown, expired or revoked."),
            "404": _("Not there, or outside what the token's user may see."),
            "429": _("Too many requests for this token: wait Retry-After seconds."),
        }
        if self.method != "GET":
            errors["400"] = _("Refused by a rule (code, message, names) or bad input (fields).")
        for code, description in sorted(errors.items()):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=str(description)), code
                )
        return responses
