"""A migration that fails in schemas whose name ends with "_bad", for failure reporting."""

from django.db import migrations


def fail_in_bad_schemas(apps, schema_editor):
    from schemaswitch_admin import get_active_schema

    if (get_active_schema() or "").endswith("_bad"):
        raise RuntimeError("refusing to migrate a _bad schema")


class Migration(migrations.Migration):
    dependencies = [("migrapp", "0001_initial")]
    operations = [migrations.RunPython(fail_in_bad_schemas, migrations.RunPython.noop)]
