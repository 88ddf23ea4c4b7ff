"""ConsoleMessage moves here from notifications: its table stays where it is (notifications_consolemessage),
only Django's record of which app owns it changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("notifications", "0007_inbound_sms")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ConsoleMessage",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("channel", models.CharField(choices=[("sms", "SMS"), ("push", "Push")], max_length=4)),
                        ("recipient", models.CharField(max_length=4096)),
                        ("title", models.CharField(blank=True, max_length=200)),
                        ("body", models.TextField()),
                        ("key", models.CharField(blank=True, max_length=64)),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                    ],
                    options={
                        "verbose_name": "message console",
                        "verbose_name_plural": "messages console",
                        "ordering": ["-created_at"],
                        "db_table": "notifications_consolemessage",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
