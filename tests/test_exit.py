"""The full data export (exit): export_all → an empty installation → import_all
gives back every row of every table; import_all refuses a database that is not
empty or of another schema version; the admin's button streams the ZIP and the
run is audited."""

from __future__ import annotations

import io
import json
import re
import secrets
import zipfile
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from exchange import exit as data_exit
from notifications.models import Message
from staffing import services
from staffing.links import issue_link
from staffing.models import Assignment, ElectionTally, SeatFill, VolunteerSeats
from tests import factories as f
from volunteers.models import Skill

pytestmark = pytest.mark.django_db


def seed() -> None:
    """A small but complete world: every kind of row the exit must carry."""
    election = f.election(name="Kommunalvalg")
    copy = f.election(name="Kopi", copied_from=election)
    station = f.station(f.area("Øst"), name="Østskolen")
    team = f.team("Æblepartiet", short_name="Æ")
    skill = Skill.objects.create(name="Tegnsprog")
    shifts = [
        f.shift(election, station_=station, capacity=3),
        f.shift(election, station_=station, capacity=2, team=team, start=20, end=23),
        f.shift(copy, capacity=1),
    ]
    people = [f.volunteer(channel="sms", address="Ågade 1", diet="vegan") for _ in range(5)]
    people[0].teams.add(team)
    people[0].skills.add(skill)
    people[1].skills.add(skill)
    seats = services.invite(shifts[0], people[:4], by=None).invited
    services.accept(seats[0], by=None)
    services.accept(seats[1], by=None)
    services.decline(seats[2], reason="På ferie", by=None)
    services.invite(shifts[1], [people[0]], by=None)
    Assignment.objects.filter(pk=seats[1].pk).update(
        status=Assignment.Status.CHECKED_IN, checked_in_at=timezone.now()
    )
    issue_link(people[4], election)
    f.user("leder@kommune.dk", role="team_leader", teams=[team], elections=[election])
    f.user("valgstyrer@kommune.dk", role="station_manager", stations=[station])


def snapshot() -> dict[str, list[dict]]:
    """Every row of every exported table as dicts (computed columns included:
    they must come back the same)."""
    found = {}
    for model in data_exit.exported_models():
        names = [field.attname for field in model._meta.concrete_fields]
        rows = model._base_manager.order_by("pk").values(*names)
        if model is AuditEntry:
            rows = rows.exclude(action="exchange.import_all")
        found[model._meta.label_lower] = list(rows)
    # A message not sent yet keeps its text without the personal link in it.
    for row in found["notifications.message"]:
        row.update(
            body=data_exit.without_secrets(row["body"]),
            body_html=data_exit.without_secrets(row["body_html"]),
        )
    return found


def empty_everything() -> None:
    """What a fresh installation has: no rows in any of the project's tables (the
    trigger-kept counts may be written again by a delete: two rounds)."""
    tables = [m._meta.db_table for m in reversed(data_exit.exported_models())]
    with connection.cursor() as cursor:
        for _round in range(2):
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608
        # A fresh installation's id sequences start at 1.
        for statement in connection.ops.sequence_reset_sql(no_style(), data_exit.exported_models()):
            cursor.execute(statement)
    assert not data_exit._non_empty(data_exit.exported_models())


def next_ids_after_restore(before: dict[str, list[dict]]) -> dict[str, tuple[int, int]]:
    """Per table: the id the database gives the next row, and the highest
    restored id, where the first is not above the second (a collision)."""
    clashes = {}
    with connection.cursor() as cursor:
        for model in data_exit.exported_models():
            pk = model._meta.pk
            rows = before[model._meta.label_lower]
            if not isinstance(pk, models.AutoField) or not rows:
                continue
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s))",
                    [model._meta.db_table, pk.column],
                )
            else:
                cursor.execute(
                    "SELECT seq + 1 FROM sqlite_sequence WHERE name = %s", [model._meta.db_table]
                )
            found = cursor.fetchone()
            highest = max(row[pk.attname] for row in rows)
            if found is None or found[0] <= highest:
                clashes[model._meta.label_lower] = (found and found[0], highest)
    return clashes


