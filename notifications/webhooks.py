"""Webhooks: signed JSON events POSTed to URLs an admin registered.

The domain reports what happened with ``emit(event_type, data)`` (or ``emit_many``)
inside the transaction of the change: one ``WebhookDelivery`` row per active
endpoint that subscribed to the event type, and a delivery task per row after
the commit. Nothing is sent for a change that rolls back (the outbox pattern,
as for messages); the sweep (``sweep``, run by ``tasks.sweep_outbox``) sends what
a lost task or a retry's backoff left.

Each attempt POSTs the same bytes with the headers ``Pollcrew-Event``,
``Pollcrew-Delivery`` (the event id), ``Pollcrew-Timestamp`` (Unix seconds) and
``Pollcrew-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`` keyed with
the endpoint's secret. A 2xx answer delivers it; anything else (another status,
a timeout, a refused connection) is retried after 1, 2, 4, 8… minutes (at most
an hour apart) until WEBHOOK_MAX_ATTEMPTS, then it has failed. Redirects are not
followed.

URLs must be https (http only where private addresses are allowed, for a
receiver on the same host or network), and must not point at a private,
loopback, link-local or otherwise non-public address unless
WEBHOOK_ALLOW_PRIVATE is on: the check is made when the URL is saved and again
before each attempt (the name may resolve elsewhere by then).

notifications knows no domain model: ``data`` is built by the caller
(``staffing.services.webhook_events``) from ids and statuses, never names,
phone numbers or email addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Message
from notifications.models_webhooks import (
    SUBSCRIBABLE,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from pollcrew.refusals import Refused

log = logging.getLogger(__name__)

Status = WebhookDelivery.Status
Event = WebhookEvent

RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
CONNECT_TIMEOUT = 3.0
# A delivery still in 'sending' this long after it was claimed was interrupted
# (the worker died): well past the task's hard time limit (tasks.WEBHOOK_TIME_LIMIT).
INTERRUPTED_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 500
DISPATCH_AT_ONCE = 200
EARLY_MARGIN = timedelta(seconds=2)
USER_AGENT = "Pollcrew-Webhooks/1"
SIGNATURE_VERSION = "v1"
_SUBSCRIBERS_KEY = "notifications:webhook-subscribers:v1"
_SUBSCRIBERS_TTL = 300


def max_attempts() -> int:
    return max(1, int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 8)))


def timeout() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))


def private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE", False))


# --- secrets and signatures ----------------------------------------------------


def new_salt() -> str:
    return secrets.token_hex(32)


def secret_of(endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret (256 bits, hex): derived from SECRET_KEY, its
    id and its salt, so it can be shown again but is not stored. Rotating
    SECRET_KEY changes every webhook's secret."""
    key = settings.SECRET_KEY.encode()
    message = f"pollcrew.webhook:{endpoint.pk}:{endpoint.secret_salt}".encode()
    return "whsec_" + hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """What a receiver does (docs/webhooks.md): the signature matches, and the
    timestamp is within ``tolerance`` seconds of now (an old request replayed is
    refused)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - sent) > tolerance:
        return False
    expected = sign(secret, sent, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in signature.split(","))


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


# --- where a webhook may point ---------------------------------------------------


# IPv6 prefixes whose last 32 bits are an IPv4 address that a translator or the
# host's own stack may reach: IPv4-compatible, IPv4-translated (SIIT) and NAT64.
_CARRY_IPV4 = [
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
    ipaddress.IPv6Network("64:ff9b::/96"),
]
# Local-use NAT64 (RFC 8215): the IPv4 address inside depends on the network.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def _address_allowed(address: str) -> bool:
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and any(ip in network for network in _CARRY_IPV4):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:  # the IPv4 address it reaches decides
            ip = inner
    return ip.is_global and not ip.is_multicast


def _addresses(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [host]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def check_url(url: str) -> str:
    """The URL, cleaned, if a webhook may point at it; Refused if not."""
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise Refused("bad_url", _("Enter a complete web address (https://…).")) from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise Refused("url_credentials", _("The address must not contain a user name or password."))
    if parts.scheme != "https" and not private_allowed():
        raise Refused("not_https", _("The address must start with https://."))
    host = parts.hostname or ""
    try:
        addresses = _addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        raise Refused("unknown_host", _("%(host)s could not be found.") % {"host": host}) from None
    if not private_allowed() and not all(_address_allowed(a) for a in addresses):
        raise Refused(
            "private_address",
            _(
                "%(host)s is a private, local or reserved address. Webhooks go only "
                "to public addresses on the internet."
            )
            % {"host": host},
        )
    return url


def _clean_events(events: Iterable[str]) -> list[str]:
    known = {value for value, _label in SUBSCRIBABLE}
    chosen = sorted(set(events) & known)
    if not chosen:
        raise Refused("no_events", _("Choose at least one event."))
    return chosen


# --- endpoints (the admin's services in administration.webhooks_services audit these) ---


def forget_subscribers() -> None:
    """The cached list of endpoints is stale (an endpoint changed): after the
    commit, the next event reads it again."""
    cache.delete(_SUBSCRIBERS_KEY)
    transaction.on_commit(lambda: cache.delete(_SUBSCRIBERS_KEY))


def create_endpoint(
    url: str,
    *,
    events: Iterable[str],
    description: str = "",
    active: bool = True,
    created_by_id: int | None = None,
    created_by_label: str = "",
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.create(
        url=check_url(url),
        description=description.strip()[:200],
        events=_clean_events(events),
        active=active,
        secret_salt=new_salt(),
        created_by_id=created_by_id,
        created_by_label=created_by_label[:254],
    )
    forget_subscribers()
    return endpoint


ENDPOINT_FIELDS = ("url", "description", "events", "active")


def update_endpoint(endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change url, description, events or active (locked; the caller's transaction)."""
    unknown = set(changes) - set(ENDPOINT_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    current = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if "url" in changes and changes["url"] != current.url:
        current.url = check_url(changes["url"])
    if "description" in changes:
        current.description = (changes["description"] or "").strip()[:200]
    if "events" in changes:
        current.events = _clean_events(changes["events"])
    if "active" in changes:
        current.active = bool(changes["active"])
    current.save()
    if not current.active:
        # Nothing more goes out to a deactivated endpoint.
        current.deliveries.filter(status=Status.QUEUED).update(status=Status.CANCELLED)
    forget_subscribers()
    return current


def rotate_secret(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        secret_salt=new_salt(), updated_at=timezone.now()
    )
    endpoint.refresh_from_db()
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """The endpoint and its delivery log go."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
    forget_subscribers()


# --- events (the outbox) ------------------------------------------------------------


def _subscribers() -> list[tuple[int, list[str]]]:
    """(id, events) of every active endpoint: cached, since every answer asks."""
    found = cache.get(_SUBSCRIBERS_KEY)
    if found is None:
        found = [
            (pk, list(events))
            for pk, events in WebhookEndpoint.objects.filter(active=True)
            .order_by("pk")
            .values_list("pk", "events")
        ]
        cache.set(_SUBSCRIBERS_KEY, found, _SUBSCRIBERS_TTL)
    return found


def envelope(event_type: str, data: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": str(event_type),
        "occurred_at": (at or timezone.now()).isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def emit(event_type: str, data: dict[str, Any]) -> list[int]:
    """Queue one event for every active endpoint that wants it (in the caller's
    transaction); delivered after the commit. The delivery ids."""
    return emit_many(event_type, [data])


def emit_many(event_type: str, items: Sequence[dict[str, Any]]) -> list[int]:
    """``emit`` for many events of one type (a sweep expiring a hundred seats)."""
    targets = [pk for pk, events in _subscribers() if event_type in events]
    if not targets or not items:
        return []
    now = timezone.now()
    return _queue(
        [
            (endpoint_id, event_type, body)
            for body in (envelope(event_type, data, now) for data in items)
            for endpoint_id in targets
        ],
        now,
    )


def _queue(rows: list[tuple[int, str, dict[str, Any]]], now: datetime) -> list[int]:
    """Store the deliveries; after the commit, publish a task for the first
    DISPATCH_AT_ONCE of them. The rest of a burst (an election closing withdraws
    thousands of invitations) is left to the sweep, SWEEP_BATCH at a time, which
    spares the broker and the receivers alike."""
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_type=event_type,
                event_id=uuid.UUID(body["id"]),
                payload=body,
                dispatched_at=now if position < DISPATCH_AT_ONCE else None,
            )
            for position, (endpoint_id, event_type, body) in enumerate(rows)
        ]
    )
    ids = [d.pk for d in deliveries]  # PostgreSQL and SQLite ≥ 3.35 return them
    dispatch_on_commit(ids[:DISPATCH_AT_ONCE])
    return ids


def send_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``ping`` event to this endpoint alone (active or not), delivered like the others."""
    body = envelope(Event.PING, {"endpoint_id": endpoint.pk, "message": "Test event"})
    [pk] = _queue([(endpoint.pk, Event.PING, body)], timezone.now())
    return WebhookDelivery.objects.get(pk=pk)


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a failed (or cancelled) delivery again: the same event id and body,
    attempts counted afresh. A delivery queued or delivered is left alone."""
    current = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if current.status not in (Status.FAILED, Status.CANCELLED):
        raise Refused("not_failed", _("Only a failed delivery can be sent again."))
    if not current.endpoint.active and current.event_type != Event.PING:
        raise Refused("inactive", _("The webhook is inactive: make it active first."))
    now = timezone.now()
    current.status = Status.QUEUED
    current.attempts = 0
    current.next_attempt_at = None
    current.dispatched_at = now
    current.save(update_fields=["status", "attempts", "next_attempt_at", "dispatched_at"])
    dispatch_on_commit([current.pk])
    return current


def dispatch_on_commit(ids: list[int]) -> None:
    if ids:
        transaction.on_commit(lambda: _dispatch(ids))


def _dispatch(ids: list[int]) -> None:
    """Publish a delivery task per id; if publishing fails (broker down), the sweep
    sends them. Runs after the commit: nothing may reach the caller."""
    from notifications.tasks import deliver_webhook

    for position, pk in enumerate(ids):
        try:
            deliver_webhook.delay(pk)
        except Exception:
            log.warning("webhook deliveries %s left for the sweep", ids[position:], exc_info=True)
            WebhookDelivery.objects.filter(pk__in=ids[position:], status=Status.QUEUED).update(
                dispatched_at=None
            )
            return


def message_failed(message: Message) -> list[int]:
    """``message.failed`` for an outbox message that failed for good (no address:
    its id, channel, kind and what it was about)."""
    return emit(
        Event.MESSAGE_FAILED,
        {
            "message_id": message.pk,
            "channel": message.channel,
            "kind": message.kind,
            "subject_type": message.subject_type,
            "subject_id": message.subject_id,
            "status": Message.Status.FAILED.value,
        },
    )


# --- delivery -------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes after the first, second… failed attempt; at most an hour."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Move a due, queued delivery to 'sending' under its row lock; None if it is
    not ours to send (delivered, failed, sending elsewhere, or not due)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            # Gone, or its endpoint was deleted as it was queued: the delivery
            # goes the way of the endpoint's log.
            WebhookDelivery.objects.filter(pk=delivery_id).delete()
            return None
        if delivery.status != Status.QUEUED:
            return None
        if not delivery.endpoint.active and delivery.event_type != Event.PING:
            # Turned off since it was queued (a retry, or an event queued from a
            # stale list of endpoints): nothing more goes out to it.
            delivery.status = Status.CANCELLED
            delivery.dispatched_at = None
            delivery.save(update_fields=["status", "dispatched_at"])
            return None
        now = timezone.now()
        if delivery.next_attempt_at and delivery.next_attempt_at > now + EARLY_MARGIN:
            # Not due: whoever dispatched it early, the sweep sends it when it is.
            delivery.dispatched_at = None
            delivery.save(update_fields=["dispatched_at"])
            return None
        delivery.status = Status.SENDING
        delivery.attempts += 1
        delivery.claimed_at = now
        delivery.save(update_fields=["status", "attempts", "claimed_at"])
        return delivery


def post(delivery: WebhookDelivery) -> Outcome:
    """One attempt: the signed POST. Never raises."""
    endpoint = delivery.endpoint
    try:
        check_url(endpoint.url)
    except Refused as refusal:
        return Outcome(False, None, refusal.message)
    body = body_of(delivery)
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Pollcrew-Event": delivery.event_type,
        "Pollcrew-Delivery": str(delivery.event_id),
        "Pollcrew-Timestamp": str(stamp),
        "Pollcrew-Signature": sign(secret_of(endpoint), stamp, body),
    }
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the address checked is the one used
    try:
        with session.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=(CONNECT_TIMEOUT, timeout()),
            allow_redirects=False,
            stream=True,  # the answer's body is not read: only its status counts
        ) as response:
            code = response.status_code
            reason = (response.reason or "")[:100]
    except requests.Timeout:
        return Outcome(False, None, "Timed out")
    except requests.RequestException as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        session.close()
    if 200 <= code < 300:
        return Outcome(True, code, "")
    return Outcome(False, code, f"HTTP {code} {reason}".strip())


def deliver(delivery_id: int) -> str:
    """Claim, POST and record one delivery: "delivered", "retry", "failed" or
    "skipped" (not ours: done already, not due, or being sent)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return "skipped"
    try:
        outcome = post(delivery)
    except Exception as exc:  # a bug: never leave it in 'sending'
        log.exception("webhook delivery %s: unexpected error", delivery_id)
        outcome = Outcome(False, None, type(exc).__name__)
    return record(delivery, outcome)


def record(delivery: WebhookDelivery, outcome: Outcome) -> str:
    now = timezone.now()
    sending = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING)
    if outcome.ok:
        sending.update(
            status=Status.DELIVERED,
            delivered_at=now,
            last_status_code=outcome.status_code,
            last_error="",
            next_attempt_at=None,
            dispatched_at=None,
        )
        return "delivered"
    fields = {"last_status_code": outcome.status_code, "last_error": outcome.error[:500]}
    if delivery.attempts >= max_attempts():
        sending.update(status=Status.FAILED, next_attempt_at=None, dispatched_at=None, **fields)
        log.warning("webhook delivery %s failed for good: %s", delivery.pk, outcome.error)
        return "failed"
    # The sweep sends it again when it is due (no task waits in the broker for it).
    sending.update(
        status=Status.QUEUED,
        next_attempt_at=now + backoff(delivery.attempts),
        dispatched_at=None,
        **fields,
    )
    return "retry"


