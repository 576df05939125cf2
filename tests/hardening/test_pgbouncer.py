"""PgBouncer (Debian's package) in front of PostgreSQL.

* Transaction pooling hands a session-level ``SET search_path`` to whichever client gets the
  server connection next. Our backend caches the path it set per client connection, so
  through a transaction pooler a client reads *another tenant's rows*: shown below with two
  of our connections and one server connection. Transaction (and statement) pooling is
  therefore not supported.
* Session pooling gives each client one server connection for its whole session and runs
  ``server_reset_query`` (``DISCARD ALL``) before handing it to another client: safe, shown
  below with the same sequence.
* A pooler is visible from the client: the process id in the connection's BackendKeyData is
  the pooler's, not the server backend's.
"""

from __future__ import annotations

import pytest
from django.db import connection
from psycopg import sql

from schemaswitch_admin import schema_context
from schemaswitch_admin.backends.postgresql.base import DatabaseWrapper

from . import report
from .bouncer import pgbouncer, require_pgbouncer, version

pytestmark = pytest.mark.slow

DB = "hk_bouncer"
TENANTS = ["hk_a", "hk_b"]


@pytest.fixture(scope="module")
def tenant_db(pg_cluster):
    """Two schemas whose only rows name them; no Django migrations needed."""
    require_pgbouncer()
    pg_cluster.create_database(DB)
    with pg_cluster.connect(DB, autocommit=True) as conn:
        for name in TENANTS:
            ident = sql.Identifier(name)
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(ident))
            conn.execute(sql.SQL("CREATE TABLE {}.t (name text)").format(ident))
            conn.execute(sql.SQL("INSERT INTO {}.t VALUES (%s)").format(ident), [name])
        version_num = conn.info.server_version
        reported = conn.info.parameter_status("search_path")
    report.note(
        f"PgBouncer: {version()}; PostgreSQL {version_num // 10000} reports search_path to "
        f"clients (GUC_REPORT): {'yes' if reported is not None else 'no'}"
    )
    return pg_cluster


def our_connection(port: int, alias: str) -> DatabaseWrapper:
    settings = {
        **connection.settings_dict,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "NAME": DB,
        "USER": "postgres",
        "PASSWORD": "",
        "OPTIONS": {},
        "CONN_MAX_AGE": 0,
    }
    return DatabaseWrapper(settings, alias)


def read(wrapper: DatabaseWrapper, schema: str) -> list[str]:
    with schema_context(schema), wrapper.cursor() as cursor:
        cursor.execute("SELECT name FROM t")
        return [r[0] for r in cursor.fetchall()]


def interleave(port: int) -> tuple[list[str], list[str], list[str]]:
    """Client A reads in hk_a, client B in hk_b, client A again in hk_a."""
    a, b = our_connection(port, "hk_client_a"), our_connection(port, "hk_client_b")
    try:
        first = read(a, "hk_a")
        other = read(b, "hk_b")
        again = read(a, "hk_a")
    finally:
        a.close()
        b.close()
    return first, other, again


def test_transaction_pooling_hands_one_clients_set_to_the_next(tenant_db):
    import psycopg

    with pgbouncer(tenant_db, DB, mode="transaction", pool_size=1) as port:
        params = {"host": "127.0.0.1", "port": port, "user": "postgres", "dbname": DB}
        with (
            psycopg.connect(autocommit=True, **params) as one,
            psycopg.connect(autocommit=True, **params) as two,
        ):
            one.execute("SET search_path TO hk_a")
            # The second client never chose a path, yet it reads hk_a's rows.
            assert two.execute("SELECT name FROM t").fetchall() == [("hk_a",)]


def test_our_backend_refuses_a_transaction_pooler(tenant_db, django_db_blocker):
    from django.core.exceptions import ImproperlyConfigured

    with (
        django_db_blocker.unblock(),
        pgbouncer(tenant_db, DB, mode="transaction", pool_size=1) as port,
    ):
        wrapper = our_connection(port, "hk_refused")
        with pytest.raises(ImproperlyConfigured, match="connection pooler"):
            read(wrapper, "hk_a")
        wrapper.close()


def test_transaction_pooling_makes_our_backend_read_another_tenants_rows(
    tenant_db, django_db_blocker, settings
):
    # An operator who wrongly declares the transaction pooler a session pooler gets the leak
    # that the refusal above prevents.
    settings.SCHEMASWITCH_POOLER = "session"
    with (
        django_db_blocker.unblock(),
        pgbouncer(tenant_db, DB, mode="transaction", pool_size=1) as port,
    ):
        first, other, again = interleave(port)
    assert first == ["hk_a"] and other == ["hk_b"]
    # Client A's connection "knows" it holds hk_a's path and sends no SET; the server
    # connection it got holds B's path: A reads B's rows. This is why it is refused.
    assert again == ["hk_b"]
    report.note(
        "PgBouncer transaction mode, two clients of our backend, one server connection: "
        f"client A in hk_a read {again} (leak reproduced)."
    )


def test_session_pooling_keeps_each_client_in_its_schema(
    tenant_db, django_db_blocker, settings
):
    settings.SCHEMASWITCH_POOLER = "session"
    with django_db_blocker.unblock(), pgbouncer(tenant_db, DB, mode="session", pool_size=2) as port:
        first, other, again = interleave(port)
        # A server connection reused by a new client session starts clean (DISCARD ALL).
        second_round = interleave(port)
    assert (first, other, again) == (["hk_a"], ["hk_b"], ["hk_a"])
    assert second_round == (["hk_a"], ["hk_b"], ["hk_a"])


