"""The fakes as context managers for fixtures, and as ready-made pytest fixtures.

Test modules wrap the context managers in fixtures of their own (importing a
fixture into a module makes linters see its parameters as redefinitions); the
fixtures below serve a conftest that registers this module as a plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from notifications.sms import close_backend
from tests.fakes.net import closed_port
from tests.fakes.smtp_server import SmtpSink
from tests.fakes.twilio_server import FakeTwilio

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@contextmanager
def running_fake_twilio(settings) -> Iterator[FakeTwilio]:
    """A running fake Twilio, with SMS_BACKEND and the TWILIO_* settings pointing at it.
    ``settings`` is pytest-django's fixture, which restores them afterwards."""
    server = FakeTwilio().start()
    settings.SMS_BACKEND = "notifications.sms.TwilioBackend"
    settings.TWILIO_ACCOUNT_SID = server.account_sid
    settings.TWILIO_AUTH_TOKEN = server.auth_token
    settings.TWILIO_FROM = server.from_
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_BASE_URL = server.base_url
    try:
        yield server
    finally:
        close_backend()
        server.stop()


def use_smtp(settings, host: str, port: int) -> None:
    """Send email with Django's SMTP backend to ``host``:``port``, no TLS, no login."""
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = host
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@contextmanager
def running_smtp_sink(settings) -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), with Django's SMTP backend pointing at it."""
    sink = SmtpSink().start()
    use_smtp(settings, sink.host, sink.port)
    try:
        yield sink
    finally:
        sink.stop()


def smtp_server_down(settings) -> int:
    """Django's SMTP backend pointing at a port where nothing listens. Returns the port."""
    port = closed_port()
    use_smtp(settings, "127.0.0.1", port)
    return port


@pytest.fixture
def fake_twilio(settings) -> Iterator[FakeTwilio]:
    with running_fake_twilio(settings) as server:
        yield server


@pytest.fixture
def smtp_sink(settings) -> Iterator[SmtpSink]:
    with running_smtp_sink(settings) as sink:
        yield sink


@pytest.fixture
def smtp_down(settings) -> int:
    return smtp_server_down(settings)
