"""Querysets compiled once per process, run again with other values.

Django compiles a queryset's SQL on every run; for a page served hundreds of
times a second (the volunteer's personal page) compiling its joins costs more
than the database does. ``Prepared`` builds the queryset once from marker
values, keeps the SQL, the place of each marker among the parameters and
Django's own row-to-object machinery (the columns, the related-object
populators, the field converters), and afterwards only executes: the objects
come out as the queryset would make them (``select_related`` included).

On PostgreSQL; elsewhere (the demo's SQLite) the queryset simply runs.
Only for querysets that yield model instances and whose values are plain
parameters (equality and comparisons); the markers must reach the SQL as
parameters, unchanged (the constructor checks each is found exactly once)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

# Marker values unlike anything a query would really be given.
_MARKER_INTS = (-987_654_301, -987_654_302, -987_654_303, -987_654_304)
_MARKER_TEXTS = ("\x00pc-marker-1", "\x00pc-marker-2", "\x00pc-marker-3")
_MARKER_TIMES = (datetime(1901, 2, 3, 4, 5, 6, 789_012, tzinfo=UTC),)


class Prepared:
    """``make(*markers)`` returns the queryset; ``kinds`` says which marker each
    argument is ("int", "text" or "time"). ``run(*values)`` returns its objects."""

    def __init__(self, make: Callable[..., QuerySet], kinds: Sequence[str]) -> None:
        self.make = make
        self.kinds = tuple(kinds)
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _markers(self) -> list[Any]:
        pools = {
            "int": list(_MARKER_INTS),
            "text": list(_MARKER_TEXTS),
            "time": list(_MARKER_TIMES),
        }
        return [pools[kind].pop(0) for kind in self.kinds]

    def _compile(self, using: str) -> _Compiled:
        with self._lock:
            found = self._compiled.get(using)
            if found is None:
                markers = self._markers()
                found = self._compiled[using] = _Compiled(self.make(*markers), markers, using)
            return found

    def run(self, *values: Any, using: str = "default") -> list[Model]:
        if connections[using].vendor != "postgresql":
            # Other backends turn some values into text before they are
            # parameters (SQLite: datetimes): no markers to find there.
            return list(self.make(*values).using(using))
        return self._compile(using).run(values)


class _Compiled:
    def __init__(self, queryset: QuerySet, markers: list[Any], using: str) -> None:
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.slots: list[int] = []
        for marker in markers:
            places = [i for i, p in enumerate(self.params) if p == marker]
            if len(places) != 1:
                raise ValueError(f"marker {marker!r} found {len(places)} times in the parameters")
            self.slots.append(places[0])
        self.using = using
        select, klass_info = compiler.select, compiler.klass_info
        self.model = klass_info["model"]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.span = (first, last)
        self.init_list = [f[0].target.attname for f in select[first:last]]
        self.populators = get_related_populators(klass_info, select, using)
        fields = [s[0] for s in select[: compiler.col_count]]
        self.converters = compiler.get_converters(fields)
        self.compiler = compiler

    def run(self, values: Sequence[Any]) -> list[Model]:
        params = list(self.params)
        for slot, value in zip(self.slots, values, strict=True):
            params[slot] = value
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        first, last = self.span
        objects = []
        for row in rows:
            obj = self.model.from_db(self.using, self.init_list, row[first:last])
            for populator in self.populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects
