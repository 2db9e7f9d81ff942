"""The outbox. Every outgoing message is a row first, then delivered by a task."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=254)
    # A lazy reference: notifications knows recipients, not the domain around them.
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("volunteer"),
    )
    kind = models.CharField(_("kind"), max_length=50)
    language = models.CharField(_("language"), max_length=5)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(_("provider ID"), max_length=100, blank=True)
    # Not to be sent before this time: a scheduled message, or a retry's backoff.
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    # When a delivery task was last handed to the broker; NULL when none is in
    # flight (publishing failed, or the message waits for its scheduled time).
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    # When a worker last claimed it for sending. A message left in 'sending' long
    # after this (the worker died mid-send) is put back in the queue by the sweeper.
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="message_unique_idempotency_key"
            ),
            models.CheckConstraint(condition=~Q(to=""), name="message_has_recipient"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="message_sent_has_time"
            ),
        ]
        indexes = [
            # The sweeper: queued messages with no delivery task in flight.
            models.Index(fields=["status", "dispatched_at"], name="message_sweep_idx"),
            # Provider status callbacks look messages up by the provider's ID.
            models.Index(
                fields=["provider_id"], name="message_provider_id_idx", condition=~Q(provider_id="")
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_channel_display()} → {self.to}: {self.kind} ({self.get_status_display()})"
        )
