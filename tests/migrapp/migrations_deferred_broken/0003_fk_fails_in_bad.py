"""A field with an index: the schema editor creates the index in its deferred SQL (when it
exits), which fails where 0002 took the index's name."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("migrapp", "0002_rows_in_bad")]
    operations = [
        migrations.AddField(
            model_name="item",
            name="code",
            field=models.CharField(max_length=10, db_index=True, default=""),
        ),
    ]
