"""`migrate` on a database made by the foundation release keeps every row.

Assignments and personal links moved from the volunteers app to staffing, the
outbox lost its foreign key to volunteers, and coordinators became a scoped
role. A database is built with the foundation's own migration files and rows
written the way that release wrote them (tests/legacy_migrations/scenario.py),
then migrated with today's migrations, on the same engine the suite runs on
(SQLite, or PostgreSQL in CI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def empty_database(tmp_path) -> Iterator[str]:
    """The URL of an empty database of the suite's engine, dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'foundation.sqlite3'}"
        return
    import psycopg

    params = settings.DATABASES["default"]
    name = f"pollcrew_foundation_{uuid.uuid4().hex[:8]}"
    admin = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "password": params["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    yield f"postgres://{params['USER']}{password}@{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(database_url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "pollcrew.settings",
        "SMS_BACKEND": "notifications.sms.LocmemBackend",
        "EMAIL_URL": "memorymail://",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CELERY_BROKER_URL", None)  # deliver eagerly, in memory
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


@pytest.mark.django_db
def test_migrating_a_foundation_database_keeps_every_row(empty_database):
    before = json.loads(run(empty_database, "-m", "tests.legacy_migrations.scenario", "build"))
    run(empty_database, "manage.py", "migrate", "--noinput", "-v0")
    after = json.loads(run(empty_database, "-m", "tests.legacy_migrations.scenario", "check"))

    # Every assignment, with its id, person, answer and reason (the invited one
    # was accepted after the upgrade, through today's services).
    expected = dict(before["assignments"])
    invited = next(pk for pk, (status, *_rest) in expected.items() if status == "invited")
    expected[invited] = ["accepted", *expected[invited][1:]]
    assert after["assignments"] == expected
    assert after["accepted_after_upgrade"] == "accepted"
    # New rows carry on from the old ids.
    assert after["new_invitation_ids"] and after["new_invitation_ids"][0] > max(
        map(int, before["assignments"])
    )
    # The link mailed before the upgrade still opens the volunteer's page.
    assert before["link"] in after["links"]
    assert after["link_resolves_to"] == before["volunteers"][1]
    # Numbers stored with spaces are E.164 now (or at least without the spaces,
    # where phonenumbers cannot make sense of them), and that is in the audit log.
    spaced = before["spaced_phones"]
    assert [after["phones"][pk] for pk in spaced] == ["+4520123456", "+4512345678"]
    assert after["phones_audited"] == 2
    # Messages now point at the assignment they were about; the account email at nothing.
    for pk, key in before["messages"].items():
        if key.startswith("assignment:"):
            assert after["message_subjects"][pk] == ["staffing.assignment", int(key.split(":")[1])]
        else:
            assert after["message_subjects"][pk] == ["", None]
    assert after["message_volunteer_column"] is False
    # Whoever held the coordinate permission (the Coordinators group, a group made
    # by hand, or directly) became a coordinator for every election, audited; the
    # Django admin is for admins only.
    assert after["grants"] == [[pk, "coordinator"] for pk in before["coordinators"]]
    assert after["grant_audited"] == 3
    assert after["group_left"] is False
    assert after["staff_flags"] == ["admin@kommune.dk"]
    assert after["staff_flag_audited"] == 1
    # The old tables are gone (adopted), and so are their content types' old labels.
    assert after["legacy_tables"] == []
    assert after["legacy_link_table"] is False
    assert after["content_types"] == [["staffing", "assignment"], ["staffing", "personallink"]]
    # The same schema as a new install (the test database): every index,
    # constraint and sequence by the same name.
    from tests.legacy_migrations.scenario import schema_names

    fresh = json.loads(json.dumps(schema_names(connection)))
    assert after["schema"] == fresh
