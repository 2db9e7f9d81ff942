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
        and not k.startswith(("CELERY_", "TWILIO_", "EMAIL_", "SMS_"))
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
    assert "DJANGO_ENV=production needs these environment variables" in result.stderr
    assert missing in result.stderr


def test_production_may_choose_another_sms_backend():
    env = {k: v for k, v in GOOD.items() if not k.startswith("TWILIO_")}
    result = manage("check", env={**env, "SMS_BACKEND": "notifications.sms.ConsoleBackend"})
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
