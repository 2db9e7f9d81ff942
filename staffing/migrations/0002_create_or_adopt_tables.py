"""Make the staffing tables, or adopt them from a database made before the move.

Before this app existed, assignments and personal links lived in the volunteers
app (tables volunteers_assignment and volunteers_personallink). On such a
database the tables are renamed, with every row, id, index and constraint kept;
on a new database they are created. Their content types follow them, so that
permissions and the admin's history stay attached.
"""

from django.db import migrations

LEGACY_TABLES = {"Assignment": "volunteers_assignment", "PersonalLink": "volunteers_personallink"}


def _rename_generated_names(model, schema_editor) -> None:
    """Django named the old table's primary key, foreign keys, their indexes and
    the id sequence after the old table; give them the names a new install has."""
    connection = schema_editor.connection
    table = model._meta.db_table
    quote = schema_editor.quote_name
    explicit = {i.name for i in model._meta.indexes} | {c.name for c in model._meta.constraints}
    fks = {f.column: f for f in model._meta.local_fields if f.is_relation}
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    for name, info in found.items():
        if name in explicit or len(info["columns"]) != 1:
            continue
        column = info["columns"][0]
        field = fks.get(column)
        if info["index"] and not info["unique"] and not info["primary_key"] and field:
            wanted = schema_editor._create_index_name(table, [column])
            if name != wanted:
                schema_editor.execute(f"DROP INDEX {quote(name)}")
                schema_editor.execute(
                    f"CREATE INDEX {quote(wanted)} ON {quote(table)} ({quote(column)})"
                )
        elif connection.vendor == "postgresql" and info["foreign_key"] and field:
            wanted = str(
                schema_editor._fk_constraint_name(model, field, "_fk_%(to_table)s_%(to_column)s")
            )
            if name != wanted:
                schema_editor.execute(
                    f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(name)} TO {quote(wanted)}"
                )
        elif connection.vendor == "postgresql" and info["primary_key"]:
            wanted = f"{table}_pkey"
            if name != wanted:
                schema_editor.execute(
                    f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(name)} TO {quote(wanted)}"
                )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
        wanted = f"{table}_id_seq"
        if sequence and sequence.split(".")[-1].strip('"') != wanted:
            schema_editor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {quote(wanted)}")


def create_or_adopt(apps, schema_editor):
    existing = set(schema_editor.connection.introspection.table_names())
    for name, legacy in LEGACY_TABLES.items():
        model = apps.get_model("staffing", name)
        if legacy in existing:
            schema_editor.alter_db_table(model, legacy, model._meta.db_table)
            _rename_generated_names(model, schema_editor)
        else:
            schema_editor.create_model(model)
    ContentType = apps.get_model("contenttypes", "ContentType")
    for name in LEGACY_TABLES:
        model_name = name.lower()
        old = ContentType.objects.filter(app_label="volunteers", model=model_name)
        if ContentType.objects.filter(app_label="staffing", model=model_name).exists():
            old.delete()  # made twice (staffing's appeared first): keep one
        else:
            old.update(app_label="staffing")


class Migration(migrations.Migration):
    dependencies = [
        ("staffing", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Irreversible on purpose: going back would have to drop every assignment.
    operations = [migrations.RunPython(create_or_adopt)]
