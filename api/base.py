"""What every endpoint of /api/v1/ shares: token authentication, the rate limit,
page-number pagination, filters and ordering, the scope check (404 outside it),
ETags on lists, and the audit entry for reads of personal data."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_vary_headers
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import audit
from accounts.language import AVAILABLE
from accounts.scopes import Capability, Scope, scope_of
from api import throttling
from api.models import ApiToken

C = Capability


def forget_token_user(request: Request) -> None:
    """DRF hands the token's user down to Django's request; the session
    middleware would then take the API call for a signed-in browser and start a
    session (a row and a cookie per call). A token is no session: undo that.

    Reads what authentication found without authenticating (``request.auth``
    would): an error raised before authentication (a bad ``Accept``) must not
    authenticate here, where a bad token's 401 would become a 500."""
    if isinstance(getattr(request, "_auth", None), ApiToken):
        request._request.user = AnonymousUser()


def speak_users_language(request: Request) -> None:
    """Messages in the language the request asks for (``Accept-Language``); a
    client that asks for none (curl, most HTTP libraries) gets the language its
    token's user chose for the staff pages, as a signed-in page would, and only
    then the site's default."""
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return
    chosen = getattr(request.user, "language", "")
    if chosen in AVAILABLE:
        translation.activate(chosen)
        request._request.LANGUAGE_CODE = chosen


def etag_of(data: Any) -> str:
    body = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def _matches(request: Request, etag: str) -> bool:
    wanted = request.META.get("HTTP_IF_NONE_MATCH", "")
    tags = {t.strip().removeprefix("W/") for t in wanted.split(",") if t.strip()}
    return etag in tags or "*" in tags


class ApiViewSet(viewsets.GenericViewSet):
    """Base of the endpoints. ``capability``: what the user must have somewhere
    (else every URL of the endpoint is a 404). ``read_action``: the audit action
    written once per request that returns personal data."""

    capability: str = C.VIEW_COUNTS
    read_action: str = ""
    audit_lists: bool = True  # False: only reading one object returns personal data
    filterset_fields: Any = ()

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        forget_token_user(request)
        response = super().finalize_response(request, response, *args, **kwargs)
        if not response.has_header("Cache-Control"):  # personal data: no shared cache
            response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Authorization"])
        throttling.add_headers(request, response)
        return response

    @property
    def scope(self) -> Scope:
        return scope_of(self.request.user)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        speak_users_language(request)
        if getattr(self, "swagger_fake_view", False):
            return
        if not self.scope.can(self.capability):
            raise Http404

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema, made without a user
            return self.queryset
        return self.scoped_queryset()

    def scoped_queryset(self) -> QuerySet[Any]:
        """The rows the token's user may see (each endpoint says which)."""
        raise NotImplementedError

    # --- extra context for a page of rows (fill counts…): one query per page ------------

    def rows_context(self, rows: list[Any]) -> dict[str, Any]:
        return {}

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        rows = args[0] if args else None
        if rows is not None and not isinstance(rows, dict):
            listed = list(rows) if kwargs.get("many") else [rows]
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"].update(self.rows_context(listed))
        return super().get_serializer(*args, **kwargs)

    # --- reads ------------------------------------------------------------------------------

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page) if page is not None else list(queryset)
        data = self.get_serializer(rows, many=True).data
        response = self.get_paginated_response(data) if page is not None else Response(data)
        etag = etag_of(response.data)
        if _matches(request, etag):
            return self._conditional(Response(status=status.HTTP_304_NOT_MODIFIED), etag)
        self.audit_read(len(rows))
        return self._conditional(response, etag)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        response = Response(self.get_serializer(obj).data)
        self.audit_read(1, object_id=obj.pk)
        return response

    def _conditional(self, response: Response, etag: str) -> Response:
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response

    def audit_read(self, count: int, *, object_id: int | None = None) -> None:
        if not self.read_action or not count:
            return
        if object_id is None and not self.audit_lists:
            return
        token = self.request.auth
        detail: dict[str, Any] = {"count": count, "filters": self.request.query_params.urlencode()}
        if isinstance(token, ApiToken):
            detail["token"] = f"{token.name} ({token.prefix}…)"
        if object_id is not None:
            detail["id"] = object_id
        audit.record_read(
            self.request,
            self.read_action,
            election_id=id_or_none(self.request.query_params.get("election", "")),
            detail=detail,
        )


def id_or_none(value: Any) -> int | None:
    """``value`` as an id if it is one (ASCII digits, at most 18 of them: ``"²"`` is
    a digit to ``str.isdigit`` but no number to ``int``), else None."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def object_id(value: Any) -> int:
    """A URL's id, or the 404 (never a 500 on ``/assignments/abc/``)."""
    found = id_or_none(value)
    if found is None:
        raise Http404
    return found
