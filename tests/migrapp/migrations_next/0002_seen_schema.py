"""The "new migration" of the migrate tests: AddField + AddIndex + a RunPython that records
the schema it ran in, so a test can prove it ran once per schema, inside that schema."""

from django.db import migrations, models


def record_schema(apps, schema_editor):
    from schemaswitch_admin import get_active_schema

    Item = apps.get_model("migrapp", "Item")
    Item.objects.create(label="migrated", seen_schema=get_active_schema() or "<none>")


class Migration(migrations.Migration):
    dependencies = [("migrapp", "0001_initial")]
    operations = [
        migrations.AddField(
            model_name="item",
            name="seen_schema",
            field=models.CharField(max_length=63, default=""),
        ),
        migrations.AddIndex(
            model_name="item", index=models.Index(fields=["seen_schema"], name="item_seen_idx")
        ),
        migrations.RunPython(record_schema, migrations.RunPython.noop),
    ]
