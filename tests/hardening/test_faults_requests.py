"""User code that disturbs the connection, on a server with exactly one database connection:
its own ``SET search_path``, a savepoint rollback and a transaction rollback after working in
another schema, an exception in the middle of a transaction. The same connection (same
PostgreSQL backend pid) then serves the next requests, which must each be in their own
schema."""

from __future__ import annotations

import pytest

from .load import Browser
from .servers import server_env, web_server
from .world import ROWS_PER_SCHEMA, built_world, row_name

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def fault_world(django_db_setup, django_db_blocker):
    with built_world(django_db_blocker, "hkf", 4, 12) as made:
        yield made


def rows_of(schema: str) -> list[str]:
    return [row_name(schema, i) for i in range(ROWS_PER_SCHEMA)]


def pick(world):
    """Visitors A and B in different schemas, where A is not a member of B's schema: user
    code of A's requests works in B's schema, so a stale path would show A B's rows."""
    placed = [v for v in world.visitors if v.start is not None]
    for a in placed:
        for b in placed:
            if b.start not in a.schemas and a.start not in b.schemas:
                return a, b
    raise AssertionError("the world has no two visitors in disjoint schemas")


@pytest.mark.parametrize("mode", ["persistent", "pool"])
def test_the_next_request_on_a_disturbed_connection_is_in_its_own_schema(fault_world, mode):
    world, db_name = fault_world
    a, b = pick(world)
    env = server_env(db_name, mode, HK_POOL_MAX="1")
    with web_server("gunicorn", env, workers=1, threads=1) as server:
        browser = Browser(server.port)
        try:
            status, first = browser.get("/hk/conn/", a)
            assert status == 200 and first["rows"] == rows_of(a.start), first
            pid = first["pid"]
            for kind in ("set", "savepoint", "rollback", "raise"):
                status, body = browser.get(f"/hk/sabotage/{kind}/?to={b.start}", a)
                if kind == "raise":
                    assert status == 500, (status, body)
                else:
                    assert status == 200, (kind, status, body, server.log_tail())
                    if kind != "set":
                        assert body["rows"] == rows_of(a.start), (kind, body)
                for visitor in (a, b, a):
                    status, after = browser.get("/hk/conn/", visitor)
                    assert status == 200, (kind, status, after)
                    # Same server connection, own rows (no "doomed" row), own path.
                    assert after["pid"] == pid, (kind, after)
                    assert after["rows"] == rows_of(visitor.start), (kind, visitor, after)
                    assert after["search_path"].startswith(f'"{visitor.start}"'), after
        finally:
            browser.close()


def test_a_backend_keeping_a_stale_path_after_a_savepoint_rollback_is_caught(fault_world):
    """The harness catches the peers' bug: with a backend that trusts its cached path after a
    savepoint rollback, the same request shows the other schema's rows."""
    world, db_name = fault_world
    a, b = pick(world)
    env = server_env(db_name, "persistent", HK_DB_ENGINE="tests.hardening.stale_backend")
    with web_server("gunicorn", env, workers=1, threads=1) as server:
        browser = Browser(server.port)
        try:
            status, body = browser.get(f"/hk/sabotage/savepoint/?to={b.start}", a)
        finally:
            browser.close()
    assert status == 200
    assert body["schema"] == a.start and body["rows"] == rows_of(b.start)
