"""The sign-in limits hold across processes, on a real server: gunicorn with 4
workers and the production settings (behind a trusted proxy on loopback), a
shared cache (Redis when it runs here, as in CI; a folder otherwise).

The red team's finding was that each worker counted for itself (14 of 30 wrong
passwords were checked against a limit of 5) and that one attacker could lock
the owner out. Here: exactly the limit is checked, whichever worker answers, and
the owner's own browser still gets in after a distributed attack.

The same server shows that gunicorn's own log lines (the request line of every
request, outside Django's logging) carry no personal-link token, phone number or
email address (gunicorn.conf.py)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts import limits
from accounts.models import User
from tests.fakes.net import closed_port

pytestmark = [pytest.mark.server, pytest.mark.django_db(transaction=True)]

EMAIL = "koordinator@kommune.dk"
PASSWORD = "rigtig-godt-kodeord"
WORKERS = 4


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def _cache_url(tmp_path: Path) -> str:
    """Redis if it runs here (as in CI), else a folder; either way this run's own
    keys (CACHE_KEY_PREFIX), so an earlier or a parallel run counts apart."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            if conn.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379/13"
    except OSError:
        pass
    return f"filecache://{tmp_path / 'cache'}"


# Production cookies are Secure, so the known-browser cookie carries the __Host- prefix.
DEVICE_COOKIE = "__Host-pc_device"


@dataclass
class Server:
    base: str
    log: Path


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    port = closed_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "EMAIL_"))},
        "DJANGO_ENV": "production",
        "POLLCREW_ALLOW_UNSAFE_PRODUCTION": "true",  # http on loopback, on purpose
        "SECRET_KEY": "test-" + "x9Qz" * 15,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": base,
        "DATABASE_URL": _database_url(),
        "CACHE_URL": _cache_url(tmp_path),
        "CACHE_KEY_PREFIX": f"signin-test-{uuid.uuid4().hex}",
        "EMAIL_URL": "memorymail://",
        "CELERY_BROKER_URL": "memory://",
        "SMS_BACKEND": "notifications.sms.LocmemBackend",
        "SECURE_SSL_REDIRECT": "false",
        "TRUSTED_PROXIES": "127.0.0.1",
        "CONN_MAX_AGE": "0",
        # The files `make test` collected, unhashed (a production manifest takes
        # 40 s of compression to build, and is not what is under test).
        "WHITENOISE_MANIFEST_STRICT": "false",
    }
    log = tmp_path / "access.log"
    errors = tmp_path / "gunicorn.log"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "pollcrew.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(WORKERS),
                "--access-logfile",
                str(log),
                "--access-logformat",
                "%(p)s %(s)s %(r)s",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 120  # four workers booting on a loaded machine
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(base + "/accounts/login/", timeout=5):  # noqa: S310
                        break
                except OSError:  # refused, reset or slow while the workers boot
                    if process.poll() is not None:
                        pytest.fail(errors.read_text()[-3000:])
                    time.sleep(0.2)
            else:
                pytest.fail("gunicorn did not start")
            yield Server(base, log)
        finally:
            process.terminate()
            process.wait(timeout=20)


@dataclass
class Answer:
    status: int
    body: str
    cookies: dict[str, str]

    @property
    def signed_in(self) -> bool:
        return self.status == 302

    @property
    def checked_and_wrong(self) -> bool:
        return self.status == 200 and "are not correct" in self.body

    @property
    def refused(self) -> bool:
        return self.status == 429 or (
            self.status == 200 and "Too many failed login attempts" in self.body
        )


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _cookies(headers) -> dict[str, str]:
    jar: dict[str, str] = {}
    for header in headers.get_all("Set-Cookie") or []:
        parsed = SimpleCookie()
        parsed.load(header)
        jar.update({name: morsel.value for name, morsel in parsed.items()})
    return jar


def attempt(base: str, password: str, ip: str, device: str | None = None) -> Answer:
    """One browser's sign-in, on fresh connections (any worker may answer). The
    cookies are handled by hand: production marks them Secure, this is http."""
    opener = urllib.request.build_opener(NoRedirect)
    opener.addheaders = [("Accept-Language", "en")]
    with opener.open(base + "/accounts/login/", timeout=10) as page:
        cookies = _cookies(page.headers)
        html = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    if device:
        cookies[DEVICE_COOKIE] = device
    form = urllib.parse.urlencode(
        {"login": EMAIL, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        base + "/accounts/login/",
        data=form,
        headers={
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "X-Forwarded-For": ip,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": "en",
        },
    )
    try:
        with opener.open(request, timeout=10) as response:
            return Answer(response.status, response.read().decode(), _cookies(response.headers))
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.read().decode(), _cookies(error.headers))


def test_limits_hold_across_four_workers_and_the_owner_still_gets_in(server):
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    User.objects.create(email=EMAIL, password=hashed, is_active=True)
    base = server.base

    owner = attempt(base, PASSWORD, "198.51.100.20")
    assert owner.signed_in
    device = owner.cookies[DEVICE_COOKIE]

    # One address guesses: exactly the limit is checked, whichever worker answers.
    answers = [attempt(base, "forkert-kodeord", "203.0.113.7") for _ in range(30)]
    assert sum(a.checked_and_wrong for a in answers) == limits.PAIR_LIMIT
    assert all(a.refused for a in answers[limits.PAIR_LIMIT :])
    assert not any(a.signed_in for a in answers)

    # Many addresses guess a few times each, until the account-wide limit.
    for n in range(limits.ACCOUNT_LIMIT):
        attempt(base, "forkert-kodeord", f"192.0.2.{n + 1}")
    assert attempt(base, PASSWORD, "192.0.2.200").refused  # a new browser: held back
    # The owner's own browser, with the right password, gets in.
    assert attempt(base, PASSWORD, "198.51.100.20", device=device).signed_in

    served_by = {line.split()[0] for line in server.log.read_text().splitlines()}
    assert len(served_by) >= 2, "all requests went to one worker: the test proves nothing"


def test_gunicorns_own_request_lines_carry_no_token_number_or_address(server):
    token = "AbCdEf0123456789_-AbCdEf0123456789"
    paths = [
        f"/v/{token}/",
        f"/v/{token}",
        f"/accounts/password/reset/key/1-{token}/",
        "/accounts/login/?to=%2B4520123456&who=karen.jensen%40example.org",
        "/accounts/login/?phone=20123456",
    ]
    for path in paths:
        try:
            urllib.request.urlopen(server.base + path, timeout=10).close()  # noqa: S310
        except urllib.error.HTTPError as error:
            error.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # gunicorn writes its access log line after answering
        logged = server.log.read_text()
        if logged.count("GET ") >= len(paths):
            break
        time.sleep(0.1)
    assert logged.count("GET ") >= len(paths), logged
    for secret in (token, "4520123456", "20123456", "karen.jensen", "karen.jensen%40"):
        assert secret not in logged, (secret, logged)
    assert "/v/[redacted]" in logged
    assert "+45 •• •• •• 56" in logged and "k•••@example.org" in logged
