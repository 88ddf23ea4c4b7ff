"""Trigram indexes for commune search on PostgreSQL.

The search matches each word anywhere in the normalised name (`LIKE '%paul%'`) and codes anywhere in the
postal codes: a B-tree cannot serve either, so every search read all 37,530 rows, twice (the page and its
count). A GIN trigram index serves both. SQLite (the embedded demo) has no such index and scans instead.
Kept out of the models' state: Django's GinIndex would be created, and fail, on SQLite too.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEXES = {
    "commune_search_name_trgm": "search_name",
    "commune_postal_codes_trgm": "postal_codes",
}


def create_indexes(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON communes_commune USING gin ({column} gin_trgm_ops)"
        )


def drop_indexes(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("communes", "0002_membership_keyset_index")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
