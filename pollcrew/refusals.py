"""The one exception type for "the service refused, and here is why".

Services raise a ``Refused`` (or a subclass, like staffing's RuleViolation) with
a stable ``code`` for programs and tests, a translated ``message`` for people,
and ``names``: who or what stands in the way (the people holding seats on a
shift someone wants to delete). Views show the message; nothing was written.
"""

from __future__ import annotations

from collections.abc import Sequence


class Refused(Exception):
    def __init__(self, code: str, message: str, *, names: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.names = list(names)

    def __str__(self) -> str:
        return self.message
