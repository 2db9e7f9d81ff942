"""Webhooks: URLs an admin registers to be told, in signed JSON, what happened.

Each event is a ``WebhookDelivery`` row per subscribed endpoint first, written in
the transaction of the change it reports (an outbox, as for messages), then
delivered by a task (``notifications.webhooks``)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    ASSIGNMENT_ANSWERED = "assignment.answered", _("Assignment answered")
    SEAT_FREED = "seat.freed", _("Seat freed")
    MESSAGE_FAILED = "message.failed", _("Message failed")
    ELECTION_STATUS_CHANGED = "election.status_changed", _("Election status changed")
    # Sent only by the "send test event" button, to one endpoint.
    PING = "ping", _("Test event")


# What an endpoint may subscribe to (the test event goes to whoever asks for it).
SUBSCRIBABLE = [choice for choice in WebhookEvent.choices if choice[0] != WebhookEvent.PING]


class WebhookEndpoint(models.Model):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The event types it receives (values of WebhookEvent), at least one.
    events = models.JSONField(_("events"), default=list)
    # The signing secret is derived from SECRET_KEY, the endpoint's id and this
    # random value (notifications.webhooks.secret_of): it can be shown again, a
    # copy of the database alone (a backup, a full data export) does not give it
    # away, and a new value rotates it.
    secret_salt = models.CharField(_("secret salt"), max_length=64)
    active = models.BooleanField(_("active"), default=True)
    # notifications sits below accounts: who made it, by id and address, no relation.
    created_by_id = models.PositiveBigIntegerField(_("created by (id)"), null=True, blank=True)
    created_by_label = models.CharField(_("created by"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["url", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="") & ~Q(secret_salt=""),
                name="webhookendpoint_complete",
                violation_error_message=_("A webhook needs a URL and a secret."),
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    # No constraint in the database: an event is queued from a cached list of
    # endpoints, in the transaction of the change it reports (an answer), and an
    # endpoint deleted meanwhile must not make that change fail at its commit.
    # Django still deletes an endpoint's deliveries with it; a delivery queued for
    # one deleted meanwhile is dropped when it is claimed (webhooks._claim).
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    # The event's id, the same for every endpoint and every attempt (receivers
    # use it to tell a redelivery from a new event).
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4)
    # The whole JSON document sent (id, type, occurred_at, data), fixed when the
    # event happened: every attempt sends the same bytes.
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Not to be sent before this time (a retry's backoff); NULL: at once.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # When a delivery task was handed to the broker; NULL when none is in flight.
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    # When a worker last took it for sending (a worker that died mid-send leaves
    # it in 'sending'; the sweep puts it back).
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"],
                name="webhookdelivery_unique_event_per_endpoint",
                violation_error_message=_("This event has been queued for this webhook already."),
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="webhookdelivery_delivered_has_time",
                violation_error_message=_("A delivered event needs the time it was delivered."),
            ),
        ]
        indexes = [
            # The sweep: queued deliveries that are due with no task in flight, and
            # deliveries left in 'sending' by a worker that died.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="webhookdelivery_sweep_idx",
                condition=Q(status__in=["queued", "sending"]),
            ),
            # An endpoint's delivery log, newest first (the admin's page).
            models.Index(fields=["endpoint", "-created_at"], name="webhookdelivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.get_status_display()})"
