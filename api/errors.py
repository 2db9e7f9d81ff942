"""Every error of the API in one shape: ``{"code", "message"}``, plus ``names``
for a service's refusal and ``fields`` for bad input.

- a service refused (``pollcrew.refusals.Refused``): 400 with its code, its
  translated message and who or what is in the way;
- bad input (a serializer's or a model's validation): 400, code ``invalid``,
  the errors per field;
- no token, or one that is unknown, expired or revoked: 401, always the same body;
- outside the token user's scope, or not there at all: 404 (never 403);
- a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413, code ``too_large``;
- too many requests: 429 with ``Retry-After``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_handler

from api.authentication import INVALID
from api.parsers import TooLarge
from pollcrew.refusals import Refused


def refusal_body(refusal: Refused) -> dict[str, Any]:
    return {"code": refusal.code, "message": refusal.message, "names": refusal.names}


def field_errors(error: DjangoValidationError) -> dict[str, Any]:
    return as_serializer_error(error)


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Refused):
        return Response(refusal_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = TooLarge()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.PermissionDenied):
        exc = exceptions.NotFound()  # outside the scope: as if it did not exist
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response.data = {"code": "not_authenticated", "message": str(INVALID)}
    elif isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "message": _("Some of the data sent is not valid."),
            "fields": response.data,
        }
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes()
        response.data = {
            "code": code if isinstance(code, str) else exc.default_code,
            "message": str(exc.detail) if isinstance(exc.detail, str) else str(exc.default_detail),
        }
    return response
