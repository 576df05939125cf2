"""System checks catch the misconfigurations that would silently break isolation."""

import copy

import pytest
from django.conf import settings
from django.core import checks
from django.test import override_settings

from schemaswitch_admin.conf import DEFAULT_SHARED_APPS as DEFAULT_SHARED_FOR_TESTS


def ids(**kwargs):
    return sorted({m.id for m in checks.run_checks(**kwargs) if m.id.startswith("schemaswitch")})


def test_the_test_project_is_clean():
    assert ids() == []


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_wrong_engine_is_an_error():
    databases = copy.deepcopy(settings.DATABASES)
    databases["default"]["ENGINE"] = "django.db.backends.postgresql"
    with override_settings(DATABASES=databases):
        assert "schemaswitch_admin.E001" in ids()


def test_missing_router_is_an_error():
    with override_settings(DATABASE_ROUTERS=[]):
        assert ids() == ["schemaswitch_admin.E002"]


def test_missing_middleware_is_an_error():
    middleware = [m for m in settings.MIDDLEWARE if "schemaswitch" not in m]
    with override_settings(MIDDLEWARE=middleware):
        assert ids() == ["schemaswitch_admin.E003"]


def test_middleware_before_authentication_is_an_error():
    middleware = [m for m in settings.MIDDLEWARE if "schemaswitch" not in m]
    middleware.insert(1, "schemaswitch_admin.middleware.SchemaSwitchMiddleware")
    with override_settings(MIDDLEWARE=middleware):
        assert ids() == ["schemaswitch_admin.E004"]


def test_shared_model_pointing_at_a_private_model_is_an_error():
    # Making Note shared while Project stays private creates a shared -> private FK.
    shared = [*DEFAULT_SHARED_FOR_TESTS, "tenantapp.Note"]
    with override_settings(SCHEMASWITCH_SHARED_APPS=shared):
        messages = [m for m in checks.run_checks() if m.id == "schemaswitch_admin.E005"]
    assert {m.obj._meta.label for m in messages} >= {"tenantapp.Note"}
    assert any("'project'" in m.msg for m in messages)


def test_private_model_pointing_at_a_shared_model_is_fine():
    # tenantapp.Project.owner -> auth.User is the normal direction.
    assert "schemaswitch_admin.E005" not in ids()


def test_contenttypes_must_be_shared():
    shared = [a for a in DEFAULT_SHARED_FOR_TESTS if a != "contenttypes"]
    with override_settings(SCHEMASWITCH_SHARED_APPS=shared):
        assert "schemaswitch_admin.E006" in ids()


def test_migrate_command_must_be_ours():
    from django.core.management import get_commands

    get_commands.cache_clear()
    try:
        with override_settings(INSTALLED_APPS=["tests.shadowapp", *settings.INSTALLED_APPS]):
            get_commands.cache_clear()
            assert "schemaswitch_admin.E007" in ids()
    finally:
        get_commands.cache_clear()
    assert "schemaswitch_admin.E007" not in ids()


@pytest.mark.django_db
def test_every_app_has_its_migrations_committed():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


# -- misconfigurations that would leak between tenants (issue: isolation at the edges) ---


def test_a_private_model_on_a_shared_table_is_an_error():
    from django.db import models
    from django.test.utils import isolate_apps

    from schemaswitch_admin.checks import table_collisions

    with isolate_apps("tests.tenantapp"):

        class Impostor(models.Model):
            name = models.CharField(max_length=10)

            class Meta:
                app_label = "tenantapp"
                db_table = "auth_user"

            def __str__(self):
                return self.name

        from django.contrib.auth.models import User

        assert table_collisions([User, Impostor]) == [(Impostor, User)]


def test_the_private_table_check_runs_over_the_registry():
    assert "schemaswitch_admin.E008" not in ids()


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_a_stock_engine_alias_on_the_same_database_is_warned_about():
    databases = copy.deepcopy(settings.DATABASES)
    databases["reports"] = {**databases["default"], "ENGINE": "django.db.backends.postgresql"}
    with override_settings(DATABASES=databases):
        found = [m for m in checks.run_checks(tags=["database"], databases=["default"])
                 if m.id == "schemaswitch_admin.W010"]
    assert len(found) == 1 and "'reports'" in found[0].msg


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_a_second_alias_with_our_engine_is_fine():
    databases = copy.deepcopy(settings.DATABASES)
    databases["reports"] = dict(databases["default"])
    with override_settings(DATABASES=databases):
        found = [m for m in checks.run_checks(tags=["database"], databases=["default"])
                 if m.id == "schemaswitch_admin.W010"]
    assert found == []


@pytest.mark.django_db
def test_the_templates_rows_never_reach_a_new_schema():
    from schemaswitch_admin import conf
    from schemaswitch_admin.cloning import TemplateRowsRefused
    from schemaswitch_admin.models import Schema

    with pytest.raises(TemplateRowsRefused, match="template"):
        Schema.objects.create_schema("from_template", source=conf.template_schema(),
                                     with_data=True)
    assert not Schema.objects.filter(name="from_template").exists()


def test_an_unknown_pooler_mode_is_an_error(settings):
    settings.SCHEMASWITCH_POOLER = "statement"
    assert "schemaswitch_admin.E013" in ids(tags=["database"], databases=["default"])


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_transaction_mode_needs_server_side_cursors_off(settings):
    settings.SCHEMASWITCH_POOLER = "transaction"
    assert "schemaswitch_admin.E014" in ids(tags=["database"], databases=["default"])
    databases = copy.deepcopy(settings.DATABASES)
    databases["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    with override_settings(DATABASES=databases):
        assert "schemaswitch_admin.E014" not in ids(tags=["database"], databases=["default"])

