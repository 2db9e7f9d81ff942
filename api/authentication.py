"""``Authorization: Bearer <token>``: the only way into /api/v1/.

Unknown, expired and revoked tokens, and tokens of a user who is inactive or has
no role any more, all get the same 401 with the same body: nobody learns which
it was. There is no session authentication on the API, so a signed-in browser
cannot be made to write through it (no CSRF hole)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.scopes import scope_of
from api import tokens
from api.models import ApiToken

INVALID = _("The API token is missing, unknown, expired or revoked.")


def _touch_every() -> timedelta:
    """How often ``last_used_at`` is written (not on every request)."""
    return timedelta(seconds=getattr(settings, "API_TOKEN_TOUCH_SECONDS", 60))


class BearerTokenAuthentication(BaseAuthentication):
    keyword = tokens.SCHEME

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(INVALID)
        try:
            secret = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(INVALID) from None
        token = (
            ApiToken.objects.usable()
            .select_related("user")
            .filter(token_hash=tokens.hash_of(secret))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(INVALID)
        if not scope_of(token.user).is_staff_member:
            raise exceptions.AuthenticationFailed(INVALID)
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - _touch_every():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
