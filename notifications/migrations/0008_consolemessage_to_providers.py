"""ConsoleMessage now belongs to the providers app (providers/migrations/0001): the table is kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notifications", "0007_inbound_sms"), ("providers", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="ConsoleMessage")],
                                            database_operations=[]),
    ]
