from django.contrib import admin

from notifications.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
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
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
