from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.scopes import scope_of


def staff_scope(request: HttpRequest) -> dict[str, object]:
    """``staff_scope`` in templates: what the signed-in user's roles allow
    (loaded on first use, once per request)."""
    return {"staff_scope": SimpleLazyObject(lambda: scope_of(request.user))}