def requeue_interrupted(now: datetime) -> int:
    """Deliveries left in 'sending' by a worker that died: back in the queue (or
    failed, with no attempts left). The receiver may have had it: it has the
    event id to see a redelivery."""
    stale = WebhookDelivery.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - INTERRUPTED_AFTER
    )
    note = "Interrupted while sending"
    failed = stale.filter(attempts__gte=max_attempts()).update(
        status=Status.FAILED, last_error=note, dispatched_at=None
    )
    requeued = stale.update(
        status=Status.QUEUED, last_error=note, dispatched_at=None, next_attempt_at=now
    )
    return failed + requeued


def due_ids(now: datetime) -> list[int]:
    """Queued deliveries that are due and have no task in flight: a retry whose
    backoff is over, or one whose task was lost (publishing failed, or it was
    published OUTBOX_REDISPATCH_AFTER ago and never ran)."""
    lost = now - settings.OUTBOX_REDISPATCH_AFTER
    queued = WebhookDelivery.objects.filter(status=Status.QUEUED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return list(
        queued.filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=lost))
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def sweep(now: datetime | None = None) -> int:
    """Put interrupted deliveries back and dispatch the due ones; how many."""
    now = now or timezone.now()
    requeue_interrupted(now)
    ids = due_ids(now)
    if not ids:
        return 0
    WebhookDelivery.objects.filter(pk__in=ids, status=Status.QUEUED).update(dispatched_at=now)
    _dispatch(ids)
    return len(ids)


def keep_days() -> int:
    return max(1, int(getattr(settings, "WEBHOOK_DELIVERIES_KEEP_DAYS", 30)))


def purge_deliveries(now: datetime | None = None) -> int:
    """Deliveries that are over (delivered, failed or cancelled) and older than
    WEBHOOK_DELIVERIES_KEEP_DAYS are deleted: the log keeps what an admin needs
    to follow up, not every event since the first election. Queued and sending
    ones are kept whatever their age. How many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days())
    finished = (Status.DELIVERED, Status.FAILED, Status.CANCELLED)
    deleted, _per_model = WebhookDelivery.objects.filter(
        status__in=finished, created_at__lt=cutoff
    ).delete()
    return deleted
