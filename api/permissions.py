"""Who may use the API at all: a user with some role (the scope decides the rest)."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from accounts.scopes import scope_of


class HasRole(permissions.BasePermission):
    """A token's user has some role (the authentication checked it too)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return (
            bool(request.user and request.user.is_authenticated)
            and scope_of(request.user).is_staff_member
        )
