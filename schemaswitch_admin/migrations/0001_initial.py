import django.db.models.deletion
import schemaswitch_admin.validation
from schemaswitch_admin.conf import schema_model_label
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    # The schema model is swappable (SCHEMASWITCH_SCHEMA_MODEL) but has no default in
    # Django's global settings, so the label comes from our conf module.
    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)] + (
        []
        if schema_model_label().startswith("schemaswitch_admin.")
        else [migrations.swappable_dependency(schema_model_label())]
    )

    operations = [
        migrations.CreateModel(
            name='Schema',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='PostgreSQL schema name: lowercase letters, digits and underscores.', max_length=63, unique=True, validators=[schemaswitch_admin.validation.validate_schema_name], verbose_name='name')),  # type: ignore[list-item]  # returns the name; Django ignores a validator's result
                ('display_name', models.CharField(blank=True, max_length=200, verbose_name='display name')),
                ('is_active', models.BooleanField(default=True, help_text='Inactive schemas keep their data but cannot be chosen.', verbose_name='active')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
            ],
            options={
                'verbose_name': 'schema',
                'verbose_name_plural': 'schemas',
                'ordering': ['name'],
                'abstract': False,
                'swappable': 'SCHEMASWITCH_SCHEMA_MODEL',
            },
        ),
        migrations.CreateModel(
            name='Membership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('member', 'member'), ('admin', 'administrator')], default='member', max_length=20, verbose_name='role')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='last used')),
                ('schema', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=schema_model_label(), verbose_name='schema')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='schema_memberships', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'membership',
                'verbose_name_plural': 'memberships',
                'indexes': [models.Index(fields=['schema', 'user'], name='schemaswitch_member_schema')],
                'constraints': [models.UniqueConstraint(fields=('user', 'schema'), name='schemaswitch_unique_member')],
            },
        ),
    ]