def test_round_trip_gives_back_every_row_of_every_table():
    seed()
    admin = f.user("admin@kommune.dk", is_superuser=True)
    # Queued messages carry live personal links: never in the export.
    tokens = {
        token
        for body in Message.objects.filter(status="queued").values_list("body", flat=True)
        for token in re.findall(r"/v/([\w-]{20,})", body)
    }
    assert tokens
    out = io.BytesIO()
    manifest = data_exit.export_all(out, by=admin)
    before = snapshot()
    # The seed reaches every kind of row that matters here.
    for label in (
        "staffing.assignment", "staffing.personallink", "staffing.seatfill",
        "staffing.volunteerseats", "staffing.electiontally", "notifications.message",
        "accounts.auditentry", "accounts.grantscope", "volunteers.volunteer_teams",
        "volunteers.volunteer_skills", "elections.election_areas",
    ):  # fmt: skip
        assert before[label], label
    assert {a["status"] for a in before["staffing.assignment"]} >= {
        "invited", "accepted", "declined", "checked_in"
    }  # fmt: skip
    assert AuditEntry.objects.filter(action="exchange.export_all", actor=admin).exists()

    zf = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    names = set(zf.namelist())
    assert {"manifest.json", "README.md"} <= names
    for table in manifest["tables"]:
        assert set(table["files"]) <= names
    volunteers = [
        json.loads(line) for line in zf.read("data/volunteers.volunteer.jsonl").split(b"\n") if line
    ]
    assert "search_text" not in volunteers[0] and volunteers[0]["address"] == "Ågade 1"
    everything = b"".join(zf.read(name) for name in zf.namelist()).decode()
    assert not [token for token in tokens if token in everything]
    assert "[redacted]" in everything
    readme = zf.read("README.md").decode()
    assert "## staffing.assignment" in readme and "| `shift_id` |" in readme
    assert json.loads(zf.read("manifest.json"))["schema"]["staffing"]

    empty_everything()
    counts = data_exit.import_all(io.BytesIO(out.getvalue()))
    assert counts["staffing.assignment"] == len(before["staffing.assignment"])
    after = snapshot()
    for label, rows in before.items():
        assert after[label] == rows, label
    # The restored counts are what the rows say (a recount changes nothing).
    kept = (
        list(SeatFill.objects.order_by("pk").values()),
        list(
            VolunteerSeats.objects.values(
                "election_id", "volunteer_id", "invited", "accepted", "declined"
            )
        ),
    )
    from staffing import counters

    counters.recount(connection)
    assert kept[0] == list(SeatFill.objects.order_by("pk").values())
    assert sorted(map(str, kept[1])) == sorted(
        map(
            str,
            VolunteerSeats.objects.values(
                "election_id", "volunteer_id", "invited", "accepted", "declined"
            ),
        )
    )
    assert ElectionTally.objects.exists()
    # New rows after a restore get new ids (the sequences go on from the restored ones).
    assert next_ids_after_restore(before) == {}
    assert f.volunteer().pk > max(v["id"] for v in before["volunteers.volunteer"])


def test_no_token_of_any_link_is_in_the_export():
    volunteer = f.volunteer()
    tokens = [secrets.token_urlsafe(32) for _ in range(4)]
    addresses = [
        reverse("portal:home", args=[tokens[0]]),
        reverse("portal:offer", args=[tokens[1]]),
        reverse("portal:calendar_feed", args=[tokens[2]]),
        reverse("signup:home", args=[tokens[3]]),
    ]
    for i, status in enumerate(["queued", "sent"]):
        body = " ".join(f"http://testserver{a}" for a in addresses)
        Message.objects.create(
            channel="email", to=volunteer.email, kind="test", language="en", status=status,
            body=body, body_html=f'<a href="{body}">x</a>', idempotency_key=f"k{i}",
            sent_at=timezone.now() if status == "sent" else None,
        )  # fmt: skip
    out = io.BytesIO()
    data_exit.export_all(out, by=None)
    zf = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    everything = b"".join(zf.read(name) for name in zf.namelist()).decode()
    assert [t for t in tokens if t in everything] == []
    assert "/v/offer/" not in everything and "/v/[redacted]" in everything


