from __future__ import annotations

import os

import pytest

from notifications import sms

# fake_twilio, smtp_sink, smtp_down: the fake peers, for every test module.
pytest_plugins = ["tests.fakes.fixtures"]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Tests read in English unless they switch language; SMS go to memory;
    Celery runs eagerly unless a test starts a real worker."""
    settings.LANGUAGE_CODE = "en"
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "http://testserver"
    settings.MUNICIPALITY_NAME = "Testrup Kommune"
    # No pacing of sends (notifications.ratelimit): tests/test_ratelimit.py sets
    # the rates it tests; elsewhere ten SMS a second would only slow the suite.
    settings.SMS_RATE_PER_SECOND = 0
    settings.SMS_DAILY_CAP = 0
    settings.EMAIL_RATE_PER_SECOND = 0
    settings.EMAIL_DAILY_CAP = 0
    # Staff users are made by the dozen; the production hasher's cost is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate limits count in the cache: each test starts from none, in its own process.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()
    from pollcrew.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _organisation_cache(_test_settings):
    """Each test starts with no organisation saved, and the cache says so
    (accounts.organisation.current): a row cached by an earlier test never leaks
    in, and the first page a test counts costs no more queries than the next.
    No query is made here; saving a row clears the cached state as in production
    (tests/test_organisation.py checks the cold cache itself)."""
    from accounts.organisation import assume_none_saved, invalidate

    assume_none_saved()
    yield
    invalidate()


@pytest.fixture
def sms_outbox() -> list[sms.SmsRecord]:
    return sms.outbox


@pytest.fixture
def coordinator(db):
    from tests import factories

    return factories.user("koordinator@kommune.dk", coordinator=True)


@pytest.fixture
def outsider(db):
    from tests import factories

    return factories.user("udenforstaaende@kommune.dk")


def pytest_configure(config) -> None:
    from django.conf import settings

    (settings.BASE_DIR / "var").mkdir(exist_ok=True)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``committed(fn, *args)`` calls fn and then runs its on-commit callbacks
    (message dispatch) as a real commit would, inside the test's transaction."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
