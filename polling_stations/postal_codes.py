"""Postal code centres (``PostalCode``), for measuring "near home" from a
volunteer's postal code to a polling station: read from a CSV file and upserted
(``manage.py load_postal_codes``).

Two layouts are read, told apart by their header: our own ``nr,navn,latitude,
longitude``, and the Danish address register's postal-code CSV (DAWA /
Dataforsyningen ``postnumre?format=csv``: ``nr``, ``navn``, ``visueltcenter_x``
= longitude, ``visueltcenter_y`` = latitude, among many other columns). Commas,
semicolons or tabs; UTF-8 (with or without a BOM) or Windows-1252.

A row that cannot be used is reported with its line number and why, and the
others are still loaded; nothing already stored is deleted. Loading the same
file again changes nothing."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import User
from polling_stations.models import PostalCode

# Header names (lower case, trimmed) of each column, in either layout.
COLUMNS = {
    "code": ("nr", "postnr", "postal_code"),
    "name": ("navn", "name"),
    "latitude": ("latitude", "visueltcenter_y", "lat"),
    "longitude": ("longitude", "visueltcenter_x", "lon", "lng"),
}
CODE_LENGTH = PostalCode._meta.get_field("code").max_length
NAME_LENGTH = PostalCode._meta.get_field("name").max_length
MAX_BYTES = 20 * 1024 * 1024  # the whole country's file is well under 1 MB


class UnreadableFile(Exception):
    """The file as a whole cannot be read (no such file, no header we know)."""


@dataclass(frozen=True)
class Row:
    line: int
    code: str
    name: str
    latitude: float
    longitude: float


@dataclass
class Problem:
    line: int
    reason: str


@dataclass
class Loaded:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(
            _("Cannot read %(file)s: %(error)s") % {"file": path, "error": error.strerror}
        ) from None
    if len(raw) > MAX_BYTES:
        raise UnreadableFile(_("%(file)s is too large for a postal code file.") % {"file": path})
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().strip('"').lower() for h in header]
    found: dict[str, int] = {}
    for key, accepted in COLUMNS.items():
        for name in accepted:
            if name in names:
                found[key] = names.index(name)
                break
    missing = [key for key in ("code", "latitude", "longitude") if key not in found]
    if missing:
        raise UnreadableFile(
            _(
                "The file has no column for %(missing)s. Expected a header with nr, navn, "
                "latitude, longitude, or the address register's nr, navn, visueltcenter_x, "
                "visueltcenter_y."
            )
            % {"missing": ", ".join(missing)}
        )
    return found


def _number(value: str) -> float | None:
    value = value.strip()
    if "," in value and "." not in value:
        value = value.replace(",", ".")  # a decimal comma
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _row(line: int, cells: list[str], columns: dict[str, int]) -> Row | Problem:
    def cell(key: str) -> str:
        index = columns.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    code, name = cell("code"), cell("name")
    if not code:
        return Problem(line, _("no postal code"))
    if len(code) > CODE_LENGTH:
        return Problem(line, _("postal code %(code)s is too long") % {"code": code[:20]})
    if len(name) > NAME_LENGTH:
        return Problem(line, _("the name is longer than %(n)d characters") % {"n": NAME_LENGTH})
    latitude, longitude = _number(cell("latitude")), _number(cell("longitude"))
    if latitude is None or longitude is None:
        return Problem(
            line,
            _("%(code)s: latitude and longitude must be numbers (got “%(lat)s”, “%(lon)s”)")
            % {"code": code, "lat": cell("latitude")[:20], "lon": cell("longitude")[:20]},
        )
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return Problem(
            line,
            _(
                "%(code)s: %(lat)s, %(lon)s is not a position in degrees (latitude -90 to 90, "
                "longitude -180 to 180); is the file in another coordinate system?"
            )
            % {"code": code, "lat": latitude, "lon": longitude},
        )
    return Row(line, code, name, latitude, longitude)


def read_postal_codes(path: Path | str) -> tuple[list[Row], list[Problem]]:
    """The usable rows of the file and the problems of the others (by line)."""
    text = _text(Path(path))
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise UnreadableFile(_("The file is empty."))
    columns = _columns(header)
    rows: list[Row] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        found = _row(reader.line_num, cells, columns)
        if isinstance(found, Row):
            if found.code in seen:
                found = Problem(
                    found.line,
                    _("%(code)s is in the file already (line %(first)d); this line is left out")
                    % {"code": found.code, "first": seen[found.code]},
                )
            else:
                seen[found.code] = found.line
        (rows if isinstance(found, Row) else problems).append(found)  # type: ignore[arg-type]
    return rows, problems


def load_postal_codes(path: Path | str, *, by: User | None = None) -> Loaded:
    """Upsert the file's postal codes: new ones created, changed ones updated,
    others (and codes not in the file) left as they are. One audit entry with
    the counts when anything changed."""
    rows, problems = read_postal_codes(path)
    result = Loaded(problems=problems)
    with transaction.atomic():
        stored = PostalCode.objects.select_for_update().in_bulk([r.code for r in rows])
        new, changed = [], []
        for row in rows:
            current = stored.get(row.code)
            if current is None:
                new.append(PostalCode(row.code, row.name, row.latitude, row.longitude))
            elif (current.name, current.latitude, current.longitude) != (
                row.name,
                row.latitude,
                row.longitude,
            ):
                current.name, current.latitude, current.longitude = (
                    row.name,
                    row.latitude,
                    row.longitude,
                )
                changed.append(current)
            else:
                result.unchanged += 1
        PostalCode.objects.bulk_create(new, batch_size=1000)
        PostalCode.objects.bulk_update(changed, ["name", "latitude", "longitude"], batch_size=1000)
        result.created, result.updated = len(new), len(changed)
        if new or changed:
            audit.record(
                "polling_stations.load_postal_codes",
                by=by,
                object_type="polling_stations.postalcode",
                detail={
                    "file": Path(path).name,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "bad_rows": len(problems),
                },
            )
    return result
