"""An office's own texts for the messages volunteers get (``staffing.message_texts``).

Imported by ``staffing.models`` (the app's models module), so that Django and
the migrations see the model."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elections.models import Election, Role
from notifications.models import Channel


class MessageText(models.Model):
    """The text one kind of message has in an election, on one channel, in one
    language, instead of the default in the files: for the whole election, or
    for the seats of one role (which wins over the election's).

    The text is plain text with ``{placeholder}``s (``notifications.templating``),
    checked against the kind's placeholders when it is saved
    (``staffing.services.message_texts``)."""

    election = models.ForeignKey(
        Election,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraints start with it
        verbose_name=_("election"),
    )
    role = models.ForeignKey(
        Role,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("role"),
        help_text=_("Empty: every role of the election."),
    )
    kind = models.CharField(_("kind of message"), max_length=40)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("message text")
        verbose_name_plural = _("message texts")
        constraints = [
            models.UniqueConstraint(
                fields=["election", "kind", "channel", "language"],
                condition=Q(role__isnull=True),
                name="messagetext_one_per_election",
                violation_error_message=_(
                    "This message already has its own text in this election, channel and language."
                ),
            ),
            models.UniqueConstraint(
                fields=["election", "role", "kind", "channel", "language"],
                condition=Q(role__isnull=False),
                name="messagetext_one_per_role",
                violation_error_message=_(
                    "This message already has its own text for this role, channel and language."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(body=""),
                name="messagetext_has_text",
                violation_error_message=_("A message text cannot be empty."),
            ),
            models.CheckConstraint(
                condition=Q(channel="email") | Q(subject=""),
                name="messagetext_sms_has_no_subject",
                violation_error_message=_("An SMS has no subject."),
            ),
        ]

    def __str__(self) -> str:
        scope = f"role {self.role_id}" if self.role_id else "all roles"
        return f"{self.election_id} {self.kind} {self.channel} {self.language} ({scope})"
