"""Roles become meaningful (``roles``): the old default ``member`` becomes ``editor``, which
grants what a member could do before on private models, except deleting."""

from typing import Any

from django.db import migrations, models

import schemaswitch_admin.roles


def members_become_editors(apps: Any, schema_editor: Any) -> None:
    Membership = apps.get_model("schemaswitch_admin", "Membership")
    Membership.objects.using(schema_editor.connection.alias).filter(role="member").update(
        role="editor"
    )


def editors_become_members(apps: Any, schema_editor: Any) -> None:
    Membership = apps.get_model("schemaswitch_admin", "Membership")
    Membership.objects.using(schema_editor.connection.alias).filter(role="editor").update(
        role="member"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("schemaswitch_admin", "0003_logentryschema_schema"),
    ]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=schemaswitch_admin.roles.role_choices,
                default=schemaswitch_admin.roles.default_role,
                max_length=20,
                verbose_name="role",
            ),
        ),
        migrations.RunPython(members_become_editors, editors_become_members),
    ]
