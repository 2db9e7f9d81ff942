"""Make the staffing tables, or adopt them from a database made before the move.

Before this app existed, assignments and personal links lived in the volunteers
app (tables volunteers_assignment and volunteers_personallink). On such a
database the tables are renamed, with every row, id, index and constraint kept;
on a new database they are created. Their content types follow them, so that
permissions and the admin's history stay attached.
"""

from django.db import migrations

LEGACY_TABLES = {"Assignment": "volunteers_assignment", "PersonalLink": "volunteers_personallink"}


def create_or_adopt(apps, schema_editor):
    existing = set(schema_editor.connection.introspection.table_names())
    for name, legacy in LEGACY_TABLES.items():
        model = apps.get_model("staffing", name)
        if legacy in existing:
            schema_editor.alter_db_table(model, legacy, model._meta.db_table)
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


def drop_tables(apps, schema_editor):
    for name in reversed(list(LEGACY_TABLES)):
        schema_editor.delete_model(apps.get_model("staffing", name))


class Migration(migrations.Migration):
    dependencies = [
        ("staffing", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_or_adopt, drop_tables)]
