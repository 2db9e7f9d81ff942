"""Cells for CSV (and later XLSX) exports that a spreadsheet cannot run.

A cell starting with = + - @, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets ("=HYPERLINK(…)" in a volunteer's name).
Such cells get a leading apostrophe, which spreadsheets show as text; OWASP's
advice for CSV injection.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(out: TextIO, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])


class _Echo:
    """A file-like object whose write() returns the line (for streaming)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV, line by line, for a StreamingHttpResponse: a large export never
    sits in memory whole."""
    writer = csv.writer(_Echo())
    yield writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])
