"""Every invalidation point of the path keeper is needed, and a test catches its removal.

Each mutant is our backend with exactly one point taken out (and, except for the last one,
without the PostgreSQL 18 report, which would otherwise hide the bug). The same scenario that
gives the right rows with the real backend must show another tenant's rows with the mutant:
so removing that point from the real backend would fail this test.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.core.signals import request_started
from django.db import close_old_connections, connection, connections, transaction
from psycopg import sql

from schemaswitch_admin import schema_context
from schemaswitch_admin.backends.postgresql import base
from schemaswitch_admin.backends.postgresql.pathkeeper import PathKeeper, _epoch
from schemaswitch_admin.backends.postgresql.wrapper import SchemaSwitchWrapperMixin
from tests.path_support import server_reports_path
from tests.tenantapp.models import Project

pytestmark = pytest.mark.django_db(transaction=True)


class RulesOnly(base.DatabaseWrapper):
    """The real backend, told not to trust the server's report (as on PostgreSQL < 18)."""

    def get_new_connection(self, conn_params):
        raw = super().get_new_connection(conn_params)
        self.schema_path.connected(raw, trust_reports=False)
        return raw


class NoRollbackForget(RulesOnly):
    def _rollback(self):
        return super(SchemaSwitchWrapperMixin, self)._rollback()


class NoSavepointRollbackForget(RulesOnly):
    def _savepoint_rollback(self, sid):
        known = self.schema_path._known
        super()._savepoint_rollback(sid)
        self.schema_path._known = known


class _EpochBlindKeeper(PathKeeper):
    def before_statement(self):
        self._known_epoch = _epoch[0]
        return super().before_statement()


class NoRequestStartForget(RulesOnly):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema_path = _EpochBlindKeeper(self)


class NoNewConnectionForget(RulesOnly):
    def get_new_connection(self, conn_params):
        known = self.schema_path._known
        raw = super().get_new_connection(conn_params)
        self.schema_path._known, self.schema_path._known_epoch = known, _epoch[0]
        return raw

    def _close(self):
        known = self.schema_path._known
        super()._close()
        self.schema_path._known = known


class NoServerReport(RulesOnly):
    pass


@pytest.fixture
def tenants(schema_factory):
    a, b = schema_factory(), schema_factory()
    for schema in (a, b):
        with schema_context(schema.name):
            Project.objects.create(name=f"row of {schema.name}")
    return a.name, b.name


def wrapper_of(cls, alias, **options):
    settings = {**connection.settings_dict, "CONN_MAX_AGE": 0}
    if options:
        settings["OPTIONS"] = {**settings.get("OPTIONS", {}), **options}
    return cls(settings, alias)


@contextmanager
def registered(wrapper):
    """Make ``wrapper`` reachable by its alias, for ``transaction.atomic(using=...)``."""
    connections[wrapper.alias] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[wrapper.alias]


def read(wrapper, schema):
    with schema_context(schema), wrapper.cursor() as cursor:
        cursor.execute("SELECT name FROM tenantapp_project")
        return [r[0] for r in cursor.fetchall()]


def hand_made_set(wrapper, active, schema):
    """User code, working in ``active``, points the session at ``schema``."""
    with schema_context(active), wrapper.cursor() as cursor:
        cursor.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(schema)))


def after_rollback(cls, a, b):
    with registered(wrapper_of(cls, "m_rollback")) as w:
        read(w, a)  # autocommit: a's path stays on the session
        with pytest.raises(RuntimeError):
            with transaction.atomic(using=w.alias):
                read(w, b)  # SET to b inside the transaction...
                raise RuntimeError  # ...undone by the rollback
        return read(w, b)


def after_savepoint_rollback(cls, a, b):
    with registered(wrapper_of(cls, "m_savepoint")) as w:
        with transaction.atomic(using=w.alias):
            read(w, a)
            with pytest.raises(RuntimeError):
                with transaction.atomic(using=w.alias):
                    read(w, b)
                    raise RuntimeError
            return read(w, b)


def after_a_request_start(cls, a, b):
    w = wrapper_of(cls, "m_request")
    try:
        read(w, a)
        hand_made_set(w, a, b)  # an earlier request's code
        request_started.disconnect(close_old_connections)
        try:
            request_started.send(sender=None)
        finally:
            request_started.connect(close_old_connections)
        return read(w, a)
    finally:
        w.close()


def after_a_pool_checkout(cls, a, b):
    pool = {"pool": {"min_size": 1, "max_size": 1}}
    first, other = wrapper_of(cls, "m_pool", **pool), wrapper_of(cls, "m_pool", **pool)
    try:
        read(first, a)
        first.close()  # back to the pool with a's path
        read(other, b)  # the same physical connection, now with b's path
        other.close()
        return read(first, a)
    finally:
        first.close()
        other.close()
        first.close_pool()


def after_a_hand_made_set(cls, a, b):
    w = wrapper_of(cls, "m_report")
    try:
        read(w, a)
        hand_made_set(w, a, b)
        return read(w, a)
    finally:
        w.close()


CASES = [
    ("rollback", NoRollbackForget, after_rollback, "b"),
    ("savepoint rollback", NoSavepointRollbackForget, after_savepoint_rollback, "b"),
    ("request start", NoRequestStartForget, after_a_request_start, "a"),
    ("new connection or pool checkout", NoNewConnectionForget, after_a_pool_checkout, "a"),
]


@pytest.mark.parametrize(
    ("point", "mutant", "scenario", "wanted"), CASES, ids=[c[0] for c in CASES]
)
def test_each_invalidation_point_is_needed(tenants, point, mutant, scenario, wanted):
    a, b = tenants
    expected = [f"row of {a if wanted == 'a' else b}"]
    assert scenario(RulesOnly, a, b) == expected
    assert scenario(base.DatabaseWrapper, a, b) == expected
    assert scenario(mutant, a, b) != expected, f"without the {point} point nothing fails"


def test_the_server_report_is_what_catches_a_hand_made_set(tenants):
    if not server_reports_path():
        pytest.skip("PostgreSQL < 18 does not report search_path")
    a, b = tenants
    assert after_a_hand_made_set(base.DatabaseWrapper, a, b) == [f"row of {a}"]
    assert after_a_hand_made_set(NoServerReport, a, b) == [f"row of {b}"]
