"""Two indexes fewer on deliveries: each index of this table is written three times per delivery.

The message's own index duplicated the unique (message, user, channel); the date's only reader, the purge,
now finds old deliveries through their message's date. Only the indexes are dropped (Django's AlterField
would also drop and re-validate the foreign key, scanning the table under lock), CONCURRENTLY on PostgreSQL
so that a running fan-out is not blocked.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "notifications_delivery_message_id_df4d325b": "message_id",
    "notifications_delivery_created_at_108cd0b2": "created_at",
}


def _concurrently(schema_editor) -> str:
    return " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""


def drop(apps, schema_editor) -> None:
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX{_concurrently(schema_editor)} IF EXISTS {name}")


def create(apps, schema_editor) -> None:
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX{_concurrently(schema_editor)} IF NOT EXISTS {name} ON notifications_delivery ({column})"
        )


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("notifications", "0004_delivery_claims_and_message_roles"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="delivery",
                    name="created_at",
                    field=models.DateTimeField(auto_now_add=True),
                ),
                migrations.AlterField(
                    model_name="delivery",
                    name="message",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="notifications.message",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop, create)],
        ),
    ]
