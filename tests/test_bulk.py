"""pollcrew.bulk.bulk_insert: the same rows as bulk_create, with their ids, by
INSERT (SQLite, small batches) or by one COPY (PostgreSQL, from COPY_AT_LEAST
rows; here from 1, to take that path with a few rows)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from notifications.models import Message
from pollcrew import bulk
from staffing.models import Assignment, GroupMessage
from tests import factories as f
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db
AT = datetime(2027, 3, 16, 7, 30, 15, 123000, tzinfo=UTC)
PATHS = {"insert": 10**9, "copy": 1} if connection.vendor == "postgresql" else {"insert": 10**9}


def messages(tag: str) -> list[Message]:
    return [
        Message(
            channel="sms" if i % 2 else "email",
            to=f"+45201000{i:02d}",
            kind="invitation",
            language="da",
            subject=f"Emne {i} ' \" \\ \t tab",
            body=f"Hej Ø{i}\nlinje to\\N;",
            body_html="<p>æ</p>" if i % 2 else "",
            idempotency_key=f"{tag}:{i}",
            subject_type="staffing.assignment" if i % 3 else "",
            subject_id=i if i % 3 else None,
            dispatched_at=AT if i % 2 else None,
        )
        for i in range(5)
    ]


def stored(objs: list[Message]) -> list[dict]:
    rows = Message.objects.filter(pk__in=[m.pk for m in objs]).order_by("pk").values()
    assert all(row["created_at"] for row in rows)  # its default, made for each row
    skip = ("id", "idempotency_key", "created_at")
    return [{k: v for k, v in row.items() if k not in skip} for row in rows]


@pytest.mark.parametrize("path", sorted(PATHS))
def test_the_same_rows_and_ids_as_bulk_create(monkeypatch, path):
    reference = Message.objects.bulk_create(messages("reference"))
    monkeypatch.setattr(bulk, "COPY_AT_LEAST", PATHS[path])
    made = bulk.bulk_insert(messages(path))

    assert all(m.pk and not m._state.adding for m in made)
    assert sorted(
        Message.objects.filter(idempotency_key__startswith=path).values_list("pk", flat=True)
    ) == [m.pk for m in made]
    assert stored(made) == stored(reference)
    bulk.bulk_insert(messages(f"{path}-no-ids"), ids=False)
    no_ids = Message.objects.filter(idempotency_key__startswith=f"{path}-no-ids").order_by("pk")
    assert stored(list(no_ids)) == stored(reference)
    later = Message.objects.create(
        channel="sms", to="+4520000000", kind="x", language="da", idempotency_key="later"
    )
    assert later.pk > max(m.pk for m in made)  # the sequence moved on


@pytest.mark.parametrize("path", sorted(PATHS))
def test_json_defaults_and_foreign_keys(monkeypatch, path):
    monkeypatch.setattr(bulk, "COPY_AT_LEAST", PATHS[path])
    election = f.election()
    [group] = bulk.bulk_insert(
        [
            GroupMessage(
                election=election, subject="Møde", body="Hej", filters={"area": 3, "day": None}
            )
        ]
    )
    group.refresh_from_db()
    assert group.filters == {"area": 3, "day": None}
    assert group.status == GroupMessage.Status.DRAFT and group.created_at and group.updated_at


@pytest.mark.parametrize("path", sorted(PATHS))
def test_the_database_still_holds_its_constraints(monkeypatch, path):
    monkeypatch.setattr(bulk, "COPY_AT_LEAST", PATHS[path])
    shift = f.shift()
    volunteer = f.volunteer()
    twice = [
        Assignment(shift=shift, volunteer=volunteer, status="invited", invited_at=AT)
        for _n in range(2)
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.bulk_insert(twice)
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("ids", [[], [1], "many"])
def test_any_of_finds_what_in_finds(ids):
    """pollcrew.db's ``any_of`` lookup: one array on PostgreSQL, IN elsewhere."""
    people = [f.volunteer() for _n in range(5)]
    wanted = [p.pk for p in people[1:4]] + [10**9] if ids == "many" else ids
    expected = set(Volunteer.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    found = set(Volunteer.objects.filter(pk__any_of=wanted).values_list("pk", flat=True))
    assert found == expected
    assert set(Assignment.objects.filter(volunteer_id__any_of=wanted)) == set()
