"""The web process as a PostgreSQL role that owns nothing and may only use the schemas'
tables; migrations and schema creation run as the owner role (here the test's own role).
Even code that skips the middleware then cannot create objects in ``public`` or any schema
(the CVE-2018-1058 pattern: shadowing functions or tables for other roles)."""

from __future__ import annotations

import http.client
import json
import os
from urllib.parse import urlencode

import psycopg
import pytest
from django.db import connection
from psycopg import errors, sql

from schemaswitch_admin.models import Schema

from . import report
from .load import run_load
from .privileges import database_statements, default_statements, schema_statements
from .servers import server_env, web_server
from .world import ROWS_PER_SCHEMA, build, destroy, row_name

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

WEB = f"hk_web_{os.getpid()}"
BARE = f"hk_bare_{os.getpid()}"


def execute(statements) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        db = connection.settings_dict["NAME"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            (owner,) = cursor.fetchone()
        world = build("hkp", n_schemas=4, n_users=8)
        execute([sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(WEB))])
        execute(database_statements(db, WEB))
        for schema in ["public", *world.schemas]:
            execute(schema_statements(schema, WEB))
        execute(default_statements(owner, WEB))
    try:
        yield world, db, owner
    finally:
        with django_db_blocker.unblock():
            destroy(world)
            for name in Schema.objects.filter(name__startswith="hkp_new").values_list(
                "name", flat=True
            ):
                Schema.objects.get(name=name).drop()
            for role in (WEB, BARE):
                r = sql.Identifier(role)
                execute(
                    [
                        sql.SQL(
                            "DO $$BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = {}) "
                            "THEN EXECUTE {}; EXECUTE {}; END IF; END$$"
                        ).format(
                            sql.Literal(role),
                            sql.Literal(sql.SQL("DROP OWNED BY {}").format(r).as_string(None)),
                            sql.Literal(sql.SQL("DROP ROLE {}").format(r).as_string(None)),
                        )
                    ]
                )
            execute(
                [
                    sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO PUBLIC").format(
                        sql.Identifier(db)
                    )
                ]
            )


def connect_as(role: str, db: str) -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or None, port=s["PORT"] or None, user=role, dbname=db, autocommit=True
    )


FORBIDDEN = [
    # CVE-2018-1058: a function in public shadowing a built-in for everyone using the path.
    "CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql AS 'SELECT $1'",
    "CREATE TABLE public.hk_shadow (id int)",
    'CREATE TABLE "hkp_00".hk_shadow (id int)',
    'CREATE VIEW "hkp_00".hk_view AS SELECT 1',
    "CREATE SCHEMA hk_evil",
    "CREATE TEMP TABLE hk_temp (id int)",
    'DROP TABLE "hkp_00".tenantapp_project',
    "ALTER TABLE public.auth_user ADD COLUMN hk int",
    "TRUNCATE public.auth_user",
    "SELECT count(*) FROM __template__.tenantapp_project",
]


@pytest.mark.parametrize("statement", FORBIDDEN)
def test_the_web_role_cannot_create_alter_or_drop(site, statement):
    _, db, _ = site
    with connect_as(WEB, db) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)


def test_the_web_role_owns_nothing_and_may_use_the_tables(site):
    world, db, _ = site
    with connect_as(WEB, db) as conn:
        (owned,) = conn.execute(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
            " + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)"
            " + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)"
            " FROM pg_roles r WHERE r.rolname = current_user"
        ).fetchone()
        assert owned == 0
        (create_public,) = conn.execute(
            "SELECT has_schema_privilege('public', 'CREATE')"
        ).fetchone()
        assert create_public is False
        schema = sql.Identifier(world.schemas[0])
        rows = conn.execute(
            sql.SQL("SELECT name FROM {}.tenantapp_project ORDER BY name").format(schema)
        ).fetchall()
        assert [r[0] for r in rows] == [
            row_name(world.schemas[0], i) for i in range(ROWS_PER_SCHEMA)
        ]


def test_a_clone_made_by_the_owner_is_usable_through_default_privileges(site):
    """Cloning copies structure, not grants: a role granted on the template alone gets
    nothing in a new schema, while the owner's default privileges cover it at once."""
    _, db, _ = site
    execute([sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(BARE))])
    execute(database_statements(db, BARE))
    execute(schema_statements("__template__", BARE))
    Schema.objects.create_schema("hkp_new")
    # The test's transaction holds the new schema; commit-free check from this connection:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_schema_privilege(%s, 'hkp_new', 'USAGE'), "
            "has_table_privilege(%s, 'hkp_new.tenantapp_project', 'INSERT'), "
            "has_schema_privilege(%s, 'hkp_new', 'USAGE'), "
            "has_table_privilege(%s, 'hkp_new.tenantapp_project', 'SELECT'), "
            "has_schema_privilege(%s, 'hkp_new', 'CREATE')",
            [WEB, WEB, BARE, BARE, WEB],
        )
        web_usage, web_insert, bare_usage, bare_select, web_create = cursor.fetchone()
    assert (web_usage, web_insert) == (True, True)
    assert (bare_usage, bare_select) == (False, False)
    assert web_create is False


class Session:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def send(self, method: str, path: str, data: dict | None = None, **headers: str):
        body = urlencode(data) if data is not None else None
        headers = {"Accept": "application/json", **headers}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            if value.startswith("sessionid="):
                self.cookie = value.split(";", 1)[0]
        return response.status, json.loads(payload) if payload[:1] == b"{" else payload


def rows(schema: str) -> list[str]:
    return [row_name(schema, i) for i in range(ROWS_PER_SCHEMA)]


def test_a_whole_request_flow_works_as_the_web_role(site):
    world, db, _ = site
    visitor = next(v for v in world.visitors if 2 <= len(v.schemas) < len(world.schemas))
    first, second = visitor.schemas[:2]
    foreign = next(s for s in world.schemas if s not in visitor.schemas)
    env = server_env(db, "persistent", HK_DB_USER=WEB)
    with web_server("gunicorn", env, workers=1, threads=2) as server:
        # The soak's mix (own SET, rollbacks, refused switches) as the web role.
        outcome = run_load(server.port, world, total=240, concurrency=4, seed=5)
        # A fresh login, a switch, a write, another switch, a refusal, the chooser.
        s = Session(server.port)
        status, _ = s.send(
            "POST", "/hk/login/", {"username": visitor.username, "password": visitor.password}
        )
        assert status == 200, server.log_tail()
        status, body = s.send("GET", "/hk/rows/", **{"X-Change-Schema": first})
        assert status == 200 and body["rows"] == rows(first), body
        # The header on a GET bound that request only: the write names its schema too.
        status, body = s.send("POST", f"/hk/add/?__schema={first}", {})
        assert status == 200 and body["added"].startswith(f"{first}|added"), server.log_tail()
        status, body = s.send("GET", "/hk/rows/", **{"X-Change-Schema": second})
        assert status == 200 and body["rows"] == rows(second), body
        status, body = s.send("GET", "/hk/rows/", **{"X-Change-Schema": foreign})
        assert status == 403 and "rows" not in body
        status, body = s.send("GET", "/schemas/choose/")
        assert status == 200 and {x["name"] for x in body["schemas"]} == set(visitor.schemas)
        s.conn.close()
        log = server.log_tail()
    report.record("gunicorn, persistent, least-privilege web role", outcome)
    assert outcome.errors == outcome.leaks == outcome.wrong == 0, outcome.detail() + log
