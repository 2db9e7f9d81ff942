"""Group messages: one text from the office to everyone holding (or invited to)
a chosen part of an election's seats (``staffing.group_messages``), queued by a
Celery job a chunk at a time (``staffing.services.group_messages``).

Imported by ``staffing.models`` (the app's models module), so that Django and
the migrations see these models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elections.models import Election
from notifications.models import Message
from staffing.models import Assignment
from volunteers.models import Volunteer


class GroupMessage(models.Model):
    """One message written once for a filtered set of people in an election.

    A draft can be changed and previewed; sending it (``send_group_message``)
    stores the counts the coordinator confirmed and queues the job, which sets
    ``queued`` as each chunk of messages is stored. What became of the messages
    (sent, failed) is read from the outbox through ``GroupRecipient.message``."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        QUEUED = "queued", _("Waiting to start")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped")

    election = models.ForeignKey(
        Election,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # groupmessage_election_idx starts with it
        verbose_name=_("election"),
    )
    # staffing.group_messages.Filters.as_json(): area, station, role, team, day, statuses.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    recipients = models.IntegerField(_("people"), default=0)
    sms = models.IntegerField(_("SMS"), default=0)
    email = models.IntegerField(_("emails"), default=0)
    no_address = models.IntegerField(_("no address"), default=0)
    queued = models.IntegerField(_("messages queued"), default=0)
    error = models.TextField(_("why it stopped"), blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("group message")
        verbose_name_plural = _("group messages")
        constraints = [
            models.CheckConstraint(
                condition=Q(recipients__gte=0)
                & Q(sms__gte=0)
                & Q(email__gte=0)
                & Q(no_address__gte=0)
                & Q(queued__gte=0),
                name="groupmessage_counts_not_negative",
                violation_error_message=_("A group message cannot count fewer than no people."),
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(sent_at__isnull=False),
                name="groupmessage_sent_has_time",
                violation_error_message=_(
                    "A group message that was sent needs the time it was sent."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(finished_at__isnull=False),
                name="groupmessage_done_has_time",
                violation_error_message=_("A finished group message needs the time it finished."),
            ),
        ]
        indexes = [
            # The election's group messages, newest first (the compose page's list).
            models.Index(fields=["election", "-created_at"], name="groupmessage_election_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.election_id} #{self.pk}: {self.subject} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def to_send(self) -> int:
        """Messages the job is to queue: one per person with an address."""
        return self.sms + self.email


class GroupRecipient(models.Model):
    """One person a group message was for: the seat it is about (their earliest
    in the filter), the channel, and the message queued (none: no address).

    Written by the job in the same transaction as the chunk's messages, so a job
    that stops goes on with the people not yet handled, and nobody gets the
    message twice (also held by the messages' idempotency keys)."""

    group = models.ForeignKey(
        GroupMessage,
        on_delete=models.CASCADE,
        related_name="rows",
        db_index=False,  # grouprecipient_one_per_person starts with it
        verbose_name=_("group message"),
    )
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.CASCADE, related_name="+", verbose_name=_("volunteer")
    )
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignment"),
    )
    channel = models.CharField(_("channel"), max_length=8, blank=True)
    # No database constraint: retention deletes old messages without asking staffing.
    message = models.ForeignKey(
        Message,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )

    class Meta:
        verbose_name = _("group message recipient")
        verbose_name_plural = _("group message recipients")
        constraints = [
            # Each person once per group message: a resumed job skips them.
            models.UniqueConstraint(
                fields=["group", "volunteer"],
                name="grouprecipient_one_per_person",
                violation_error_message=_("Each person gets a group message once."),
            ),
            models.CheckConstraint(
                condition=(Q(channel="") & Q(message__isnull=True)) | ~Q(channel=""),
                name="grouprecipient_no_channel_no_message",
                violation_error_message=_("A person with no address has no message."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.volunteer_id} {self.channel or '-'}"
