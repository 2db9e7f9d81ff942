"""Sign-in limits that hold across every process and cannot lock an owner out.

Failed sign-ins are counted in the shared cache (Redis in production), in three
windows, and checked before the password is:

- **per address** (``IP_LIMIT`` failures per ``IP_WINDOW``, any account): one
  address guessing many accounts is stopped;
- **per address and account** (``PAIR_LIMIT`` per ``PAIR_WINDOW``): one address
  guessing one account is stopped, and nobody else is affected;
- **per account** (``ACCOUNT_LIMIT`` per ``ACCOUNT_WINDOW``, from anywhere): a
  distributed guess at one account is slowed to a crawl, **except for browsers
  the owner has signed in from before** (``accounts.devices``), which this limit
  does not apply to.

So an attacker can block their own addresses and unknown browsers, but not the
owner's usual browser: the correct password (and second factor) from there
still gets in. A refused attempt is refused before the password is checked, so
the limit is no oracle; a success clears only its address-and-account counter
(clearing the account-wide one would let an attacker who knows one password
interleave successes to reset it).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

IP_LIMIT, IP_WINDOW = 30, 15 * 60
PAIR_LIMIT, PAIR_WINDOW = 5, 15 * 60
ACCOUNT_LIMIT, ACCOUNT_WINDOW = 20, 60 * 60


@dataclass(frozen=True)
class Counter:
    name: str
    limit: int
    window: int
    subject: str

    @property
    def key(self) -> str:
        digest = hashlib.sha256(self.subject.encode()).hexdigest()[:32]
        bucket = int(time.time() // self.window)
        return f"pollcrew:signin:{self.name}:{digest}:{bucket}"

    def count(self) -> int:
        return int(cache.get(self.key, 0))

    def add(self) -> None:
        key = self.key
        cache.add(key, 0, timeout=self.window + 60)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=self.window + 60)

    def clear(self) -> None:
        cache.delete(self.key)


def _counters(ip: str, login: str, known_device: bool) -> list[Counter]:
    account = login.strip().lower()
    counters = [
        Counter("ip", IP_LIMIT, IP_WINDOW, ip),
        Counter("pair", PAIR_LIMIT, PAIR_WINDOW, f"{ip}|{account}"),
    ]
    if not known_device:
        counters.append(Counter("account", ACCOUNT_LIMIT, ACCOUNT_WINDOW, account))
    return counters


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def blocked(request: HttpRequest, login: str, *, known_device: bool) -> bool:
    return any(c.count() >= c.limit for c in _counters(client_ip(request), login, known_device))


def record_failure(request: HttpRequest, login: str) -> None:
    # Every window counts the failure, the account-wide one too (a known browser
    # is exempt from its check, not from adding to it).
    for counter in _counters(client_ip(request), login, known_device=False):
        counter.add()


def record_success(request: HttpRequest, login: str) -> None:
    pair = f"{client_ip(request)}|{login.strip().lower()}"
    Counter("pair", PAIR_LIMIT, PAIR_WINDOW, pair).clear()
