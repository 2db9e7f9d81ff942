"""The OpenAPI 3 schema and its documentation page (Swagger UI, self-hosted
through drf-spectacular-sidecar: no CDN). Read with a token, or by a signed-in
staff user in the browser (these two pages only; reads, so no CSRF concern).
The page's script is served from this site (the "split" view), so the strict
Content-Security-Policy needs no exception."""

from __future__ import annotations

from typing import Any

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication

from api.authentication import BearerTokenAuthentication
from api.base import forget_token_user
from api.permissions import HasRole
from api.throttling import TokenRateThrottle

READERS = [BearerTokenAuthentication, SessionAuthentication]


class _Readers:
    authentication_classes = READERS
    permission_classes = [HasRole]
    # A token's reads of the schema count against its rate limit (making the
    # schema takes about a second of the server's time); a session is not limited.
    throttle_classes = [TokenRateThrottle]

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        forget_token_user(request)
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]


class SchemaView(_Readers, SpectacularAPIView):
    pass


class DocsView(_Readers, SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"
