"""run_in_schema --database X runs the command on X, where it looked the schema up.

No ``django_db`` mark here: pytest-django's test case refuses aliases it did not know at start,
so the test unblocks database access itself and works on a second database it creates
(``other``) and drops after; the test database is only read.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from psycopg import sql

from schemaswitch_admin import schema_context
from tests.tenantapp.models import Tag


def run(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def other_database(django_db_setup, django_db_blocker):
    """A second, migrated database under the alias ``other``; dropped afterwards."""
    import psycopg
    from django.db import connections

    settings = connections["default"].settings_dict
    name = settings["NAME"] + "_other"
    admin = {
        "dbname": "postgres",
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "autocommit": True,
    }
    with psycopg.connect(**{k: v for k, v in admin.items() if v is not None}) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connections.settings["other"] = {**settings, "NAME": name}
    unblocked = django_db_blocker.unblock()
    unblocked.__enter__()
    try:
        call_command("migrate", database="other", verbosity=0)
        yield "other"
    finally:
        connections["other"].close()
        del connections["other"]
        del connections.settings["other"]
        unblocked.__exit__(None, None, None)
        with psycopg.connect(**{k: v for k, v in admin.items() if v is not None}) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_run_in_schema_runs_the_command_on_the_database_it_looked_the_schema_up_in(
    other_database,
):
    call_command("create_schema", "only_there", database=other_database, stdout=io.StringIO())
    with schema_context("only_there"):
        Tag.objects.using(other_database).create(name="there")

    out, _err = run(
        "run_in_schema", "--database", other_database, "only_there", "dumpdata", "tenantapp.tag"
    )

    assert '"name": "there"' in out
    with pytest.raises(CommandError, match="has no --database option"):
        run("run_in_schema", "--database", other_database, "only_there", "check")
