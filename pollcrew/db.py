"""Database helpers that behave the same on SQLite and PostgreSQL.

SQLite's LIKE and lower() fold only ASCII letters, so "øster" would not find
"Østergaard" there. Casefold() uses a Python function registered on each SQLite
connection, and LOWER() (Unicode-aware) on PostgreSQL.
"""

from __future__ import annotations

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func
from django.dispatch import receiver


def _casefold(value: str | None) -> str | None:
    return value.casefold() if value is not None else None


class Casefold(Func):
    function = "LOWER"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sqlite(compiler, connection, function="PC_CASEFOLD", **extra_context)


@receiver(connection_created)
def _register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("PC_CASEFOLD", 1, _casefold, deterministic=True)
