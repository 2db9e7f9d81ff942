"""What every export is made of: columns, a column picker, rows in chunks, and
the response (CSV streamed, XLSX from a temporary file), audited."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from accounts import audit
from pollcrew.spreadsheets import csv_lines, write_xlsx

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
# Rows are read this many at a time (one query, plus one per related list, each).
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy translation
    value: Callable[[Any], Any]
    default: bool = True  # picked unless the user chooses
    contact: bool = False  # phone, email, address: only with the contact capability


@dataclass
class Table:
    """One sheet: its title, the picked columns and the row objects."""

    title: str
    columns: list[Column]
    items: Iterable[Any]
    # How many rows there are (a list's length, or a COUNT), for the audit entry.
    size: Callable[[], int] | None = None

    def total(self) -> int:
        if self.size is not None:
            return self.size()
        return len(self.items)  # type: ignore[arg-type]

    def header(self) -> list[str]:
        return [str(c.label) for c in self.columns]

    def rows(self) -> Iterator[list[Any]]:
        for item in self.items:
            yield [c.value(item) for c in self.columns]


@dataclass
class Export:
    """What a view hands to ``respond``: the tables, the file's name and what the
    audit entry says."""

    kind: str
    name: str
    tables: list[Table]
    filters: dict[str, Any] = field(default_factory=dict)
    election_id: int | None = None
    obj: Any = None
    # A byte order mark first, so that Excel reads æ, ø and å right; machine
    # formats (the station staffing) go without.
    bom: bool = True


def available(columns: Sequence[Column], *, contact: bool) -> list[Column]:
    return [c for c in columns if contact or not c.contact]


def picked(columns: Sequence[Column], wanted: Sequence[str]) -> list[Column]:
    """The columns ``wanted`` (keys, in that order) among ``columns``; the default
    ones if none is wanted or none is known."""
    by_key = {c.key: c for c in columns}
    chosen = [by_key[k] for k in dict.fromkeys(wanted) if k in by_key]
    return chosen or [c for c in columns if c.default]


def chunked(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def local(value: datetime | None) -> str:
    """An instant as the pages show it (local time), for CSV cells."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def filename(export: Export, fmt: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{slugify(export.name) or export.kind}-{stamp}.{fmt}"


def _audit(request: HttpRequest, export: Export, fmt: str) -> None:
    audit.record_read(
        request,
        f"read.export.{export.kind}",
        export.obj,
        election_id=export.election_id,
        detail={
            "format": fmt,
            "columns": [c.key for t in export.tables for c in t.columns],
            # "name=value" (the audit log keeps flat values and lists).
            "filters": [f"{k}={audit.json_value(v)}" for k, v in sorted(export.filters.items())],
            "rows": sum(t.total() for t in export.tables),
        },
    )


def respond(request: HttpRequest, export: Export, fmt: str) -> HttpResponse:
    """The file, audited first (a download broken off is still recorded). CSV is
    streamed as it is read; XLSX is written to a temporary file first (a ZIP
    cannot be streamed before it is finished)."""
    name = filename(export, fmt)
    _audit(request, export, fmt)
    if fmt == XLSX:
        out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
        write_xlsx(out, [(t.title, t.header(), t.rows()) for t in export.tables])
        out.seek(0)
        return FileResponse(
            out,
            as_attachment=True,
            filename=name,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def lines() -> Iterator[str]:
        if export.bom:
            yield "\ufeff"
        for i, table in enumerate(export.tables):
            if i:
                yield "\r\n"
                yield from csv_lines([table.title], [])
            yield from csv_lines(table.header(), table.rows())

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
