from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from accounts import audit, mfa
from accounts.admin_reads import AuditedReadsAdmin
from accounts.forms import StaffUserChangeForm, StaffUserCreationForm
from accounts.models import AuditEntry, RoleGrant, User
from notifications.admin import MessageAdmin
from notifications.models import Message
from pollcrew.service_admin import ReadOnlyAdmin
from pollcrew.text import strip_controls


class RoleGrantInline(admin.TabularInline):
    """Roles are granted on the staff page (and with manage.py grant_role), where
    their scopes are checked; here they are shown."""

    model = RoleGrant
    fk_name = "user"
    extra = 0
    fields = ["role", "granted_at", "granted_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "is_superuser",
        "is_active",
        "last_login",
    ]
    list_filter = ["is_superuser", "is_active", "grants__role"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [RoleGrantInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Permissions"), {"fields": ("is_active", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    # Admin is a role: granted and revoked with its checks (never the last admin).
    readonly_fields = ["is_superuser", "is_active", "last_login", "date_joined"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        fields = ["email", "first_name", "last_name"]
        obj.first_name = strip_controls(obj.first_name)
        obj.last_name = strip_controls(obj.last_name)
        if change:
            before = audit.snapshot(type(obj).objects.get(pk=obj.pk), fields)
            super().save_model(request, obj, form, change)
            diff = audit.changes_between(before, audit.snapshot(obj, fields))
            if diff:
                audit.record("accounts.update_user", obj, by=request.user, changes=diff)
        else:
            super().save_model(request, obj, form, change)
            audit.record(
                "accounts.create_user", obj, by=request.user, changes=audit.created(obj, fields)
            )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Staff users with history are deactivated (staff page), never deleted.
        return False

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            audit.record("accounts.set_password", user, by=request.user)
        return response


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: entries are never changed or deleted (retention does that)."""

    list_display = ["at", "actor_kind", "actor_label", "action", "object_type", "object_repr"]
    # Millions of rows: fixed-choice filters only, no full count, no date
    # drill-down (each would scan the table). The audit page filters properly.
    list_filter = ["actor_kind"]
    search_fields = ["actor_label", "object_repr", "action"]
    show_full_result_count = False
    list_select_related = ["actor"]


class AuditedMessageAdmin(AuditedReadsAdmin, MessageAdmin):
    """The outbox shows recipients (phone numbers, email addresses): looking is audited."""

    read_action = "read.message"


admin.site.unregister(Message)
admin.site.register(Message, AuditedMessageAdmin)

# Roles are grants with scopes (the staff page), not Django groups; and allauth's
# email addresses are not used (staff sign in with their account's email).
admin.site.unregister(Group)
admin.site.unregister(EmailAddress)


def _admins_only(request) -> bool:
    """The Django admin is for admins (superusers): a staff flag alone opens nothing."""
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _admins_only


# The Django admin signs in through allauth (password, then the second factor),
# never with a password alone; authenticators are shown without their secrets,
# with an audited reset for a lost phone.
admin.site.login = mfa.admin_login
admin.site.unregister(Authenticator)
admin.site.register(Authenticator, mfa.AuthenticatorAdmin)
