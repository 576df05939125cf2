"""In schemas whose name ends with "_bad", a table that takes the name of the index 0003's
schema editor creates in its deferred SQL, so that deferred statement fails there."""

from django.db import migrations


def squat_the_index_name(apps, schema_editor):
    from schemaswitch_admin import get_active_schema

    if (get_active_schema() or "").endswith("_bad"):
        name = schema_editor._create_index_name("migrapp_item", ["code"], suffix="")
        schema_editor.execute(f"CREATE TABLE {schema_editor.quote_name(name)} (id int)")


class Migration(migrations.Migration):
    dependencies = [("migrapp", "0001_initial")]
    operations = [migrations.RunPython(squat_the_index_name, migrations.RunPython.noop)]
