"""SMS backends, chosen by settings.SMS_BACKEND (a dotted path).

- ConsoleBackend: prints to stdout (development default).
- LocmemBackend: keeps messages in ``notifications.sms.outbox`` (tests).
- TwilioBackend: the real ``twilio`` client; TWILIO_BASE_URL sends its requests
  to another host (a local fake Twilio in tests).
"""

from __future__ import annotations

import sys
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """A send failed. ``transient`` errors are retried; permanent ones are not."""

    def __init__(self, message: str, *, transient: bool, code: str = "") -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code


@dataclass(frozen=True)
class SmsRecord:
    to: str
    body: str
    provider_id: str


class BaseSmsBackend(ABC):
    @abstractmethod
    def send(self, to: str, body: str, *, status_callback: str = "") -> str:
        """Send one SMS and return the provider's message ID."""


class ConsoleBackend(BaseSmsBackend):
    def send(self, to: str, body: str, *, status_callback: str = "") -> str:
        provider_id = f"console-{uuid.uuid4().hex[:16]}"
        sys.stdout.write(f"--- SMS to {to} ({provider_id}) ---\n{body}\n---\n")
        sys.stdout.flush()
        return provider_id


outbox: list[SmsRecord] = []


class LocmemBackend(BaseSmsBackend):
    def send(self, to: str, body: str, *, status_callback: str = "") -> str:
        provider_id = f"locmem-{uuid.uuid4().hex[:16]}"
        outbox.append(SmsRecord(to=to, body=body, provider_id=provider_id))
        return provider_id


def _rebased_http_client(base_url: str):
    from twilio.http.http_client import TwilioHttpClient

    base = urlsplit(base_url)

    class RebasedHttpClient(TwilioHttpClient):
        """Sends every Twilio API request to ``base_url`` instead of api.twilio.com."""

        def request(self, method, url, *args, **kwargs):  # type: ignore[override]
            parts = urlsplit(url)
            url = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
            return super().request(method, url, *args, **kwargs)

    return RebasedHttpClient(timeout=10)


# Twilio error codes that will not succeed on retry (bad or unreachable number,
# opted out, not SMS-capable, sender not allowed).
_PERMANENT_TWILIO_CODES = {21211, 21214, 21408, 21610, 21612, 21614, 21606, 21659, 21660}


class TwilioBackend(BaseSmsBackend):
    def __init__(self) -> None:
        from twilio.rest import Client

        http_client = (
            _rebased_http_client(settings.TWILIO_BASE_URL) if settings.TWILIO_BASE_URL else None
        )
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
        )

    def send(self, to: str, body: str, *, status_callback: str = "") -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        params: dict[str, str] = {"to": to, "body": body}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            params["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            params["from_"] = settings.TWILIO_FROM
        if status_callback:
            params["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**params)
        except TwilioRestException as exc:
            transient = exc.status == 429 or exc.status >= 500
            if exc.code in _PERMANENT_TWILIO_CODES:
                transient = False
            raise SmsError(
                f"Twilio {exc.status} (code {exc.code}): {exc.msg}",
                transient=transient,
                code=str(exc.code or ""),
            ) from exc
        except (TwilioException, OSError) as exc:
            # Connection refused, timeouts, TLS errors: worth another try.
            raise SmsError(f"Twilio unreachable: {exc}", transient=True) from exc
        return str(message.sid)


@cache
def _backend_class(path: str) -> type[BaseSmsBackend]:
    return import_string(path)


def get_backend() -> BaseSmsBackend:
    return _backend_class(settings.SMS_BACKEND)()
