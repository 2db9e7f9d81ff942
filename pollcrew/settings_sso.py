"""Settings for single sign-on with OpenID Connect (allauth.socialaccount),
applied at the end of pollcrew/settings.py: ``apply(globals(), env)``."""

from __future__ import annotations

from typing import Any

import environ


def apply(settings: dict[str, Any], env: environ.Env) -> None:
    """Nothing yet."""
