"""A real SMTP server on 127.0.0.1 (aiosmtpd), collecting what Django's SMTP backend sends."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.fakes.net import free_port


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.sink.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.changed:
            self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.sink.messages.append(message)  # type: ignore[arg-type]
            self.sink.changed.notify_all()
        return "250 Message accepted for delivery"


class SmtpSink:
    """``start()`` it, point EMAIL_HOST/EMAIL_PORT at ``host``/``port``, read ``messages``."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        #: address → the reply to RCPT TO, e.g. "451 4.7.1 Greylisted, try again later".
        self.refuse: dict[str, str] = {}
        self.changed = threading.Condition()
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.changed.wait(left)
            return list(self.messages)