@pytest.mark.parametrize("mode", ["transaction", "session"])
def test_a_pooler_shows_in_the_backend_key_data(tenant_db, mode):
    """The check a backend could run once per new connection to refuse transaction pooling
    (or ask the operator to confirm session pooling): compare the pid the connection was
    told at startup with the pid of the backend that runs its queries."""
    import psycopg

    with tenant_db.connect(DB) as direct:
        (pid,) = direct.execute("SELECT pg_backend_pid()").fetchone()
        assert direct.info.backend_pid == pid
    with pgbouncer(tenant_db, DB, mode=mode, pool_size=1) as port:
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname=DB) as pooled:
            (pid,) = pooled.execute("SELECT pg_backend_pid()").fetchone()
            assert pooled.info.backend_pid != pid


# -- transaction mode declared: the path travels with every transaction -------------------


def transaction_mode_connection(port: int, alias: str) -> DatabaseWrapper:
    wrapper = our_connection(port, alias)
    wrapper.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    return wrapper


def test_declared_transaction_mode_keeps_each_client_in_its_schema(
    tenant_db, django_db_blocker, settings
):
    settings.SCHEMASWITCH_POOLER = "transaction"
    with (
        django_db_blocker.unblock(),
        pgbouncer(tenant_db, DB, mode="transaction", pool_size=1) as port,
    ):
        a = transaction_mode_connection(port, "hk_tx_a")
        b = transaction_mode_connection(port, "hk_tx_b")
        try:
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(a) as sent_by_a:
                rounds = [(read(a, "hk_a"), read(b, "hk_b"), read(a, "hk_a")) for _ in range(3)]
            # A session-level path never reaches the server: a plain client reads nothing
            # of any tenant (its path is the server's default).
            import psycopg

            with psycopg.connect(
                host="127.0.0.1", port=port, user="postgres", dbname=DB, autocommit=True
            ) as plain:
                (path,) = plain.execute("SHOW search_path").fetchone()
        finally:
            a.close()
            b.close()
    assert rounds == [(["hk_a"], ["hk_b"], ["hk_a"])] * 3
    assert "hk_" not in path
    # One message per query: the path rides with it (no extra round trip), set for the
    # statement's own implicit transaction only.
    assert len(sent_by_a) == 6
    carried = "SELECT pg_catalog.set_config('search_path', '\"hk_a\", \"public\"', true); "
    assert all(q["sql"].startswith(carried) for q in sent_by_a.captured_queries)


def test_declared_transaction_mode_carries_the_path_in_explicit_transactions(
    tenant_db, django_db_blocker, settings
):
    from django.db import connections, transaction

    settings.SCHEMASWITCH_POOLER = "transaction"
    with (
        django_db_blocker.unblock(),
        pgbouncer(tenant_db, DB, mode="transaction", pool_size=1) as port,
    ):
        a = transaction_mode_connection(port, "hk_tx_atomic")
        connections["hk_tx_atomic"] = a
        try:
            with transaction.atomic(using="hk_tx_atomic"):
                first = read(a, "hk_a")
                second = read(a, "hk_b")  # a switch inside the transaction
                with pytest.raises(RuntimeError):
                    with transaction.atomic(using="hk_tx_atomic"):
                        read(a, "hk_b")
                        raise RuntimeError
                third = read(a, "hk_a")
            after = read(a, "hk_b")
        finally:
            a.close()
            del connections["hk_tx_atomic"]
    assert (first, second, third, after) == (["hk_a"], ["hk_b"], ["hk_a"], ["hk_b"])


def test_statement_mode_is_refused_with_a_clear_error(tenant_db, django_db_blocker, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.SCHEMASWITCH_POOLER = "transaction"
    with (
        django_db_blocker.unblock(),
        pgbouncer(tenant_db, DB, mode="statement", pool_size=1) as port,
    ):
        wrapper = transaction_mode_connection(port, "hk_statement")
        with pytest.raises(ImproperlyConfigured, match="statement mode"):
            read(wrapper, "hk_a")
        wrapper.close()


def test_transaction_mode_needs_server_side_cursors_off(tenant_db, django_db_blocker, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.SCHEMASWITCH_POOLER = "transaction"
    with (
        django_db_blocker.unblock(),
        pgbouncer(tenant_db, DB, mode="transaction", pool_size=1) as port,
    ):
        wrapper = our_connection(port, "hk_ssc")
        with pytest.raises(ImproperlyConfigured, match="DISABLE_SERVER_SIDE_CURSORS"):
            read(wrapper, "hk_a")
        wrapper.close()


def test_declared_transaction_mode_works_on_a_direct_connection(
    tenant_db, django_db_blocker, settings
):
    settings.SCHEMASWITCH_POOLER = "transaction"
    with django_db_blocker.unblock():
        direct = transaction_mode_connection(tenant_db.port, "hk_tx_direct")
        try:
            assert (read(direct, "hk_a"), read(direct, "hk_b")) == (["hk_a"], ["hk_b"])
        finally:
            direct.close()
