"""Build a database as the foundation release (before the staffing app) left it,
then check what the current migrations made of it.

Run as ``python -m tests.legacy_migrations.scenario build|check`` with
DATABASE_URL pointing at an empty database; used by
tests/test_migrate_from_foundation.py in subprocesses (a clean Django each time).

``build`` migrates with the foundation's own migration files (kept in this
folder, as they were at that release) and writes rows through the historical
models, the way that release stored them: assignments and personal links in the
volunteers app, messages with a foreign key to the volunteer, coordinators in a
"Coordinators" group. It prints what it made as JSON. ``check`` prints what the
migrated database holds, for the test to compare.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import date, datetime, time, timedelta, timezone

LEGACY_APPS = ("accounts", "polling_stations", "elections", "volunteers", "notifications")
LAST = {
    "accounts": "0001_initial",
    "polling_stations": "0001_initial",
    "elections": "0002_shift_team_and_constraints",
    "volunteers": "0001_initial",
    "notifications": "0002_message_claimed_at",
}
TOKEN = "foundation-era-token-that-was-mailed-out-before-the-upgrade"


def _setup(legacy: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollcrew.settings")
    import django

    django.setup()
    if legacy:
        from django.conf import settings

        settings.MIGRATION_MODULES = {
            **{app: f"tests.legacy_migrations.{app}" for app in LEGACY_APPS},
            # Apps that did not exist yet (or had no models).
            "staffing": None,
            "documents": None,
            "api": None,
            "exchange": None,
            "autoassign": None,
        }


def build() -> dict:
    _setup(legacy=True)
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    for app in ("contenttypes", "auth", "sessions"):
        call_command("migrate", app, verbosity=0)
    for app, name in LAST.items():
        call_command("migrate", app, name, verbosity=0)
    call_command("migrate", "admin", verbosity=0)
    # Django made content types for today's apps too; the foundation had none of those.
    model_of = MigrationExecutor(connection).loader.project_state().apps.get_model
    model_of("contenttypes", "ContentType").objects.filter(app_label="staffing").delete()
    apps = MigrationExecutor(connection).loader.project_state().apps
    model = apps.get_model
    tz = timezone(timedelta(hours=1))
    day = date.today() + timedelta(days=60)

    User = model("accounts", "User")
    user = User.objects.create(email="koordinator@kommune.dk", password="!", is_active=True)
    # Coordinating was a permission: the demo's "Coordinators" group held it, and a
    # municipality may have given it through a group of its own, or directly.
    permission = model("auth", "Permission").objects.get(codename="coordinate_election")
    group = model("auth", "Group").objects.create(name="Coordinators")
    group.permissions.add(permission)
    user.groups.add(group)
    handmade = model("auth", "Group").objects.create(name="Koordinatorer")
    handmade.permissions.add(permission)
    by_group = User.objects.create(email="via-gruppe@kommune.dk", password="!")
    by_group.groups.add(handmade)
    direct = User.objects.create(email="direkte@kommune.dk", password="!", is_staff=True)
    direct.user_permissions.add(permission)
    User.objects.create(email="admin@kommune.dk", password="!", is_staff=True, is_superuser=True)
    area = model("polling_stations", "Area").objects.create(name="Nord")
    station = model("polling_stations", "PollingStation").objects.create(
        area=area, name="Nordskolen", address="Skolevej 1", postal_code="8000", city="Aarhus"
    )
    election = model("elections", "Election").objects.create(
        name="Folketingsvalg 2027", kind="parliamentary", election_date=day, status="active"
    )
    role = model("elections", "Role").objects.create(
        name="Tilforordnet", short_name="TF", default_start=time(8), default_end=time(20)
    )
    team = model("volunteers", "Team").objects.create(name="Venstre", kind="party")
    shift = model("elections", "Shift").objects.create(
        election=election,
        station=station,
        role=role,
        team=team,
        starts_at=datetime.combine(day, time(8), tzinfo=tz),
        ends_at=datetime.combine(day, time(20), tzinfo=tz),
        capacity=3,
    )
    Volunteer = model("volunteers", "Volunteer")
    people = [
        Volunteer.objects.create(
            first_name=first,
            last_name="Østergaard",
            birth_date=date(1980, 5, 17),
            phone=f"+452012345{i}",
            preferred_channel="sms",
        )
        for i, first in enumerate(["Åse", "Bent", "Carl"])
    ]
    for person in people:
        person.teams.add(team)
    # The foundation stored numbers as typed, spaces and all.
    spaced = [
        Volunteer.objects.create(
            first_name="Dorthe",
            last_name="Mellemrum",
            birth_date=date(1975, 1, 1),
            phone=phone,
            preferred_channel="sms",
        )
        for phone in ("+45 20 12 34 56", "+45 12 34 56 78")
    ]
    Assignment = model("volunteers", "Assignment")
    now = datetime.now(tz)
    assignments = [
        Assignment.objects.create(
            shift=shift, volunteer=people[0], status="accepted", responded_at=now, invited_by=user
        ),
        Assignment.objects.create(shift=shift, volunteer=people[1], status="invited"),
        Assignment.objects.create(
            shift=shift, volunteer=people[2], status="declined", responded_at=now, reason="Syg"
        ),
    ]
    link = model("volunteers", "PersonalLink").objects.create(
        volunteer=people[1],
        election=election,
        token_hash=hashlib.sha256(TOKEN.encode()).hexdigest(),
        expires_at=now + timedelta(days=365),
    )
    Message = model("notifications", "Message")
    messages = [
        Message.objects.create(
            channel="sms",
            to=a.volunteer.phone,
            volunteer=a.volunteer,
            kind="invitation",
            language="da",
            body="Invitation",
            idempotency_key=f"assignment:{a.pk}:invitation",
            status="sent",
            sent_at=now,
        )
        for a in assignments
    ]
    account_mail = Message.objects.create(
        channel="email",
        to="koordinator@kommune.dk",
        kind="account_password_reset_key",
        language="da",
        body="Reset",
        idempotency_key="account_password_reset_key:abc",
    )
    return {
        "user": user.pk,
        "coordinators": sorted([user.pk, by_group.pk, direct.pk]),
        "direct": direct.pk,
        "election": election.pk,
        "shift": shift.pk,
        "volunteers": [p.pk for p in people],
        "spaced_phones": {str(v.pk): v.phone for v in spaced},
        "assignments": {str(a.pk): [a.status, a.volunteer_id, a.reason] for a in assignments},
        "link": link.pk,
        "messages": {str(m.pk): m.idempotency_key for m in [*messages, account_mail]},
    }


def schema_names(connection) -> dict[str, list]:
    """What the staffing tables' constraints and indexes are called and hold."""
    result = {}
    with connection.cursor() as cursor:
        for table in ("staffing_assignment", "staffing_personallink"):
            found = connection.introspection.get_constraints(cursor, table)
            result[table] = sorted(
                [name, sorted(info["columns"]), bool(info["unique"]), bool(info["primary_key"])]
                for name, info in found.items()
            )
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                result[table].append(["sequence", cursor.fetchone()[0]])
    return result


