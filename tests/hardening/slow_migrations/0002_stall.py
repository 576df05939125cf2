"""A data migration that records the schema it ran in, and stalls in one schema (named by
``HK_STALL_SCHEMA``) after telling the test so (``HK_STALL_MARKER``), so the test can kill
``migrate`` half-way through the schemas with SIGKILL."""

import os
import time
from pathlib import Path

from django.db import migrations


def record_and_maybe_stall(apps, schema_editor):
    from schemaswitch_admin import get_active_schema

    schema = get_active_schema()
    apps.get_model("migrapp", "Item").objects.create(label=f"0002 in {schema}")
    if schema is not None and schema == os.environ.get("HK_STALL_SCHEMA"):
        Path(os.environ["HK_STALL_MARKER"]).write_text(schema)
        time.sleep(120)


class Migration(migrations.Migration):
    dependencies = [("migrapp", "0001_initial")]
    operations = [migrations.RunPython(record_and_maybe_stall, migrations.RunPython.noop)]
