"""Storing many new rows at once: ``bulk_insert`` does what ``bulk_create`` does,
and on PostgreSQL, from ``COPY_AT_LEAST`` rows, with one COPY instead of INSERTs
(an invitation round of 10,000 stores 10,000 assignments, links and messages:
Django's INSERTs spent seconds building their parameters).

The rows' ids, when the caller needs them, are taken from the table's sequence
first (one query) and written with the rows, as an INSERT … RETURNING would
give them. Field defaults and ``pre_save`` (``auto_now``) are applied as
``bulk_create`` applies them; the database checks its constraints as for an
INSERT.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db import connections, router
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    Model,
    TextField,
)

# From here on one COPY (with the ids, two queries) is cheaper than INSERTs of a
# thousand rows each; below it the query count stays what bulk_create's is.
COPY_AT_LEAST = 1000

M = TypeVar("M", bound=Model)

# Fields whose Python value psycopg writes as it is (the value Django would send):
# read straight off the instance, without Django's per-value preparation, which
# for 10,000 rows of 15 columns cost more than the COPY itself. (The positive and
# small integer fields are subclasses; choices are str or int subclasses.)
_PLAIN = (BigIntegerField, BooleanField, CharField, ForeignKey, IntegerField, TextField)


def _is_plain(field: Field) -> bool:
    if isinstance(field, DateTimeField):  # aware datetimes go as they are
        return not (field.auto_now or field.auto_now_add)
    return isinstance(field, _PLAIN) and not field.get_internal_type().startswith("UUID")


def _reserve_ids(connection, table: str, column: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def bulk_insert(
    objs: Sequence[M],
    *,
    batch_size: int = 1000,
    ids: bool = True,
    copy_at_least: int = COPY_AT_LEAST,
) -> list[M]:
    """Store ``objs`` (new instances of one model) and give them their ids
    (``ids=False``: the caller does not need them, and COPY is one query).
    Columns the database computes (``GeneratedField``) are left to it."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql" or len(objs) < copy_at_least:
        return model.objects.bulk_create(objs, batch_size=batch_size)
    opts = model._meta
    pk = opts.pk
    table = opts.db_table
    fields = [field for field in opts.concrete_fields if not field.generated]
    if ids:
        reserved = _reserve_ids(connection, table, pk.column, len(objs))
        for obj, pk_value in zip(objs, reserved, strict=True):
            obj.pk = pk_value
    else:
        fields.remove(pk)
    plain = [field.attname for field in fields if _is_plain(field)]
    prepared = [field for field in fields if not _is_plain(field)]
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(field.column) for field in [*(f for f in fields if _is_plain(f)), *prepared]
    )
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objs:
            values = obj.__dict__
            row = [values[name] for name in plain]
            row += [
                field.get_db_prep_save(field.pre_save(obj, True), connection) for field in prepared
            ]
            copy.write_row(row)
    for obj in objs:
        obj._state.adding = not ids  # without its id, an instance is not one to save again
        obj._state.db = connection.alias
    return objs


def analyze(*models: type[Model]) -> None:
    """After a bulk load: refresh the planner's statistics of ``models``' tables
    (PostgreSQL; elsewhere nothing). Until autovacuum gets to them the planner
    guesses one row where there are fifty thousand, and picks plans that scan
    them all."""
    if not models:
        return
    connection = connections[router.db_for_write(models[0])]
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