def test_import_all_refuses_a_database_that_is_not_empty(tmp_path):
    seed()
    path = tmp_path / "exit.zip"
    call_command("export_all", "--out", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_all", str(path), stdout=io.StringIO())


def test_import_all_refuses_another_schema_version(tmp_path):
    out = io.BytesIO()
    data_exit.export_all(out, by=None)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    changed = io.BytesIO()
    with zipfile.ZipFile(changed, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "manifest.json":
                manifest = json.loads(data)
                manifest["schema"]["staffing"] = ["0001_initial"]
                data = json.dumps(manifest).encode()
            target.writestr(name, data)
    empty_everything()
    with pytest.raises(data_exit.ImportRefused, match="another schema version") as refused:
        data_exit.import_all(io.BytesIO(changed.getvalue()))
    assert refused.value.code == "schema_differs"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_the_admin_button_makes_the_zip_in_a_job_and_the_download_is_audited(client, media):
    seed()
    admin = f.user("admin@kommune.dk", is_superuser=True)
    client.force_login(admin)
    page = client.get(reverse("exchange:export_all"))
    assert b"staffing.assignment" in page.content
    # The POST queues a task (eager here) and shows the job's page, not the file.
    response = client.post(reverse("exchange:export_all"))
    assert response.status_code == 302
    job_url = response["Location"]
    token = job_url.rstrip("/").rsplit("/", 1)[-1]
    page = client.get(job_url)
    assert b"Ready" in page.content and b"hx-trigger" not in page.content
    download = reverse("exchange:export_all_download", args=[token])
    assert download.encode() in page.content
    assert not list((media / "exit").glob("*.part"))
    response = client.get(download)
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    zf = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert zf.testzip() is None
    assert "data/staffing.assignment.csv" in zf.namelist()
    entry = AuditEntry.objects.get(action="exchange.export_all")
    assert entry.actor == admin and entry.at > timezone.now() - timedelta(minutes=1)
    assert AuditEntry.objects.get(action="read.export_all").actor == admin
    # The admin page links the latest job.
    assert job_url.encode() in client.get(reverse("exchange:export_all")).content

    # Another admin (or anyone else) cannot follow or take it.
    client.force_login(f.user("admin2@kommune.dk", is_superuser=True))
    assert client.get(job_url).status_code == 404
    assert client.get(download).status_code == 404


def test_a_running_export_is_followed_not_started_twice(client, media, monkeypatch):
    from exchange import exit_jobs, exit_tasks

    queued: list[str] = []
    monkeypatch.setattr(exit_tasks.run_full_export, "delay", queued.append)
    admin = f.user("admin@kommune.dk", is_superuser=True)
    client.force_login(admin)
    first = client.post(reverse("exchange:export_all"))["Location"]
    page = client.get(first)
    assert b"Waiting to start" in page.content and b"hx-trigger" in page.content
    assert client.post(reverse("exchange:export_all"))["Location"] == first
    assert len(queued) == 1
    # The worker runs it (twice: a redelivered task does nothing more).
    exit_jobs.run(queued[0])
    exit_jobs.run(queued[0])
    assert AuditEntry.objects.filter(action="exchange.export_all").count() == 1
    assert b"Ready" in client.get(first).content


def test_a_failed_export_says_so_and_leaves_no_file(client, media, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(data_exit, "export_all", broken)
    client.force_login(f.user("admin@kommune.dk", is_superuser=True))
    page = client.get(client.post(reverse("exchange:export_all"))["Location"])
    assert b"could not be made" in page.content
    assert not list((media / "exit").iterdir())


def test_old_export_files_are_deleted_when_the_next_export_runs(client, media, settings):
    import os
    import time

    from exchange import exit_jobs

    settings.EXIT_FILES_KEEP_HOURS = 24
    admin = f.user("admin@kommune.dk", is_superuser=True)
    client.force_login(admin)
    old_url = client.post(reverse("exchange:export_all"))["Location"]
    old_token = old_url.rstrip("/").rsplit("/", 1)[-1]
    old_file = exit_jobs.file_path(old_token)
    day_ago = time.time() - 25 * 3600
    os.utime(old_file, (day_ago, day_ago))
    other = f.user("other@kommune.dk", is_superuser=True)
    new_token, _new = exit_jobs.request_export(by=other)
    assert not old_file.exists() and exit_jobs.file_path(new_token).exists()
    # The beat's purge takes the newer one when its time has come too.
    from exchange import exit_tasks

    assert exit_tasks.purge_full_exports.delay().get() == 0
    os.utime(exit_jobs.file_path(new_token), (day_ago, day_ago))
    assert exit_tasks.purge_full_exports.delay().get() == 1
    assert b"Expired" in client.get(old_url).content
    download = reverse("exchange:export_all_download", args=[old_token])
    assert client.get(download).status_code == 404
