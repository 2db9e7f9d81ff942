"""Writes to API tokens, audited: make one (the secret returned once), revoke one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from api import tokens
from api.models import ApiToken
from pollcrew.refusals import Refused
from pollcrew.text import strip_controls


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(user: User, *, name: str, days: int, by: User | None) -> NewToken:
    """A new token for ``user`` that expires in ``days`` (30, 90 or 365)."""
    if days not in ApiToken.Lifetime.values:
        raise Refused("bad_lifetime", _("A token lasts 30, 90 or 365 days."))
    name = strip_controls(name).strip()[:100]
    if not name:
        raise Refused("name_required", _("Give the token a name that says what it is for."))
    secret = tokens.new_secret()
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken(
            user=user,
            name=name,
            prefix=tokens.prefix_of(secret),
            token_hash=tokens.hash_of(secret),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        token.full_clean()
        token.save(force_insert=True)
        audit.record(
            "api.token_create",
            token,
            by=by,
            detail={"user": user.pk, "prefix": token.prefix, "days": days},
        )
    return NewToken(token=token, secret=secret)


def revoke_token(token: ApiToken, *, by: User | None) -> ApiToken:
    """Revoke ``token`` now (a second revoke changes nothing)."""
    with transaction.atomic():
        current = ApiToken.objects.select_for_update().get(pk=token.pk)
        if current.revoked_at is not None:
            return current
        current.revoked_at = timezone.now()
        current.save(update_fields=["revoked_at"])
        audit.record(
            "api.token_revoke",
            current,
            by=by,
            detail={"user": current.user_id, "prefix": current.prefix},
        )
    return current
