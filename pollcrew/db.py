"""Database helpers that behave the same on SQLite and PostgreSQL.

SQLite's LIKE and lower() fold only ASCII letters, so "øster" would not find
"Østergaard" there. UnicodeLower() uses Python's str.lower, registered on each
SQLite connection, and LOWER() (Unicode-aware) on PostgreSQL; search terms are
lowered with str.lower too, so both sides fold alike (ß stays ß on both engines,
where casefold would make it "ss" on one side only).
"""

from __future__ import annotations

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func
from django.dispatch import receiver


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


class UnicodeLower(Func):
    function = "LOWER"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sqlite(compiler, connection, function="PC_LOWER", **extra_context)


@receiver(connection_created)
def _register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("PC_LOWER", 1, _lower, deterministic=True)
