"""Sending rates per channel, shared by every worker.

A provider account has a sending rate (Twilio: messages per second, "MPS") and
may have a daily budget. Every worker process asks here before it sends:
:func:`reserve` books the next free sending slot of the channel's account and
says how long to wait for it. It never refuses: a message over the rate waits
for its slot (the task is run again at that moment), and one over the daily cap
waits for the next day. Neither is a failure or an attempt.

The bookings live in Redis (``RATE_LIMIT_REDIS_URL``, else the cache's Redis,
else the broker's), so all workers on all hosts share one pace; the clock is
Redis's own, so hosts with different clocks agree. Without Redis (the demo,
tests on SQLite) each process paces itself with an in-process limiter.

The pace is a GCRA (generic cell rate algorithm): one slot every 1/rate seconds,
and no burst: a provider counting per second (or a sliding second) never sees more
than the rate, give or take a worker's jitter. A round is sent at the rate anyway;
a few messages at once wait at most a second.
Only real providers are paced (the Twilio backend, an SMTP server): the console
and in-memory backends of development and tests have no account to protect.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from notifications.models import Channel

log = logging.getLogger(__name__)

# Keys expire on their own: a booking is worth nothing once its slot has passed.
_SLOT_TTL_MS = 3_600_000
_DAY_TTL_S = 2 * 24 * 3600

# KEYS[1]: the account's next free slot (theoretical arrival time, seconds).
# ARGV[1]: the interval between slots; ARGV[2]: the burst tolerance (seconds).
# Returns {wait in microseconds, now in microseconds} by Redis's clock.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
redis.call('SET', KEYS[1], string.format('%.6f', tat + interval), 'PX', tonumber(ARGV[3]))
return {math.floor(wait * 1000000), math.floor(now * 1000000)}
"""

# KEYS[1]: today's count. ARGV[1]: the cap. Returns 1 if booked, 0 if over the cap.
_DAILY = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2])) end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
"""


@dataclass(frozen=True)
class Limits:
    per_second: float  # 0: no rate limit
    daily_cap: int  # 0: no cap


@dataclass(frozen=True)
class Booking:
    """What a sender must do: send now, wait ``wait`` seconds, or wait for ``not_before``
    (the next day, when the daily cap is used up)."""

    wait: float = 0.0
    not_before: datetime | None = None

    @property
    def now(self) -> bool:
        return self.not_before is None and self.wait <= 0


class Store(Protocol):
    def book(self, key: str, interval: float, tolerance: float) -> float: ...

    def count(self, key: str, cap: int) -> bool: ...


class LocalStore:
    """One process's limiter (no Redis): the same algorithm under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}
        self._counts: dict[str, int] = {}

    def book(self, key: str, interval: float, tolerance: float) -> float:
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat.get(key, 0.0), now)
            self._tat[key] = tat + interval
            return max(tat - tolerance - now, 0.0)

    def count(self, key: str, cap: int) -> bool:
        with self._lock:
            if self._counts.get(key, 0) >= cap:
                return False
            self._counts[key] = self._counts.get(key, 0) + 1
            return True

    def reset(self) -> None:
        with self._lock:
            self._tat.clear()
            self._counts.clear()


class RedisStore:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._gcra = self.client.register_script(_GCRA)
        self._daily = self.client.register_script(_DAILY)

    def book(self, key: str, interval: float, tolerance: float) -> float:
        wait_us, _now = self._gcra(keys=[key], args=[interval, tolerance, _SLOT_TTL_MS])
        return int(wait_us) / 1_000_000

    def count(self, key: str, cap: int) -> bool:
        return bool(self._daily(keys=[key], args=[cap, _DAY_TTL_S]))


local_store = LocalStore()


def redis_url() -> str:
    """Where the bookings are shared: RATE_LIMIT_REDIS_URL, else the cache's Redis,
    else the broker's Redis; empty when there is none (in-process limiter)."""
    if settings.RATE_LIMIT_REDIS_URL:
        return settings.RATE_LIMIT_REDIS_URL
    cache_conf = settings.CACHES.get("default", {})
    location = cache_conf.get("LOCATION", "")
    if "redis" in cache_conf.get("BACKEND", "").lower() and isinstance(location, str):
        return location
    broker = settings.CELERY_BROKER_URL or ""
    if broker.startswith(("redis://", "rediss://")):
        return broker
    return ""


@cache
def _redis_store(url: str) -> RedisStore:
    return RedisStore(url)


def store() -> Store:
    url = redis_url()
    return _redis_store(url) if url else local_store


def limits_for(channel: str) -> Limits:
    if channel == Channel.SMS:
        return Limits(settings.SMS_RATE_PER_SECOND, settings.SMS_DAILY_CAP)
    return Limits(settings.EMAIL_RATE_PER_SECOND, settings.EMAIL_DAILY_CAP)


def account(channel: str) -> str:
    """The provider account a channel sends through, or "" when it has no limits to
    respect (console and in-memory backends). Each account is paced on its own."""
    if channel == Channel.SMS:
        if not settings.SMS_BACKEND.endswith(".TwilioBackend"):
            return ""
        return settings.TWILIO_MESSAGING_SERVICE_SID or settings.TWILIO_ACCOUNT_SID or "twilio"
    if not settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        return ""
    return f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}:{settings.EMAIL_HOST_USER}"


def next_day_start(now: datetime) -> datetime:
    """Midnight after ``now`` in the configured time zone (the daily cap's day)."""
    local = timezone.localtime(now)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return timezone.make_aware(midnight.replace(tzinfo=None))


def reserve(channel: str, *, now: datetime | None = None) -> Booking:
    """Book one message's sending slot on ``channel``'s account. If the shared
    store cannot be reached, this process paces itself meanwhile (logged)."""
    try:
        return _reserve(channel, store(), now=now)
    except Exception as exc:  # redis.RedisError, OSError: not worth a lost message
        if store() is local_store:
            raise
        log.warning("rate limits: %s unreachable (%s); pacing in this process", redis_url(), exc)
        return _reserve(channel, local_store, now=now)


def _reserve(channel: str, backend: Store, *, now: datetime | None = None) -> Booking:
    name = account(channel)
    limits = limits_for(channel)
    if not name or (limits.per_second <= 0 and limits.daily_cap <= 0):
        return Booking()
    now = now or timezone.now()
    if limits.daily_cap > 0:
        day = timezone.localdate(now).isoformat()
        if not backend.count(f"pollcrew:rate:{channel}:{name}:day:{day}", limits.daily_cap):
            return Booking(not_before=next_day_start(now))
    if limits.per_second <= 0:
        return Booking()
    interval = 1.0 / limits.per_second
    wait = backend.book(f"pollcrew:rate:{channel}:{name}:slot", interval, 0.0)
    return Booking(wait=wait)
