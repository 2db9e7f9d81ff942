"""Before roles and scopes, coordinators were members of a "Coordinators" group
(made by the demo seed or by hand). Each member becomes a coordinator for every
election, recorded in the audit log, and the group goes."""

from django.db import migrations
from django.utils import timezone


def coordinators_to_grants(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("accounts", "User")
    RoleGrant = apps.get_model("accounts", "RoleGrant")
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    group = Group.objects.filter(name="Coordinators").first()
    if group is None:
        return
    now = timezone.now()
    for user in User.objects.filter(groups=group):
        _grant, created = RoleGrant.objects.get_or_create(
            user=user, role="coordinator", defaults={"granted_at": now}
        )
        if created:
            AuditEntry.objects.create(
                at=now,
                actor_kind="system",
                action="accounts.grant_role",
                object_type="accounts.user",
                object_id=user.pk,
                object_repr=user.email,
                detail={"role": "coordinator", "from": "Coordinators group"},
            )
    group.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles_scopes_audit_log"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(coordinators_to_grants, migrations.RunPython.noop)]
