"""The full data export (exit) and its restore.

``export_all`` writes a ZIP with, for every table of the project's own apps
(found through the app registry, so a model added later is included without a
change here; many-to-many tables included):

- ``data/<app>.<model>.jsonl``: one JSON object per row, every stored column by
  its column name (``area_id``), exact values (instants in ISO 8601 with their
  UTC offset, decimals as strings, JSON columns as JSON);
- ``data/<app>.<model>.csv``: the same rows for a spreadsheet (a header of column
  names; cells that a spreadsheet would run as a formula start with an
  apostrophe, so the JSON Lines files are the exact copy);
- ``README.md``: every file and column (type, nullability, meaning from the
  model's field), and ``manifest.json``: the schema version (the latest applied
  migration per app), the tables in restore order and their row counts.

Everything is read in one transaction (on PostgreSQL a repeatable-read
snapshot): the files agree with each other however busy the site is. Rows are
read a chunk at a time, so memory stays flat at national scale.

``import_all`` restores such a ZIP into an EMPTY installation with the same
schema version, in one transaction, tables in dependency order, primary keys
kept, sequences reset on PostgreSQL.

Not exported: what the database computes (``Volunteer.search_text`` and
``sort_name``, generated columns); Django's and the libraries' own tables
(sessions, content types, permissions and groups, the admin's log, allauth's
email addresses and MFA authenticators: staff enrol their second factor again).
The counts the triggers keep (``staffing.counters``: ``SeatFill``,
``VolunteerSeats``, ``ElectionTally``) are exported as they are; on restore the
triggers count the rows again as they go in, and the exported counts then
replace theirs (the same numbers, with their ids kept)."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone, translation

from accounts import audit
from accounts.models import User
from pollcrew.redaction import REDACTED, redact
from pollcrew.refusals import Refused
from pollcrew.spreadsheets import safe_cell
from volunteers.search import trigram_index_rebuilt_after

FORMAT = "pollcrew-export"
FORMAT_VERSION = 1
CHUNK = 5000
# Kept by triggers (staffing.counters): restored after the rows they count.
KEPT_BY_TRIGGERS = ("staffing.seatfill", "staffing.volunteerseats", "staffing.electiontally")
# Columns that may hold a live secret: a message not yet sent still carries the
# volunteer's personal link (or a staff password-reset link) in its text. The
# export keeps the text with the secret cut out (pollcrew.redaction), as the
# outbox does once a message has gone out; the links' hashes are exported.
REDACTED_COLUMNS = {"notifications.message": ("body", "body_html")}
# Beyond the outbox's own patterns (which cut the first part after /v/ only): the
# whole rest of any volunteer-facing address, /v/… (personal links, standby
# offers /v/offer/<token>/, calendar feeds /v/calendar/<token>.ics) and /s/…
# (sign-up links), so no token of any kind is in the file.
_ADDRESS_SECRETS = re.compile(r"(?<=/[vs]/)[^\s\"'<>]+")


def without_secrets(text: str) -> str:
    """A message text as the export holds it."""
    return _ADDRESS_SECRETS.sub(REDACTED, redact(text))


# --- what is exported -----------------------------------------------------------------------


def project_apps() -> list[AppConfig]:
    """The project's own apps: those whose code lives in the project, not in a
    library."""
    base = Path(settings.BASE_DIR).resolve()
    found = []
    for app in apps.get_app_configs():
        path = Path(app.path).resolve()
        if path.is_relative_to(base) and "site-packages" not in path.parts:
            found.append(app)
    return found


def _project_labels() -> set[str]:
    return {app.label for app in project_apps()}


def _in_project(model: type[models.Model], labels: set[str]) -> bool:
    """A table of the project's: its app is the project's and, for a
    many-to-many table, both ends are (a staff user's Django groups are not)."""
    meta = model._meta
    if meta.app_label not in labels or not meta.managed or meta.proxy:
        return False
    if meta.auto_created:
        return all(
            f.related_model._meta.app_label in labels for f in meta.concrete_fields if f.is_relation
        )
    return True


def exported_models() -> list[type[models.Model]]:
    """Every table of the project's apps, in restore order: each after the tables
    its foreign keys point to."""
    labels = _project_labels()
    candidates = [
        m
        for app in project_apps()
        for m in app.get_models(include_auto_created=True)
        if _in_project(m, labels)
    ]
    todo = {m._meta.label_lower: m for m in candidates}
    needs = {
        label: {
            f.related_model._meta.label_lower
            for f in m._meta.concrete_fields
            if f.is_relation and f.related_model._meta.label_lower in todo
        }
        - {label}
        for label, m in todo.items()
    }
    ordered: list[type[models.Model]] = []
    done: set[str] = set()
    while todo:
        ready = [label for label in todo if needs[label] <= done]
        if not ready:  # a cycle: the rest in registry order (constraints are deferred)
            ready = list(todo)
        for label in ready:
            ordered.append(todo.pop(label))
            done.add(label)
    return ordered


def columns_of(model: type[models.Model]) -> list[models.Field]:
    """The stored columns that are written (not computed by the database)."""
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def base_name(model: type[models.Model]) -> str:
    return f"data/{model._meta.label_lower}"


def schema_version() -> dict[str, list[str]]:
    """The latest applied migration(s) of each project app."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    version: dict[str, list[str]] = {}
    for app in project_apps():
        leaves = [key for key in loader.graph.leaf_nodes(app.label) if key in applied]
        if leaves:
            version[app.label] = sorted(name for _app, name in leaves)
    return version


# --- values ---------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return safe_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return safe_cell(json_value(value))


def python_value(field: models.Field, value: Any) -> Any:
    """A JSON Lines value back as the field holds it."""
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return value
    if isinstance(field, models.DurationField):
        return timedelta(seconds=value)
    if isinstance(field, models.BinaryField):
        return bytes.fromhex(value)
    return field.to_python(value)


# --- the README -----------------------------------------------------------------------------


def _describe(field: models.Field) -> str:
    parts = [str(field.verbose_name)]
    if field.help_text:
        parts.append(str(field.help_text))
    if field.is_relation and field.related_model is not None:
        target = field.related_model._meta
        parts.append(f"→ `{target.label_lower}` ({target.db_table}.{target.pk.column})")
    if field.choices:
        parts.append("one of: " + ", ".join(f"`{v}`" for v, _label in field.flatchoices))
    if field.primary_key:
        parts.append("primary key")
    return "; ".join(p.replace("|", "\\|").replace("\n", " ") for p in parts)


def readme(tables: list[dict[str, Any]], manifest: dict[str, Any]) -> str:
    lines = [
        "# Pollcrew: full data export",
        "",
        f"Made {manifest['created_at']} from the schema version in `manifest.json`.",
        "",
        "Every table of Pollcrew's own apps is here twice: `data/<app>.<model>.jsonl`",
        "(JSON Lines: one JSON object per row, keys are the column names; the exact",
        "values: instants in ISO 8601 with their UTC offset, decimals as strings,",
        "JSON columns as JSON, null as null) and `data/<app>.<model>.csv` (the same",
        "rows for a spreadsheet, UTF-8, comma-separated, a header of column names;",
        "null is an empty cell, booleans `true`/`false`, JSON columns as JSON text, and",
        "a cell starting with = + - @, a tab or a carriage return has an apostrophe",
        "in front so that a spreadsheet does not run it as a formula).",
        "",
        "`manifest.json` lists the tables in restore order (each after the tables it",
        "refers to), their row counts and the schema version: the latest applied",
        "migration of each app. `manage.py import_all FILE.zip` restores the export",
        "into an empty installation of the same schema version.",
        "",
        "Not here: columns the database computes (`volunteers.volunteer.search_text`,",
        "`sort_name`), and the tables of Django and its libraries (sessions,",
        "permissions, groups, content types, the admin's log, e-mail confirmations,",
        "second-factor authenticators). The counts in `staffing.seatfill`,",
        "`staffing.volunteerseats` and `staffing.electiontally` are kept by the",
        "database from the shifts, assignments and messages (`manage.py recount_fills`",
        "rebuilds them).",
        "",
        "The export holds personal data (volunteers' names, addresses, phone numbers)",
        "and the staff users' password hashes: keep it as safely as the database.",
        "Personal links are not in it: `staffing.personallink` holds their hashes,",
        "and the addresses in `body` and `body_html` of `notifications.message`",
        "(personal, standby offer, calendar and sign-up links) end in `[redacted]`.",
        "",
    ]
    for table in tables:
        model = apps.get_model(table["model"])
        meta = model._meta
        doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        if meta.auto_created or doc.startswith(f"{model.__name__}("):
            doc = ""
        lines += [
            f"## {meta.label_lower}",
            "",
            f"{str(meta.verbose_name_plural).capitalize()}. {doc}".strip(),
            "",
            f"Files: `{table['files'][0]}`, `{table['files'][1]}`. "
            f"Database table `{meta.db_table}`, {table['rows']} rows.",
            "",
            "| column | type | null | meaning |",
            "|---|---|---|---|",
        ]
        for field in columns_of(model):
            kind = field.get_internal_type()
            if field.is_relation:
                kind = f"{kind} ({field.target_field.get_internal_type()})"
            null = "yes" if field.null else "no"
            lines.append(f"| `{field.column}` | {kind} | {null} | {_describe(field)} |")
        lines.append("")
    return "\n".join(lines)


# --- export ---------------------------------------------------------------------------------


def _rows(model: type[models.Model], fields: list[models.Field]) -> Iterator[tuple[Any, ...]]:
    names = [f.attname for f in fields]
    pk = model._meta.pk.attname
    return model._base_manager.order_by(pk).values_list(*names).iterator(chunk_size=CHUNK)


def _write_table(
    zf: zipfile.ZipFile, model: type[models.Model], done: dict[str, Any]
) -> Iterator[None]:
    """Write one table's two files, pausing (yield) every ``CHUNK`` rows."""
    fields = columns_of(model)
    names = [f.column for f in fields]
    base = base_name(model)
    count = 0
    secret = REDACTED_COLUMNS.get(model._meta.label_lower, ())
    redacted = [i for i, name in enumerate(names) if name in secret]
    dumps = json.JSONEncoder(ensure_ascii=False, default=json_value).encode
    with tempfile.TemporaryFile() as csv_file:
        text = io.TextIOWrapper(csv_file, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(names)
        with zf.open(f"{base}.jsonl", "w", force_zip64=True) as raw:
            out = io.BufferedWriter(raw, buffer_size=1 << 20)  # type: ignore[arg-type]
            for row in _rows(model, fields):
                if redacted:
                    row = tuple(
                        without_secrets(v) if i in redacted and v else v for i, v in enumerate(row)
                    )
                values = [json_value(v) for v in row]
                out.write(dumps(dict(zip(names, values, strict=True))).encode() + b"\n")
                writer.writerow([csv_value(v) for v in row])
                count += 1
                if count % CHUNK == 0:
                    yield
            out.flush()
        text.flush()
        csv_file.seek(0)
        with zf.open(f"{base}.csv", "w", force_zip64=True) as target:
            while block := csv_file.read(1 << 20):
                target.write(block)
                yield
        text.detach()
    done.update(
        {
            "model": model._meta.label_lower,
            "table": model._meta.db_table,
            "files": [f"{base}.jsonl", f"{base}.csv"],
            "columns": names,
            "rows": count,
        }
    )


def export_steps(
    out: Any,
    *,
    by: User | None,
    ip: str | None = None,
    compresslevel: int = 6,
    on_table: Callable[[int, int], None] | None = None,
) -> Iterator[dict[str, Any] | None]:
    """Write the full export into ``out`` (a binary file, or a stream that
    cannot seek), pausing (yielding None) after every chunk of rows; the last
    item is the manifest.

    The run is recorded in the audit log first (who, when): a run broken off
    is recorded too. Then every table is read in one read-only transaction
    (on PostgreSQL a repeatable-read snapshot). ``on_table(done, total)`` is
    called after each table (a job's progress)."""
    models_ = exported_models()
    with transaction.atomic():
        audit.record("exchange.export_all", by=by, ip=ip, detail={"tables": len(models_)})
    tables: list[dict[str, Any]] = []
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "schema": schema_version(),
            "database": connection.vendor,
        }
        with zipfile.ZipFile(
            out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        ) as zf:
            for model in models_:
                done: dict[str, Any] = {}
                yield from _write_table(zf, model, done)
                tables.append(done)
                if on_table is not None:
                    on_table(len(tables), len(models_))
                yield None
            manifest["tables"] = tables
            zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
            # In English, as the column names and types (the field names come
            # from the models' translatable names).
            with translation.override("en"):
                zf.writestr("README.md", readme(tables, manifest))
    yield manifest


def export_all(out: IO[bytes], **kwargs: Any) -> dict[str, Any]:
    """``export_steps`` to the end: the whole ZIP into ``out``; its manifest."""
    manifest: dict[str, Any] = {}
    for step in export_steps(out, **kwargs):
        if step is not None:
            manifest = step
    return manifest


# --- import ---------------------------------------------------------------------------------


class ImportRefused(Refused):
    pass


def _non_empty(models_: Iterable[type[models.Model]]) -> list[str]:
    return [m._meta.label_lower for m in models_ if m._base_manager.exists()]


def _read_rows(zf: zipfile.ZipFile, name: str) -> Iterator[dict[str, Any]]:
    with zf.open(name) as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def _insert(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` (column → JSON value) as they are: primary keys kept, no
    ``auto_now`` or default applied (a raw insert, as loaddata does), the values
    prepared by each field as Django prepares them for a save. On PostgreSQL one
    COPY per table (the counters' statement triggers then run once per table);
    elsewhere many rows per INSERT."""
    fields = columns_of(model)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)

    def prepared(row: dict[str, Any]) -> list[Any]:
        return [f.get_db_prep_save(python_value(f, row.get(f.column)), connection) for f in fields]

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(prepared(row))
                    count += 1
            return count
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        size = max(1, min(1000, connection.ops.bulk_batch_size(fields, [None] * 1000)))
        for batch in _batches(rows, size):
            values = ", ".join([one] * len(batch))
            sql = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608 (our table)
            cursor.execute(sql, [value for row in batch for value in prepared(row)])
            count += len(batch)
    return count


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def check_importable(manifest: dict[str, Any]) -> None:
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ImportRefused("not_an_export", "This file is not a Pollcrew full data export.")
    here = schema_version()
    if manifest.get("schema") != here:
        differ = sorted(
            app
            for app in set(here) | set(manifest.get("schema", {}))
            if here.get(app) != manifest.get("schema", {}).get(app)
        )
        raise ImportRefused(
            "schema_differs",
            "The export was made with another schema version than this installation has "
            f"(apps {', '.join(differ)}). Install the Pollcrew version it was made with, "
            "or migrate both to the same version.",
        )
    filled = _non_empty(exported_models())
    if filled:
        raise ImportRefused(
            "not_empty",
            "This installation is not empty; a full export is restored only into an empty "
            f"one (tables with rows: {', '.join(filled[:10])}).",
        )


def import_all(source: str | Path | IO[bytes]) -> dict[str, int]:
    """Restore a full export into this (empty) installation; rows per table."""
    with zipfile.ZipFile(source) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        counts: dict[str, int] = {}
        with transaction.atomic():
            check_importable(manifest)
            tables = {t["model"]: t for t in manifest["tables"]}
            known = {m._meta.label_lower: m for m in exported_models()}
            missing = sorted(set(tables) - set(known))
            if missing:
                raise ImportRefused(
                    "unknown_tables", f"The export has tables this installation lacks: {missing}"
                )
            ordered = [m for label, m in known.items() if label in tables]
            later = [m for m in ordered if m._meta.label_lower in KEPT_BY_TRIGGERS]
            # The volunteers' trigram index is built once, after the load.
            with trigram_index_rebuilt_after(connection):
                for model in ordered:
                    if model in later:
                        continue
                    label = model._meta.label_lower
                    counts[label] = _insert(model, _read_rows(zf, tables[label]["files"][0]))
            # The triggers counted the rows as they went in; the exported counts
            # (the same numbers) replace theirs, with their ids.
            for model in later:
                label = model._meta.label_lower
                with connection.cursor() as cursor:
                    table = connection.ops.quote_name(model._meta.db_table)
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a model's table)
                counts[label] = _insert(model, _read_rows(zf, tables[label]["files"][0]))
            if connection.vendor == "postgresql":
                statements = connection.ops.sequence_reset_sql(no_style(), ordered)
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute(statement)
            audit.record(
                "exchange.import_all",
                by=None,
                detail={
                    "made_at": manifest.get("created_at"),
                    "rows": sum(counts.values()),
                    "tables": len(counts),
                },
            )
    return counts
