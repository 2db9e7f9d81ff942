"""Production refuses to start half-configured, and passes Django's deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

GOOD = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k" * 20 + "-Qm7vX2pL9sT4wZ8yB1nC6dF3gH5jK0rE",
    "ALLOWED_HOSTS": "valg.kommune.dk",
    "DATABASE_URL": "postgres://pollcrew@127.0.0.1:5432/pollcrew",
    "SITE_URL": "https://valg.kommune.dk",
    "EMAIL_URL": "smtp+tls://valg:hemmelig@smtp.kommune.dk:587",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "TRUSTED_PROXIES": "10.0.0.1",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM": "Kommunen",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in GOOD
        and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
        and not k.startswith(("CELERY_", "TWILIO_", "EMAIL_", "SMS_", "CACHE_", "TRUSTED_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "SITE_URL",
        "EMAIL_URL",
        "CELERY_BROKER_URL",
        "TWILIO_FROM",
    ],
)
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in GOOD.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_ENV=production refuses to start" in result.stderr
    assert missing in result.stderr


# Each development setting is refused, with a line that says what to set.
UNSAFE = [
    ({"SECRET_KEY": "django-insecure-development-only-do-not-deploy"}, "SECRET_KEY is a"),
    ({"SECRET_KEY": "kort-men-hemmelig-1234"}, "SECRET_KEY is a development or short key"),
    ({"DEBUG": "true"}, "DEBUG is on: set DEBUG=false"),
    ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS allows any host"),
    ({"ALLOWED_HOSTS": "valg.kommune.dk,*"}, "ALLOWED_HOSTS allows any host"),
    ({"EMAIL_URL": "consolemail://"}, "EMAIL_URL is a development backend"),
    ({"EMAIL_URL": "filemail:///tmp/mails"}, "EMAIL_URL is a development backend"),
    ({"EMAIL_URL": "memorymail://"}, "EMAIL_URL is a development backend"),
    ({"CELERY_BROKER_URL": "memory://"}, "CELERY_BROKER_URL is in-process"),
    ({"SMS_BACKEND": "notifications.sms.ConsoleBackend"}, "SMS_BACKEND is ConsoleBackend"),
    ({"SITE_URL": "http://valg.kommune.dk"}, "SITE_URL is not https on a public host"),
    ({"SITE_URL": "https://localhost"}, "SITE_URL is not https on a public host"),
    ({"SITE_URL": "https://127.0.0.1:8000"}, "SITE_URL is not https on a public host"),
    ({"SITE_URL": "https://10.0.0.5"}, "SITE_URL is not https on a public host"),
    ({"CACHE_URL": "locmemcache://"}, "CACHE_URL is not a shared Redis cache"),
    ({"EMAIL_URL": "Consolemail://"}, "EMAIL_URL is a development backend"),
    ({"CELERY_BROKER_URL": "Memory://"}, "CELERY_BROKER_URL is in-process"),
    ({"ALLOWED_HOSTS": ".kommune.dk"}, "ALLOWED_HOSTS allows every subdomain"),
    ({"SITE_URL": "https://valg.kommune.dk@evil.example"}, "SITE_URL is not https on a public"),
    ({"SITE_URL": "https://pollcrew.internal"}, "SITE_URL is not https on a public host"),
    ({"SITE_URL": "https://andet.kommune.dk"}, "SITE_URL's host is not in ALLOWED_HOSTS"),
    ({"TRUSTED_PROXIES": ""}, "TRUSTED_PROXIES is not set"),
    ({"CACHE_URL": "filecache:///tmp/pollcrew"}, "CACHE_URL is not a shared Redis cache"),
]


@pytest.mark.parametrize(("bad", "line"), UNSAFE, ids=[next(iter(b)) for b, _ in UNSAFE])
def test_production_refuses_a_development_setting(bad, line):
    result = manage("check", env={**GOOD, **bad})
    assert result.returncode != 0
    assert "DJANGO_ENV=production refuses to start" in result.stderr
    assert line in result.stderr


def test_all_problems_are_listed_at_once():
    result = manage("check", env={**GOOD, "DEBUG": "true", "EMAIL_URL": "consolemail://"})
    assert "DEBUG is on" in result.stderr and "EMAIL_URL is a development" in result.stderr


def test_the_escape_hatch_warns_instead_of_refusing():
    env = {**GOOD, "SITE_URL": "http://127.0.0.1:8000", "POLLCREW_ALLOW_UNSAFE_PRODUCTION": "true"}
    result = manage("check", env=env)
    assert result.returncode == 0, result.stderr
    assert "UNSAFE PRODUCTION (POLLCREW_ALLOW_UNSAFE_PRODUCTION): SITE_URL" in result.stderr


def test_production_may_choose_another_sms_backend():
    env = {k: v for k, v in GOOD.items() if not k.startswith("TWILIO_")}
    result = manage("check", env={**env, "SMS_BACKEND": "kommune.sms.GatewayBackend"})
    assert result.returncode == 0, result.stderr


def test_production_passes_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=GOOD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_need_nothing():
    result = manage("check", env={"DJANGO_ENV": "development"})
    assert result.returncode == 0, result.stderr


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(db):
    from django.db import connection

    if connection.vendor == "postgresql":
        # CI: the real thing, where row locks (not a database-wide write lock) apply.
        assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
        return
    assert connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_unset_broker_means_eager_celery():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
            "'pollcrew.settings'; django.setup(); from django.conf import settings as s; "
            "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)",
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"},
    )
    assert result.stdout.split() == ["True", "memory://"]
