"""The outbox. Every outgoing message is a row first, then delivered by a task."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class MessageQuerySet(models.QuerySet["Message"]):
    def about(self, obj: models.Model) -> MessageQuerySet:
        """Messages whose subject is ``obj`` (any model instance)."""
        label, pk = subject_of(obj)
        return self.filter(subject_type=label, subject_id=pk)


def subject_of(obj: models.Model | None) -> tuple[str, int | None]:
    """The generic reference to ``obj``: its model label and primary key."""
    if obj is None:
        return "", None
    return obj._meta.label_lower, obj.pk


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
    # What the message is about, as a generic reference ("staffing.assignment", 42):
    # notifications knows recipients and channels, not the domain around them.
    subject_type = models.CharField(_("about (type)"), max_length=100, blank=True)
    subject_id = models.PositiveBigIntegerField(_("about (id)"), null=True, blank=True)
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
    # When a chunk task (tasks.dispatch_chunk) took it up, while it waits in the
    # chunk for its turn; cleared when the chunk hands it on. Still queued long
    # after this, its chunk task died (the sweeper sends it again).
    picked_at = models.DateTimeField(_("picked up"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                name="message_unique_idempotency_key",
                violation_error_message=_("This message has been queued already."),
            ),
            models.CheckConstraint(
                condition=~Q(to=""),
                name="message_has_recipient",
                violation_error_message=_("A message needs a recipient."),
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="message_sent_has_time",
                violation_error_message=_("A sent message needs the time it was sent."),
            ),
        ]
        indexes = [
            # The sweeper: queued messages with no delivery task in flight.
            models.Index(fields=["status", "dispatched_at"], name="message_sweep_idx"),
            # Messages about an object: rate limits, cancelling, a volunteer's history.
            models.Index(fields=["subject_type", "subject_id"], name="message_subject_idx"),
            # Provider status callbacks look messages up by the provider's ID.
            models.Index(
                fields=["provider_id"], name="message_provider_id_idx", condition=~Q(provider_id="")
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_channel_display()} → {self.to}: {self.kind} ({self.get_status_display()})"
        )


class InboundMessage(models.Model):
    """An SMS a volunteer sent us, recorded once per provider ID: Twilio retries a
    webhook it got no answer to, and a retried "JA" must not be answered twice.

    Neither the number nor the text is kept: what the reply did is in the
    assignment's history (its answer and reason) and in the outbox (a reply).
    """

    class Outcome(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACCEPTED = "accepted", _("Accepted an invitation")
        DECLINED = "declined", _("Declined an invitation")
        REFUSED = "refused", _("Answer refused")
        HELP = "help", _("Sent help")
        UNKNOWN_SENDER = "unknown_sender", _("Unknown sender")
        IGNORED = "ignored", _("Ignored")

    provider_id = models.CharField(_("provider ID"), max_length=100)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.RECEIVED
    )
    # Whom it was from, when known ("volunteers.volunteer", 42), as for messages.
    subject_type = models.CharField(_("about (type)"), max_length=100, blank=True)
    subject_id = models.PositiveBigIntegerField(_("about (id)"), null=True, blank=True)

    class Meta:
        verbose_name = _("incoming SMS")
        verbose_name_plural = _("incoming SMS")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_id"],
                name="inboundmessage_unique_provider_id",
                violation_error_message=_("This incoming SMS has been recorded already."),
            ),
            models.CheckConstraint(
                condition=~Q(provider_id=""),
                name="inboundmessage_has_provider_id",
                violation_error_message=_("An incoming SMS needs the provider's ID."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.get_outcome_display()}"


class OneTimeCode(models.Model):
    """A short code sent to a phone number or an email address, to prove that
    whoever types it back receives messages there (``notifications.codes``).

    Only a keyed hash of the code is kept. A code is good for one use, for a few
    minutes and a few wrong guesses; a new code for the same address and purpose
    ends the one before."""

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=254)
    # What the code proves, for the caller ("verify_contact", "sign_up"…): a code
    # for one purpose is no good for another.
    purpose = models.CharField(_("purpose"), max_length=40)
    code_hash = models.CharField(_("code (hashed)"), max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    message = models.ForeignKey(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="onetimecode_expires_after_created",
                violation_error_message=_("A code must expire after it was made."),
            ),
            models.CheckConstraint(
                condition=~Q(code_hash="") & ~Q(to="") & ~Q(purpose=""),
                name="onetimecode_complete",
                violation_error_message=_("A code needs its hash, its address and its purpose."),
            ),
        ]
        indexes = [
            # The latest codes of an address: checking one, counting the last hour's.
            models.Index(fields=["to", "channel", "-created_at"], name="onetimecode_to_idx"),
            # The last hour's codes of a sign-up link (its budget).
            models.Index(fields=["created_at"], name="onetimecode_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.purpose} ({self.created_at:%Y-%m-%d %H:%M})"


from notifications.models_webhooks import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401
