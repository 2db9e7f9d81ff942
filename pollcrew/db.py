"""Database helpers that behave the same on SQLite and PostgreSQL.

SQLite's LIKE and lower() fold only ASCII letters, so "øster" would not find
"Østergaard" there. UnicodeLower() uses Python's str.lower, registered on each
SQLite connection, and LOWER() (Unicode-aware) on PostgreSQL; search terms are
lowered with str.lower too, so both sides fold alike (ß stays ß on both engines,
where casefold would make it "ss" on one side only).
"""

from __future__ import annotations

from django.db.backends.signals import connection_created
from django.db.models import CharField, Field, ForeignObject, Func, Lookup
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


class AnyOf(Lookup):
    """``field__any_of=[ids]``: the same rows as ``field__in=[ids]``, sent to
    PostgreSQL as one array (``= ANY(%s)``) rather than one parameter per value.
    For the lists of thousands a round checks its rules with, Django's IN built
    and psycopg quoted 10,000 parameters a query."""

    lookup_name = "any_of"

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # volunteer_id__any_of: foreign keys keep their own
