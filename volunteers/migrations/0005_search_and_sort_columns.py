"""The volunteer search and list: two columns the database computes from the name,
email and phone (volunteers.search), an index for the list in Danish order, and on
PostgreSQL a trigram index for substring search (pg_trgm; SQLite scans instead).

Existing rows get their values as the columns are added: the database computes
them (no data migration to run, and nothing to keep in step afterwards)."""

from django.db import migrations, models

import volunteers.search

TRIGRAM_INDEX = "volunteer_search_trgm_idx"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may
    # create it; a role without that right needs it created once by an admin.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON volunteers_volunteer "
        "USING gin (search_text gin_trgm_ops)"
    )
    # Statistics for the new columns now, not at the next autovacuum: the planner
    # needs them to choose the trigram index.
    schema_editor.execute("ANALYZE volunteers_volunteer")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0004_phone_without_spaces"),
    ]

    operations = [
        migrations.AddField(
            model_name="volunteer",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=volunteers.search.Concatenated(
                    volunteers.search.Folded(models.F("first_name")),
                    volunteers.search.Folded(models.F("last_name")),
                    volunteers.search.Folded(models.F("email")),
                    models.F("phone"),
                    volunteers.search.Folded(models.F("first_name"), steps="danish"),
                    volunteers.search.Folded(models.F("last_name"), steps="danish"),
                    volunteers.search.Folded(models.F("email"), steps="danish"),
                ),
                output_field=models.TextField(),
                verbose_name="search text",
            ),
        ),
        migrations.AddField(
            model_name="volunteer",
            name="sort_name",
            field=models.GeneratedField(
                db_persist=True,
                expression=volunteers.search.Folded(
                    volunteers.search.Concatenated(models.F("last_name"), models.F("first_name")),
                    steps="sort",
                ),
                output_field=models.TextField(),
                verbose_name="sort name",
            ),
        ),
        migrations.AddIndex(
            model_name="volunteer",
            index=models.Index(
                volunteers.search.ByteOrder(models.F("sort_name")),
                models.F("id"),
                name="volunteer_sort_idx",
            ),
        ),
        # Served query: search_text LIKE '%term%' (volunteers.search.matching).
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
