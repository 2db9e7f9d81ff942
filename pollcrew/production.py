"""What ``DJANGO_ENV=production`` refuses to start with.

A production site with a development configuration leaks: console email puts
whole messages with live links in the worker log, an in-memory broker loses
every message, a development SECRET_KEY lets anyone forge sessions, DEBUG shows
settings and personal data in error pages, ``ALLOWED_HOSTS=*`` allows host-header
poisoning, and a SITE_URL on localhost sends volunteers links that go nowhere.

Each problem is one line that says what to set. ``POLLCREW_ALLOW_UNSAFE_PRODUCTION=true``
turns the refusal into a warning, for deliberate production-like runs on a
developer's machine (gunicorn on 127.0.0.1 in the rate-limit test); never set it
on a real server.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import environ

REQUIRED = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "SITE_URL",
    "EMAIL_URL",
    "CELERY_BROKER_URL",
)
DEVELOPMENT_EMAIL = ("consolemail", "filemail", "memorymail", "dummymail")
DEVELOPMENT_SMS = ("notifications.sms.ConsoleBackend", "notifications.sms.LocmemBackend")
IN_PROCESS_BROKERS = ("memory", "cache+memory", "filesystem")
LOCAL_HOSTS = ("localhost", "localhost.localdomain")


def _weak_secret(key: str) -> bool:
    """Django's own test (check W009): long, varied, not a generated development key."""
    return key.startswith("django-insecure") or len(key) < 50 or len(set(key)) < 5


def _public_https(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or host in LOCAL_HOSTS or host.endswith(".local"):
        return False
    if parts.username or parts.password or parts.path.strip("/") or parts.query:
        return False  # "https://valg.kommune.dk@evil.example", or a path: not an address
    if host.endswith((".internal", ".lan", ".localdomain", ".home", ".corp")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host  # a name with a domain, not a bare machine name
    return address.is_global


def problems(env: environ.Env, debug: bool) -> list[str]:
    """Everything wrong with this environment for production, one line each."""
    found = [
        f"{name} is not set: set it in the environment."
        for name in REQUIRED
        if not env.str(name, default="")
    ]
    key = env.str("SECRET_KEY", default="")
    if key and _weak_secret(key):
        found.append(
            "SECRET_KEY is a development or short key: set a random one of 50+ characters "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
    if debug:
        found.append("DEBUG is on: set DEBUG=false (error pages would show personal data).")
    hosts = env.list("ALLOWED_HOSTS", default=[])
    if "*" in hosts or any(h.strip() in ("", ".") for h in hosts):
        found.append("ALLOWED_HOSTS allows any host: list the site's own host names.")
    elif any(h.strip().startswith(".") for h in hosts):
        found.append(
            "ALLOWED_HOSTS allows every subdomain (a leading dot): list the site's own "
            "host names (account emails must never be addressed to another host)."
        )
    email = env.str("EMAIL_URL", default="")
    if _scheme(email) in DEVELOPMENT_EMAIL:
        found.append(
            "EMAIL_URL is a development backend (console, file, memory): set an SMTP URL, "
            "e.g. smtp+tls://user:password@smtp.kommune.dk:587."
        )
    broker = env.str("CELERY_BROKER_URL", default="")
    if _scheme(broker) in IN_PROCESS_BROKERS:
        found.append(
            "CELERY_BROKER_URL is in-process (messages would be lost): set a Redis URL, "
            "e.g. redis://redis:6379/0."
        )
    sms = env.str("SMS_BACKEND", default="")
    twilio = all(
        env.str(name, default="") for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
    ) and (
        env.str("TWILIO_FROM", default="") or env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
    )
    if sms == "notifications.sms.TwilioBackend" and not twilio:
        found.append(
            "SMS_BACKEND is Twilio but Twilio is not configured: set TWILIO_ACCOUNT_SID, "
            "TWILIO_AUTH_TOKEN and TWILIO_FROM (or TWILIO_MESSAGING_SERVICE_SID)."
        )
    elif sms in DEVELOPMENT_SMS:
        found.append(
            f"SMS_BACKEND is {sms.rsplit('.', 1)[-1]}, for development: configure Twilio "
            "(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM) or a real SMS backend."
        )
    elif not sms and not twilio:
        found.append(
            "No SMS provider: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM "
            "(or TWILIO_MESSAGING_SERVICE_SID), or SMS_BACKEND."
        )
    cache = env.str("CACHE_URL", default="")
    if _scheme(cache) not in ("redis", "rediss"):
        found.append(
            "CACHE_URL is not a shared Redis cache (sign-in rate limits would be per "
            "process): set e.g. CACHE_URL=redis://redis:6379/1."
        )
    site = env.str("SITE_URL", default="")
    if site and not _public_https(site):
        found.append(
            "SITE_URL is not https on a public host name: set the address volunteers' "
            "links use, e.g. https://valg.kommune.dk."
        )
    elif site and (urlsplit(site).hostname or "") not in [h.strip().lower() for h in hosts]:
        found.append("SITE_URL's host is not in ALLOWED_HOSTS: add it there.")
    if not env.list("TRUSTED_PROXIES", default=[]):
        found.append(
            "TRUSTED_PROXIES is not set: list your reverse proxy's addresses (or 'none' "
            "if clients connect directly); otherwise every user shares the proxy's "
            "address and one attacker's failed sign-ins hold everyone back."
        )
    return found


def _scheme(url: str) -> str:
    return url.split(":", 1)[0].strip().lower()
