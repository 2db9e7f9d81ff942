"""The development email backend: Django's console backend, saying what it is."""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend


class ConsoleEmailBackend(DjangoConsoleBackend):
    """Prints instead of sending: for development only (production refuses it)."""

    def write_message(self, message) -> None:
        self.stream.write("--- EMAIL · DEVELOPMENT ONLY, NOT SENT ---\n")
        super().write_message(message)
