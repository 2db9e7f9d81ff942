"""Before roles and scopes, a coordinator was anyone holding the permission
"elections.coordinate_election" (through the demo's "Coordinators" group, a group
made by hand, or given directly). Each of them becomes a coordinator for every
election, recorded in the audit log, and the "Coordinators" group goes.

The Django admin is for admins (superusers) only now: the staff flag of anyone
else is cleared, and recorded too."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def _entry(AuditEntry, user, now, action, **fields):
    AuditEntry.objects.create(
        at=now,
        actor_kind="system",
        action=action,
        object_type="accounts.user",
        object_id=user.pk,
        object_repr=user.email,
        **fields,
    )


def coordinators_to_grants(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("accounts", "User")
    RoleGrant = apps.get_model("accounts", "RoleGrant")
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    now = timezone.now()
    permission = Permission.objects.filter(
        content_type__app_label="elections", codename="coordinate_election"
    ).first()
    holding = Q(groups__name="Coordinators")
    if permission is not None:
        holding |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    for user in User.objects.filter(holding, is_superuser=False).distinct():
        _grant, created = RoleGrant.objects.get_or_create(
            user=user, role="coordinator", defaults={"granted_at": now}
        )
        if created:
            _entry(
                AuditEntry,
                user,
                now,
                "accounts.grant_role",
                changes={"role": [None, "coordinator"]},
                detail={"role": "coordinator", "from": "permission coordinate_election"},
            )
    Group.objects.filter(name="Coordinators").delete()
    for user in User.objects.filter(is_staff=True, is_superuser=False):
        user.is_staff = False
        user.save(update_fields=["is_staff"])
        _entry(
            AuditEntry,
            user,
            now,
            "accounts.update_user",
            changes={"is_staff": [True, False]},
            detail={"reason": "the Django admin is for admins only"},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles_scopes_audit_log"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(coordinators_to_grants, migrations.RunPython.noop)]
