"""The admin's writes to webhooks: each calls the primitive in
``notifications.webhooks`` (which sits below accounts and cannot audit) and
writes the audit entry, in one transaction. The secret never reaches an entry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accounts import audit
from accounts.models import User
from notifications import webhooks
from notifications.models import WebhookDelivery, WebhookEndpoint

FIELDS = webhooks.ENDPOINT_FIELDS


def create_endpoint(
    url: str,
    *,
    events: Iterable[str],
    description: str = "",
    active: bool = True,
    by: User | None,
) -> WebhookEndpoint:
    with transaction.atomic():
        endpoint = webhooks.create_endpoint(
            url,
            events=events,
            description=description,
            active=active,
            created_by_id=by.pk if by else None,
            created_by_label=by.email if by else "",
        )
        audit.record("webhooks.create", endpoint, by=by, changes=audit.created(endpoint, FIELDS))
    return endpoint


def update_endpoint(
    endpoint: WebhookEndpoint, *, by: User | None, **changes: Any
) -> WebhookEndpoint:
    with transaction.atomic():
        before = audit.snapshot(
            WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk), FIELDS
        )
        updated = webhooks.update_endpoint(endpoint, **changes)
        diff = audit.changes_between(before, audit.snapshot(updated, FIELDS))
        if diff:
            audit.record("webhooks.update", updated, by=by, changes=diff)
    return updated


def rotate_secret(endpoint: WebhookEndpoint, *, by: User | None) -> WebhookEndpoint:
    with transaction.atomic():
        rotated = webhooks.rotate_secret(endpoint)
        audit.record("webhooks.rotate_secret", rotated, by=by)
    return rotated


def delete_endpoint(endpoint: WebhookEndpoint, *, by: User | None) -> None:
    with transaction.atomic():
        audit.record(
            "webhooks.delete",
            endpoint,
            by=by,
            changes={
                name: [value, None] for name, value in audit.snapshot(endpoint, FIELDS).items()
            },
        )
        webhooks.delete_endpoint(endpoint)


def send_test(endpoint: WebhookEndpoint, *, by: User | None) -> WebhookDelivery:
    with transaction.atomic():
        delivery = webhooks.send_test(endpoint)
        audit.record(
            "webhooks.send_test", endpoint, by=by, detail={"event_id": str(delivery.event_id)}
        )
    return delivery


def redeliver(delivery: WebhookDelivery, *, by: User | None) -> WebhookDelivery:
    with transaction.atomic():
        again = webhooks.redeliver(delivery)
        audit.record(
            "webhooks.redeliver",
            again.endpoint,
            by=by,
            detail={"delivery_id": again.pk, "event_id": str(again.event_id)},
        )
    return again


def record_secret_shown(endpoint: WebhookEndpoint, *, by: User | None) -> None:
    """The secret was shown (a read, audited like a read of personal data)."""
    audit.record("webhooks.show_secret", endpoint, by=by)
