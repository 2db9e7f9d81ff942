"""The audit log as CSV: the admin page's export and ``manage.py export_audit``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import AuditEntry
from pollcrew.spreadsheets import csv_lines, write_csv

HEADER = (
    "time",
    "actor_kind",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "election_id",
    "changes",
    "detail",
    "ip",
)


def _rows(entries: QuerySet[AuditEntry]) -> Iterator[list[object]]:
    for e in entries.order_by("at", "pk").iterator(chunk_size=2000):
        yield [
            timezone.localtime(e.at).isoformat(),
            e.actor_kind,
            e.actor_label,
            e.action,
            e.object_type,
            e.object_id,
            e.object_repr,
            e.election_id,
            json.dumps(e.changes, ensure_ascii=False, sort_keys=True) if e.changes else "",
            json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else "",
            e.ip or "",
        ]


def write_audit_csv(out: TextIO, entries: QuerySet[AuditEntry]) -> None:
    write_csv(out, HEADER, _rows(entries))


def audit_csv_lines(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    return csv_lines(HEADER, _rows(entries))
