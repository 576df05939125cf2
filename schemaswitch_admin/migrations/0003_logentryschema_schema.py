from typing import Any

import django.db.models.deletion
from django.db import migrations, models

from schemaswitch_admin.conf import schema_model_label


def link_existing_entries(apps: Any, schema_editor: Any) -> None:
    """Entries written before this migration name their schema; link them to the row of
    that name (the schema they were written in, unless the name was reused since, which
    this migration cannot tell)."""
    LogEntrySchema = apps.get_model("schemaswitch_admin", "LogEntrySchema")
    Schema = apps.get_model(*schema_model_label().split("."))
    db = schema_editor.connection.alias
    ids = dict(Schema.objects.using(db).values_list("name", "pk"))
    for name, pk in ids.items():
        LogEntrySchema.objects.using(db).filter(schema_name=name).update(schema_id=pk)


class Migration(migrations.Migration):
    dependencies = [("schemaswitch_admin", "0002_logentryschema")] + (
        []
        if schema_model_label().startswith("schemaswitch_admin.")
        else [migrations.swappable_dependency(schema_model_label())]
    )

    operations = [
        migrations.AddField(
            model_name="logentryschema",
            name="schema",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=schema_model_label(),
                verbose_name="schema row",
            ),
        ),
        migrations.RunPython(link_existing_entries, migrations.RunPython.noop),
    ]
