"""Role-by-URL table of the webhook pages (administration:webhook*).

Webhooks send the office's events to other systems: the admin's alone. Everyone
else gets the uniform 404, on GET and on POST (nothing written). The endpoint the
URLs name is made on first use; it points at a closed loopback port, which the
delivery refuses before connecting (private addresses are not allowed here), so
no test event leaves the machine. The URL posted is a public address written as
an IP (no name to look up)."""

from __future__ import annotations

from notifications import webhooks
from notifications.models import WebhookDelivery, WebhookEndpoint
from tests.fakes.net import closed_port
from tests.permission_cases import ADMIN_ONLY, ADMIN_POST, POST_ONLY, Case, World, url


def _endpoint(w: World) -> WebhookEndpoint:
    found = WebhookEndpoint.objects.order_by("pk").first()
    if found is None:
        found = WebhookEndpoint.objects.create(
            url=f"http://127.0.0.1:{closed_port()}/hook",
            events=[webhooks.Event.SEAT_FREED],
            secret_salt=webhooks.new_salt(),
        )
    return found


def _failed(w: World) -> WebhookDelivery:
    endpoint = _endpoint(w)
    found = endpoint.deliveries.order_by("pk").first()
    if found is None:
        body = webhooks.envelope(webhooks.Event.PING, {})
        found = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type=webhooks.Event.PING,
            event_id=body["id"],
            payload=body,
            status=WebhookDelivery.Status.FAILED,
            attempts=8,
        )
    return found


EP = lambda w: _endpoint(w).pk  # noqa: E731


def _form(w: World) -> dict:
    return {
        "url": "https://93.184.215.14/hooks",
        "description": "Lønsystemet",
        "events": ["assignment.answered", "seat.freed"],
        "active": "on",
    }


def _nothing(w: World) -> dict:
    return {}


TABLE: dict[str, list[Case]] = {
    "administration:webhooks": [Case(url("administration:webhooks"), ADMIN_ONLY)],
    "administration:webhook_create": [
        Case(url("administration:webhook_create"), POST_ONLY),
        Case(url("administration:webhook_create"), ADMIN_POST, "added", post=_form),
    ],
    "administration:webhook": [
        Case(url("administration:webhook", EP), ADMIN_ONLY, "settings and the log"),
        Case(url("administration:webhook", EP), ADMIN_POST, "saved", post=_form),
    ],
    "administration:webhook_secret": [
        Case(url("administration:webhook_secret", EP), ADMIN_ONLY, "the secret, audited"),
        Case(url("administration:webhook_secret", EP), ADMIN_POST, "a new secret", post=_nothing),
    ],
    "administration:webhook_test": [
        Case(url("administration:webhook_test", EP), POST_ONLY),
        Case(url("administration:webhook_test", EP), ADMIN_POST, "a test event", post=_nothing),
    ],
    "administration:webhook_redeliver": [
        Case(
            url("administration:webhook_redeliver", EP, lambda w: _failed(w).pk),
            POST_ONLY,
        ),
        Case(
            url("administration:webhook_redeliver", EP, lambda w: _failed(w).pk),
            ADMIN_POST,
            "sent again",
            post=_nothing,
        ),
    ],
    "administration:webhook_delete": [
        Case(url("administration:webhook_delete", EP), POST_ONLY),
        Case(url("administration:webhook_delete", EP), ADMIN_POST, "deleted", post=_nothing),
    ],
}
