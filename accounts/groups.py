"""Staff groups and what they may do. Until the roles issue brings scoped roles,
a coordinator may coordinate every election of the municipality."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

COORDINATORS = "Coordinators"

_COORDINATOR_PERMISSIONS = [
    ("elections", "coordinate_election"),
    ("elections", "view_election"),
    ("elections", "view_shift"),
    ("volunteers", "view_volunteer"),
    ("volunteers", "view_assignment"),
]


def ensure_staff_groups() -> None:
    group, _ = Group.objects.get_or_create(name=COORDINATORS)
    wanted = Permission.objects.none()
    for app_label, codename in _COORDINATOR_PERMISSIONS:
        wanted |= Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    group.permissions.add(*wanted)
