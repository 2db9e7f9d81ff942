from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from notifications.models import InboundMessage, Message
from pollcrew.redaction import redact
from pollcrew.service_admin import ReadOnlyAdmin


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """The record of what was sent: a queued message is cancelled by the services
    that queued it, never deleted here."""

    list_display = [
        "created_at",
        "channel",
        "to",
        "kind",
        "language",
        "status",
        "attempts",
        "sent_at",
        "delivered_at",
    ]
    list_filter = ["status", "channel", "kind", "language"]
    search_fields = ["to", "subject", "provider_id", "idempotency_key"]
    date_hierarchy = "created_at"
    # Bodies are shown through redact(): a queued message still holds a live link,
    # and staff must not be able to answer as the volunteer.
    exclude = ["body", "body_html"]
    readonly_fields = [
        f.name for f in Message._meta.fields if f.name not in ("body", "body_html")
    ] + ["body_redacted", "body_html_redacted"]

    @admin.display(description=_("body"))
    def body_redacted(self, obj: Message) -> str:
        return redact(obj.body)

    @admin.display(description=_("HTML body"))
    def body_html_redacted(self, obj: Message) -> str:
        return redact(obj.body_html)


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    """SMS volunteers sent us: when, and what answering them did (no number or text
    is kept)."""

    list_display = ["received_at", "outcome", "subject_type", "subject_id", "provider_id"]
    list_filter = ["outcome"]
    search_fields = ["provider_id"]
    date_hierarchy = "received_at"
