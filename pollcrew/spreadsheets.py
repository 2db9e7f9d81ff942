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


# --- XLSX -------------------------------------------------------------------------------------
# openpyxl in write-only mode: rows go to a temporary file as they come (a national
# export never sits in memory whole), then into the workbook's ZIP. A text cell that
# starts like a formula is written as text (never as a formula, which openpyxl makes
# of any string starting with "=") with Excel's "quote prefix" flag: shown as typed
# ("+4520123456" stays a phone number), kept as text when someone edits the cell.
# Numbers, dates and times stay numbers, dates and times.

Sheet = tuple[str, Iterable[str], Iterable[Iterable[Any]]]  # title, header, rows


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    from datetime import date, datetime, time
    from decimal import Decimal

    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING

    if value is None:
        return None
    if isinstance(value, bool | int | float | Decimal | date | time):
        if isinstance(value, datetime) and value.tzinfo is not None:
            # Spreadsheets know no time zones: the local wall clock, as pages show it.
            from django.utils import timezone

            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    # Control characters (a name pasted from another system) cannot be stored in
    # a worksheet: openpyxl refuses the whole file. They are left out of the cell.
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if not text.startswith(_FORMULA_START):
        return text
    cell = WriteOnlyCell(sheet)
    cell.value = text
    cell.data_type = TYPE_STRING
    cell.quotePrefix = True
    return cell


def write_xlsx(out: Any, sheets: Iterable[Sheet]) -> None:
    """An XLSX workbook with one worksheet per (title, header, rows), into the
    binary file ``out``."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append([_xlsx_cell(sheet, h) for h in header])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, v) for v in row])
    book.save(out)