def check() -> dict:
    _setup(legacy=False)
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from accounts.models import AuditEntry, RoleGrant, User
    from notifications.models import Message
    from staffing import services
    from staffing.links import resolve_link
    from staffing.models import Assignment, PersonalLink
    from volunteers.models import Volunteer

    link = resolve_link(TOKEN)
    invited = Assignment.objects.get(status="invited")
    # The adopted tables take new rows: the id sequence carries on.
    newcomer = Volunteer.objects.create(
        first_name="Dorte",
        last_name="Ny",
        birth_date=date(1990, 1, 1),
        phone="+4520999999",
        preferred_channel="sms",
    )
    newcomer.teams.add(invited.shift.team)
    result = services.invite(invited.shift, [newcomer], by=None)
    services.accept(invited)
    tables = set(connection.introspection.table_names())
    return {
        "assignments": {
            str(a.pk): [a.status, a.volunteer_id, a.reason]
            for a in Assignment.objects.exclude(volunteer=newcomer)
        },
        "links": list(PersonalLink.objects.values_list("pk", flat=True)),
        "link_resolves_to": link.volunteer_id if link else None,
        "phones": {str(v.pk): v.phone for v in Volunteer.objects.all()},
        "phones_audited": AuditEntry.objects.filter(action="volunteers.normalise_phone").count(),
        "message_subjects": {
            str(m.pk): [m.subject_type, m.subject_id] for m in Message.objects.order_by("pk")
        },
        "grants": sorted(RoleGrant.objects.values_list("user_id", "role")),
        "grant_audited": AuditEntry.objects.filter(action="accounts.grant_role").count(),
        "group_left": Group.objects.filter(name="Coordinators").exists(),
        "staff_flags": sorted(User.objects.filter(is_staff=True).values_list("email", flat=True)),
        "staff_flag_audited": AuditEntry.objects.filter(
            action="accounts.update_user", changes__is_staff=[True, False]
        ).count(),
        "new_invitation_ids": [a.pk for a in result.invited],
        "accepted_after_upgrade": Assignment.objects.get(pk=invited.pk).status,
        "legacy_tables": sorted(t for t in tables if t.startswith("volunteers_a")),
        "legacy_link_table": "volunteers_personallink" in tables,
        "message_volunteer_column": "volunteer_id"
        in [c.name for c in connection.introspection.get_table_description(
            connection.cursor(), "notifications_message"
        )],
        "schema": schema_names(connection),
        "content_types": sorted(
            ContentType.objects.filter(model__in=["assignment", "personallink"]).values_list(
                "app_label", "model"
            )
        ),
    }


if __name__ == "__main__":
    step = sys.argv[1]
    print(json.dumps(build() if step == "build" else check()))
