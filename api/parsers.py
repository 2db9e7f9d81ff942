"""JSON bodies, bounded: at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes (Django's
own limit for forms, which DRF's parser does not apply), and nesting too deep
for Python's parser is a 400 like any other bad JSON, never a 500."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise TooLarge
        try:
            text = raw.decode(context.get("encoding", settings.DEFAULT_CHARSET))
            return json.loads(text, parse_constant=self._no_constant)
        except (ValueError, RecursionError):
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from None

    @staticmethod
    def _no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")  # NaN, Infinity: not standard JSON
