"""Reading an uploaded spreadsheet into a header and rows of cells, whatever the
office's export looked like.

CSV: UTF-8 (with or without a byte-order mark), else Windows-1252 (what Excel
saves on a Danish Windows); the separator is ``;``, ``,`` or a tab, whichever
splits the first lines most evenly. XLSX: the first sheet, read with openpyxl in
read-only mode (rows stream; a 100,000-row sheet is never held as cells), with
merged header cells filled from their merge.

Bounded whatever the file claims: at most ``IMPORT_MAX_ROWS`` filled rows and
EMPTY_ROWS_MAX empty ones, MAX_COLUMNS columns, and an XLSX unpacking to at most
``IMPORT_MAX_UNPACKED_BYTES`` (a zip bomb is refused before openpyxl opens it).

Wherever the header is — under a title, a date and an empty line — the row that
names most of the kind's known columns is taken as the header
(``find_header``). Empty trailing rows and columns are dropped; every row has as
many cells as the header.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _

from pollcrew.refusals import Refused

Cell = Any  # str, or from XLSX also int, float, datetime, date, time, bool (never None)
HEADER_SEARCH_ROWS = 20  # a header further down than this is not looked for
SEPARATORS = (";", ",", "\t")
MAX_COLUMNS = 200  # columns further right are not read
# Empty rows a file may have besides its filled ones: a sheet that declares a cell
# on row 999,999,999 is refused, not padded with a billion empty rows.
EMPTY_ROWS_MAX = 100_000
_EMPTY: tuple = ()  # every empty row under the header search, shared


def max_rows() -> int:
    """Rows with something in them a file may have (IMPORT_MAX_ROWS)."""
    return getattr(settings, "IMPORT_MAX_ROWS", 200_000)


def max_unpacked_bytes() -> int:
    """What an XLSX may unpack to (IMPORT_MAX_UNPACKED_BYTES): a zip bomb is refused
    before openpyxl reads a byte of it."""
    return getattr(settings, "IMPORT_MAX_UNPACKED_BYTES", 200 * 1024 * 1024)


def _too_many_rows() -> Refused:
    return Refused(
        "too_many_rows",
        _("The file has more than %(max)d rows: split it into smaller files.")
        % {"max": max_rows()},
    )


def _bounded(rows: Iterable[Any]) -> list[list[Cell]]:
    """The rows as lists (cells "" when empty, at most MAX_COLUMNS), refused past
    ``max_rows()`` filled rows or EMPTY_ROWS_MAX empty ones; empty rows under the header
    search are one shared empty tuple (a sheet of a million empty rows stays small)."""
    found: list[Any] = []
    limit = max_rows() + HEADER_SEARCH_ROWS
    filled = empty = 0
    for row in rows:
        if row.count(None) + row.count("") == len(row):  # quick, for the many empty ones
            empty += 1
            if empty > EMPTY_ROWS_MAX:
                raise _too_many_rows()
            found.append([] if len(found) < HEADER_SEARCH_ROWS else _EMPTY)
            continue
        cells = [
            ("" if value is None else value.strip() if isinstance(value, str) else value)
            for _i, value in zip(range(MAX_COLUMNS), row, strict=False)
        ]
        if _is_empty(cells):  # spaces only
            found.append(cells if len(found) < HEADER_SEARCH_ROWS else _EMPTY)
            continue
        filled += 1
        if filled > limit:
            raise _too_many_rows()
        found.append(cells)
    return found


@dataclass
class Table:
    """A sheet as read: the header's cells, the rows under it (each as long as the
    header; cells are "" when empty) and each row's line number in the file (what
    the report and the user call it)."""

    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    header_line: int = 1

    def __len__(self) -> int:
        return len(self.rows)


def is_xlsx(name: str, content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm"))


def decode(content: bytes) -> str:
    """UTF-8 (its byte-order mark dropped), UTF-16 with its byte-order mark
    (Excel's "Unicode text"), else Windows-1252."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16", errors="replace")
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def separator(sample: str) -> str:
    """The separator that gives the first lines the same, largest number of
    columns (quotes respected); ``;`` wins a tie (the Danish Excel default)."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    best, best_score = ";", (0, 0)
    for candidate in SEPARATORS:
        counts = [len(row) for row in csv.reader(lines, delimiter=candidate)]
        if not counts:
            continue
        widest = max(counts)
        # How many lines reach the widest count, then how wide.
        score = (sum(1 for c in counts if c == widest) if widest > 1 else 0, widest)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _csv_rows(content: bytes) -> list[list[Cell]]:
    text = decode(content).replace("\x00", "")
    sep = separator(text[:20000])
    try:
        return _bounded(csv.reader(io.StringIO(text), delimiter=sep))
    except csv.Error:  # a field of more than 128 KB, a stray quote at the end of a line…
        raise Refused("unreadable", _("This file cannot be read as CSV.")) from None


_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def _merges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """The sheet's merged ranges (min row, min col, max row, max col), read from
    its XML: read-only mode does not load them."""
    found = []
    try:
        source = sheet._get_source()
    except (AttributeError, KeyError, zipfile.BadZipFile):  # pragma: no cover
        return found
    with source:
        # expat resolves no external entities, and limits entity expansion (2.4+).
        for _event, element in ElementTree.iterparse(source):  # noqa: S314
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "mergeCell":
                ref = element.get("ref", "")
                parts = [_CELL_REF.fullmatch(p) for p in ref.split(":")]
                if len(parts) == 2 and all(parts):
                    (c1, r1), (c2, r2) = (p.groups() for p in parts)  # type: ignore[union-attr]
                    found.append((int(r1), _column_number(c1), int(r2), _column_number(c2)))
            elif tag == "row":
                element.clear()
    return found


def _xlsx_rows(content: bytes) -> tuple[list[list[Cell]], list[tuple[int, int, int, int]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise Refused("unreadable", _("This file is not a workbook Excel can open.")) from None
    if unpacked > max_unpacked_bytes():
        # zipfile reads no more of a member than its declared size.
        raise Refused("too_large", _("The workbook is too large once unpacked."))
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise Refused("unreadable", _("This file is not a workbook Excel can open.")) from None
    try:
        sheet = book.worksheets[0]
        # openpyxl pads every row to the width the sheet declares (up to 16,384).
        width = min(sheet.max_column or MAX_COLUMNS, MAX_COLUMNS)
        rows = _bounded(sheet.iter_rows(values_only=True, max_col=width))
        merges = _merges(sheet)
    finally:
        book.close()
    return rows, merges


def fill_merged_header(rows: list[list[Cell]], merges: Iterable[tuple[int, int, int, int]]) -> None:
    """Cells inside a merge (empty in the file) take the merge's value, in the
    first rows where a header may be."""
    for min_row, min_col, max_row, max_col in merges:
        if min_row > HEADER_SEARCH_ROWS or min_row > len(rows):
            continue
        top = rows[min_row - 1]
        value = top[min_col - 1] if min_col - 1 < len(top) else ""
        for r in range(min_row, min(max_row, HEADER_SEARCH_ROWS, len(rows)) + 1):
            row = rows[r - 1]
            while len(row) < max_col:
                row.append("")
            for c in range(min_col, max_col + 1):
                if row[c - 1] == "":
                    row[c - 1] = value


def header_text(value: Cell) -> str:
    return str(value).strip() if value != "" else ""


def find_header(rows: list[list[Cell]], score: Callable[[list[str]], int]) -> int:
    """The index of the row (among the first HEADER_SEARCH_ROWS) whose cells
    ``score`` highest as the kind's headers; the first non-empty row if none does."""
    best, best_score = None, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        points = score([header_text(v) for v in row])
        if points > best_score:
            best, best_score = index, points
    if best is not None:
        return best
    return next((i for i, row in enumerate(rows) if any(v != "" for v in row)), 0)


def _is_empty(row: list[Cell]) -> bool:
    return all(v == "" for v in row)


def read_table(name: str, content: bytes, score: Callable[[list[str]], int]) -> Table:
    """The file as a Table: header found by ``score``, trailing empty columns and
    empty rows dropped, every row as wide as the header."""
    if is_xlsx(name, content):
        rows, merges = _xlsx_rows(content)
        fill_merged_header(rows, merges)
    else:
        rows = _csv_rows(content)
    if not rows or all(_is_empty(r) for r in rows):
        raise Refused("empty", _("The file has no rows."))
    start = find_header(rows, score)
    headers = [header_text(v) for v in rows[start]]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise Refused("empty", _("The file has no header row."))
    width = len(headers)
    table = Table(headers=headers, header_line=start + 1)
    for index in range(start + 1, len(rows)):
        row = rows[index]
        if not row:
            continue
        if len(row) < width:
            row = [*row, *([""] * (width - len(row)))]
        elif len(row) > width:
            row = row[:width]
        if _is_empty(row):
            continue
        table.rows.append(row)
        table.lines.append(index + 1)
    return table


def cell_text(value: Cell) -> str:
    """A cell as the report and the refused rows' CSV show it."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
