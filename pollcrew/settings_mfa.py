"""Settings for multi-factor sign-in (allauth.mfa), applied at the end of
pollcrew/settings.py: ``apply(globals(), env)``."""

from __future__ import annotations

from typing import Any

import environ


def apply(settings: dict[str, Any], env: environ.Env) -> None:
    """Nothing yet."""
