"""Writing the audit log: one entry per write (in the service's transaction) and
per read of personal data (in the view that shows it).

Services call ``record`` (or ``record_many`` for bulk writes) with their ``by``:
a staff user, or None with the kind of actor the service knows it is (the
volunteer on their own link, or the system). Values are made JSON-safe here;
callers choose the fields, so secrets (token hashes) never reach an entry.
``record_many`` is the one bulk writer: one INSERT, or on PostgreSQL for many
entries one COPY; the same entries either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import connections, models, router
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import ActorKind, AuditEntry, User

Changes = dict[str, list[Any]]


def json_value(value: Any) -> Any:
    """A value as the audit log stores it: model instances by id, dates as ISO."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime) and timezone.is_aware(value):
        # One instant, one text: 07:00 UTC and 08:00 in Copenhagen are no change.
        return timezone.localtime(value).isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.QuerySet | list | tuple | set | frozenset):
        items = [json_value(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` (foreign keys as ids)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(getattr(obj, name).values_list("pk", flat=True))
        elif field.is_relation:
            values[name] = getattr(obj, field.attname)
        else:
            values[name] = json_value(getattr(obj, name))
    return values


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """{field: [old, new]} for every field whose value differs."""
    return {
        name: [json_value(before.get(name)), json_value(value)]
        for name, value in after.items()
        if json_value(before.get(name)) != json_value(value)
    }


def created(obj: models.Model, fields: Iterable[str]) -> Changes:
    """A new object's values as changes from nothing."""
    return {name: [None, value] for name, value in snapshot(obj, fields).items()}


def actor_of(by: User | None, kind: ActorKind | None = None) -> tuple[User | None, str, str]:
    """The entry's actor, actor kind and actor label for ``by`` (None: the system,
    or ``kind``)."""
    return _actor(by, kind)


def _actor(by: User | None, kind: ActorKind | None) -> tuple[User | None, str, str]:
    if by is not None:
        return by, ActorKind.STAFF, by.email
    kind = kind or ActorKind.SYSTEM
    return None, kind, ""


def entry(
    action: str,
    obj: models.Model | None = None,
    *,
    by: User | None,
    actor: ActorKind | None = None,
    election_id: int | None = None,
    changes: Changes | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    object_type: str = "",
    object_id: int | None = None,
    object_repr: str = "",
) -> AuditEntry:
    """An unsaved entry (for ``record_many``)."""
    user, kind, label = _actor(by, actor)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id is not None else obj.pk
        object_repr = object_repr or str(obj)
    return AuditEntry(
        actor=user,
        actor_kind=kind,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        election_id=election_id,
        changes={k: [json_value(v) for v in pair] for k, pair in (changes or {}).items()},
        detail={k: json_value(v) for k, v in (detail or {}).items()},
        ip=ip,
    )


def record(action: str, obj: models.Model | None = None, **kwargs: Any) -> AuditEntry:
    """Write one entry now (inside the caller's transaction)."""
    new = entry(action, obj, **kwargs)
    new.save(force_insert=True)
    return new


# An entry's columns, in the order of a plain row (``record_many(rows=…)``).
AUDIT_COLUMNS = (
    "at",
    "actor_id",
    "actor_kind",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "election_id",
    "changes",
    "detail",
    "ip",
)
AuditRow = tuple[Any, ...]
# Where the JSON columns are (next to each other): a COPY writes them as JSON text.
_CHANGES, _DETAIL = AUDIT_COLUMNS.index("changes"), AUDIT_COLUMNS.index("detail")
# From this many entries on, PostgreSQL gets a COPY; below it, one INSERT is as quick.
COPY_AT_LEAST = 200


def as_row(entry: AuditEntry) -> AuditRow:
    """An unsaved entry as a plain row (AUDIT_COLUMNS)."""
    return tuple(getattr(entry, column) for column in AUDIT_COLUMNS)


def record_many(entries: Iterable[AuditEntry] = (), *, rows: Iterable[AuditRow] = ()) -> int:
    """Write many entries at once (a bulk invitation, an expiry sweep, a national
    seat grid): unsaved ``entries`` (from ``entry``) and/or plain ``rows`` of values
    in AUDIT_COLUMNS order, for a writer that makes thousands of entries without
    a model instance each (their changes and detail already JSON-safe, as
    ``entry`` makes them). On PostgreSQL, from COPY_AT_LEAST entries, one COPY
    (Django's INSERT of 7,000 entries costs seconds in Python); otherwise one
    INSERT (in batches of 1,000). The same entries either way; how many."""
    entries, rows = list(entries), list(rows)
    total = len(entries) + len(rows)
    if not total:
        return 0
    connection = connections[router.db_for_write(AuditEntry)]
    if connection.vendor != "postgresql" or total < COPY_AT_LEAST:
        made = (AuditEntry(**dict(zip(AUDIT_COLUMNS, row, strict=True))) for row in rows)
        AuditEntry.objects.bulk_create([*entries, *made], batch_size=1000)
        return total
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in AUDIT_COLUMNS)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in (*map(as_row, entries), *rows):
            copy.write_row(
                (
                    *row[:_CHANGES],
                    json.dumps(row[_CHANGES]),
                    json.dumps(row[_DETAIL]),
                    *row[_DETAIL + 1 :],
                )
            )
    return total


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, as Django sees it (REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR") or None


def record_read(
    request: HttpRequest, action: str, obj: models.Model | None = None, **kwargs: Any
) -> AuditEntry:
    """A staff user looked at personal data (a page, a PDF, search results)."""
    user = request.user if request.user.is_authenticated else None
    return record(action, obj, by=user, ip=client_ip(request), **kwargs)
