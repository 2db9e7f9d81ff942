"""Making and finding API tokens: the secret, its hash, its visible prefix."""

from __future__ import annotations

import hashlib
import secrets

PREFIX_LENGTH = 8
SCHEME = "Bearer"


def new_secret() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def prefix_of(secret: str) -> str:
    """The part shown in lists, so that a person can tell their tokens apart
    (48 of its 256 bits: the rest stays unguessable)."""
    return secret[:PREFIX_LENGTH]
