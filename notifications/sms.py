"""SMS backends, chosen by settings.SMS_BACKEND (a dotted path).

- ConsoleBackend: prints to stdout (development default).
- LocmemBackend: keeps messages in ``notifications.sms.outbox`` (tests).
- TwilioBackend: the real ``twilio`` client; TWILIO_BASE_URL sends its requests
  to another host (a local fake Twilio in tests).
"""

from __future__ import annotations

import sys
import threading
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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

    def close(self) -> None:  # noqa: B027 (optional: most backends hold nothing)
        """Release connections held between sends."""

    def find_sent(self, to: str, body: str, since: datetime) -> list[str]:
        """The provider IDs of messages with this body sent to ``to`` since ``since``,
        newest first: an earlier attempt's outcome, before trying again. A backend
        that cannot look messages up finds nothing (the message is sent again)."""
        return []


class ConsoleBackend(BaseSmsBackend):
    """Prints instead of sending: for development only (production refuses it)."""

    def send(self, to: str, body: str, *, status_callback: str = "") -> str:
        provider_id = f"console-{uuid.uuid4().hex[:16]}"
        sys.stdout.write(
            f"--- SMS to {to} ({provider_id}) · DEVELOPMENT ONLY, NOT SENT ---\n{body}\n---\n"
        )
        sys.stdout.flush()
        return provider_id


outbox: list[SmsRecord] = []


class LocmemBackend(BaseSmsBackend):
    def send(self, to: str, body: str, *, status_callback: str = "") -> str:
        provider_id = f"locmem-{uuid.uuid4().hex[:16]}"
        outbox.append(SmsRecord(to=to, body=body, provider_id=provider_id))
        return provider_id


def _http_client(base_url: str = ""):
    """The twilio client's HTTP client, with a session that reads the environment's
    proxy and CA settings once per host rather than on every request (requests
    does, for each call: scanning the environment cost about a fifth of a worker's
    time per SMS). A worker's environment does not change while it runs.
    ``base_url``: send every Twilio API request there instead (a fake Twilio)."""
    from requests import Session
    from twilio.http.http_client import TwilioHttpClient

    class EnvironmentOnceSession(Session):
        def __init__(self) -> None:
            super().__init__()
            self._environment: dict[tuple, dict] = {}

        def merge_environment_settings(self, url, proxies, stream, verify, cert):  # type: ignore[override]
            parts = urlsplit(url)
            key = (parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())))
            key += (stream, verify, cert)
            merged = self._environment.get(key)
            if merged is None:
                merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
                self._environment[key] = merged
            return {**merged, "proxies": dict(merged["proxies"])}

    base = urlsplit(base_url) if base_url else None

    class HttpClient(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):  # type: ignore[override]
            if base is not None:
                parts = urlsplit(url)
                url = urlunsplit(
                    (base.scheme, base.netloc, parts.path, parts.query, parts.fragment)
                )
            return super().request(method, url, *args, **kwargs)

    client = HttpClient(timeout=10)
    adapters = client.session.adapters
    client.session = EnvironmentOnceSession()
    client.session.adapters = adapters
    return client


# Twilio error codes that will not succeed on retry (bad or unreachable number,
# opted out, not SMS-capable, sender not allowed).
_PERMANENT_TWILIO_CODES = {21211, 21214, 21408, 21610, 21612, 21614, 21606, 21659, 21660}


def _is_transient(status: int, code: int | None) -> bool:
    """Worth another try? Rate limits, server errors and our own credentials
    (401: a configuration mistake, to be fixed while the message waits) are;
    other client errors, and the codes above, are not."""
    if code in _PERMANENT_TWILIO_CODES:
        return False
    return status in (401, 408, 429) or status >= 500


class TwilioBackend(BaseSmsBackend):
    """Twilio's Messages API through the official client. One instance keeps its
    HTTP connection open between sends (see ``get_backend``)."""

    def __init__(self) -> None:
        from twilio.rest import Client

        self.http_client = _http_client(settings.TWILIO_BASE_URL)
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=self.http_client
        )

    def close(self) -> None:
        if self.http_client.session is not None:
            self.http_client.session.close()

    def send(self, to: str, body: str, *, status_callback: str = "") -> str:
        from twilio.base.exceptions import (
            TwilioException,
            TwilioRestException,
            TwilioServiceException,
        )

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
            raise SmsError(
                f"Twilio {exc.status} (code {exc.code}): {exc.msg}",
                transient=_is_transient(exc.status, exc.code),
                code=str(exc.code or ""),
            ) from exc
        except TwilioServiceException as exc:
            # The RFC 9457 "problem details" error shape; not a TwilioRestException.
            raise SmsError(
                f"Twilio {exc.status} (code {exc.code}): {exc.title}",
                transient=_is_transient(exc.status, exc.code),
                code=str(exc.code or ""),
            ) from exc
        except (TwilioException, OSError) as exc:
            # Connection refused, timeouts, TLS errors: worth another try.
            raise SmsError(f"Twilio unreachable: {exc}", transient=True) from exc
        return str(message.sid)

    def find_sent(self, to: str, body: str, since: datetime) -> list[str]:
        """Twilio's message list for this number (newest first), matched on the body.

        Not filtered by DateSent: a message still in Twilio's queue (a messaging
        service queues above the account's rate) has no date sent yet, and it is
        exactly the one not to send again. A number gets few messages, so the
        newest LOOKUP_LIMIT are read and matched on their creation time."""
        from twilio.base.exceptions import TwilioException

        since = since.astimezone(UTC) - LOOKUP_CLOCK_MARGIN
        try:
            found = self.client.messages.list(to=to, limit=LOOKUP_LIMIT, page_size=LOOKUP_LIMIT)
        except (TwilioException, OSError) as exc:
            raise SmsError(f"Twilio message lookup failed: {exc}", transient=True) from exc
        return [
            str(sms.sid)
            for sms in found
            if sms.date_created is not None
            and sms.date_created >= since
            and (sms.direction or "").startswith("outbound")
            # A messaging service may add an opt-out line to what we sent.
            and (sms.body or "").startswith(body)
        ]


# How many of a number's latest messages a lookup reads, and how far Twilio's clock
# may be behind ours.
LOOKUP_LIMIT = 50
LOOKUP_CLOCK_MARGIN = timedelta(minutes=5)


@cache
def _backend_class(path: str) -> type[BaseSmsBackend]:
    return import_string(path)


_local = threading.local()


def _backend_key() -> tuple[str, ...]:
    return (
        settings.SMS_BACKEND,
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_BASE_URL,
    )


def get_backend() -> BaseSmsBackend:
    """The configured backend; one per thread and configuration, so that a worker
    reuses its HTTPS connection to the provider instead of opening one per SMS."""
    key = _backend_key()
    cached: tuple[tuple[str, ...], BaseSmsBackend] | None = getattr(_local, "backend", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    if cached is not None:
        cached[1].close()
    backend = _backend_class(settings.SMS_BACKEND)()
    _local.backend = (key, backend)
    return backend


def close_backend() -> None:
    """Close this thread's backend (tests, worker shutdown)."""
    cached = getattr(_local, "backend", None)
    if cached is not None:
        cached[1].close()
        _local.backend = None
