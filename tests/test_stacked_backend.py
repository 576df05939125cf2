"""Our backend stacked on another one keeps what that backend adds (run by .ci/run with
SCHEMASWITCH_TEST_ORIGINAL_BACKEND set; the plain run checks the default stacking)."""

from __future__ import annotations

import os

import pytest
from django.db import connection, connections

from schemaswitch_admin import schema_context
from schemaswitch_admin.backends.postgresql.base import build_database_wrapper
from schemaswitch_admin.backends.postgresql.wrapper import (
    SchemaSwitchWrapperMixin,
    is_schemaswitch_connection,
)
from schemaswitch_admin.routers import uses_schemaswitch_backend
from tests.tenantapp.models import Project

ORIGINAL = os.environ.get("SCHEMASWITCH_TEST_ORIGINAL_BACKEND", "django.db.backends.postgresql")


def test_the_connection_is_ours_and_the_original_backends():
    from django.db.utils import load_backend

    original = load_backend(ORIGINAL).DatabaseWrapper
    wrapper = connections["default"]
    assert isinstance(wrapper, original)
    assert is_schemaswitch_connection(wrapper)
    assert uses_schemaswitch_backend("default")
    assert isinstance(wrapper.ops, original.ops_class)


@pytest.mark.django_db
def test_the_stacked_backend_runs_queries_in_schemas(schema_factory):
    a, b = schema_factory(), schema_factory()
    for schema in (a, b):
        with schema_context(schema.name):
            Project.objects.create(name=f"row of {schema.name}")
    with schema_context(a.name):
        assert list(Project.objects.values_list("name", flat=True)) == [f"row of {a.name}"]
    if ORIGINAL.endswith("stacked_backend"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('application_name')")
            assert cursor.fetchone()[0] == "stacked-backend-test"


def test_a_project_may_mix_the_mixin_into_its_own_class():
    from tests.stacked_backend.base import DatabaseWrapper as Project

    built = build_database_wrapper(Project)
    assert issubclass(built, SchemaSwitchWrapperMixin) and issubclass(built, Project)
    assert built.project_backend is True
