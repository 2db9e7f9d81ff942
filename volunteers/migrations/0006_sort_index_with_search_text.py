"""On PostgreSQL, the Danish order with the search text in the index itself, so that
a page of the volunteer list is found by walking one index without reading the
table: ``SELECT id … WHERE search_text LIKE '%term%' ORDER BY sort_name, id LIMIT
50`` is an index-only scan (the staffing list's page query, staffing.volunteer_list).

A last-name search ("jensen", a tenth of the register) meets its first match tens of
thousands of names into the order: reading each of those rows from the table to test
the term cost ~50 ms at national scale, testing it in this index a fraction of that.

PostgreSQL only (covering indexes): SQLite keeps ``volunteer_sort_idx`` and reads
the rows. Like the trigram index it is not in the model's state."""

from django.db import migrations

SORT_SEARCH_INDEX = "volunteer_sort_search_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {SORT_SEARCH_INDEX} ON volunteers_volunteer "
        '((sort_name COLLATE "C"), id) INCLUDE (search_text)'
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {SORT_SEARCH_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0005_search_and_sort_columns"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
