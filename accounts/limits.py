"""Sign-in limits that hold across every process and cannot lock an owner out.

Failed sign-ins are counted in the shared cache (Redis in production). An
attempt reserves its place in every window first (an atomic increment), and is
refused, unchecked, if any window is over its limit; a correct password gives
its reservation back. So N workers answering at once cannot let N times the
limit through, and the limit is no oracle for the password.

- **From a browser the owner has signed in from before** (``accounts.devices``):
  one window, that browser and account (``DEVICE_LIMIT`` per ``DEVICE_WINDOW``).
  Nothing anyone else does from anywhere else counts against it: no address
  limit (a shared proxy or NAT address cannot be used to lock the owner out) and
  no account-wide limit. Only someone holding the owner's signed device cookie
  could use it, and then they meet its own limit.
- **From any other browser**, three windows:
  per address (``IP_LIMIT`` per ``IP_WINDOW``, any account: one address guessing
  many accounts), per address and account (``PAIR_LIMIT`` per ``PAIR_WINDOW``:
  one address guessing one account), and per account (``ACCOUNT_LIMIT`` per
  ``ACCOUNT_WINDOW`` from anywhere: a distributed guess, slowed to a crawl).

Accounts are counted by user id when they exist (so an address written with a
long s, which PostgreSQL matches to the plain one, is the same account), by the
folded address otherwise. IPv6 addresses are counted per /64 (one customer's
allocation), IPv4-mapped ones as IPv4. A password reset through the emailed
link clears the account's window: the owner has proved they hold the mailbox.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import time
import unicodedata
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

DEVICE_LIMIT, DEVICE_WINDOW = 10, 15 * 60
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
        return f"signin:{self.name}:{digest}:{bucket}"

    def reserve(self) -> int:
        """Count one more attempt; the new count (atomic on Redis). One round trip
        once the window's key exists (every volunteer page counts here)."""
        key = self.key
        try:
            return int(cache.incr(key))
        except ValueError:  # the window's first attempt (or its key just expired)
            if cache.add(key, 1, timeout=self.window + 60):
                return 1
            try:
                return int(cache.incr(key))  # added by another process meanwhile
            except ValueError:  # expired in between: count from one
                cache.set(key, 1, timeout=self.window + 60)
                return 1

    def give_back(self) -> None:
        with contextlib.suppress(ValueError):  # the window ended meanwhile
            cache.decr(self.key)

    def clear(self) -> None:
        cache.delete(self.key)


def network_of(address: str) -> str:
    """What one sender is counted as: an IPv4 address, or an IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def account_key(login: str, user_id: int | None) -> str:
    if user_id is not None:
        return f"user:{user_id}"
    return "login:" + unicodedata.normalize("NFKC", login.strip()).casefold()


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt's windows, reserved before the password is checked."""

    counters: tuple[Counter, ...]

    @classmethod
    def of(
        cls, request: HttpRequest, login: str, *, user_id: int | None, device: str | None
    ) -> Attempt:
        account = account_key(login, user_id)
        if device is not None:
            return cls((Counter("device", DEVICE_LIMIT, DEVICE_WINDOW, f"{device}|{account}"),))
        sender = network_of(request.META.get("REMOTE_ADDR", ""))
        return cls(
            (
                Counter("ip", IP_LIMIT, IP_WINDOW, sender),
                Counter("pair", PAIR_LIMIT, PAIR_WINDOW, f"{sender}|{account}"),
                Counter("account", ACCOUNT_LIMIT, ACCOUNT_WINDOW, account),
            )
        )

    def reserve(self) -> list[tuple[Counter, int]]:
        """Reserve a place in every window; the windows now over their limit,
        with their counts (the attempt is then refused, and its places are not
        given back: hammering a closed door keeps it closed)."""
        counts = [(c, c.reserve()) for c in self.counters]
        return [(c, n) for c, n in counts if n > c.limit]

    def succeeded(self) -> None:
        """A correct password: its places are given back, and the owner's own
        typos from this address or browser are forgotten."""
        for counter in self.counters:
            if counter.name in ("pair", "device"):
                counter.clear()
            else:
                counter.give_back()


def clear_account(login: str, user_id: int | None) -> None:
    """The owner proved they hold the mailbox (a password reset): their account's
    window starts again."""
    Counter("account", ACCOUNT_LIMIT, ACCOUNT_WINDOW, account_key(login, user_id)).clear()
