"""Commands interrupted or racing: ``migrate`` killed with SIGKILL half-way over 20 schemas
and re-run; two processes creating the same schema at the same moment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection, transaction
from psycopg import sql

from schemaswitch_admin.models import Membership, Schema
from schemaswitch_admin.testing.factories import UserFactory

from .conftest import django_subprocess
from .servers import ROOT, stop_group

pytestmark = pytest.mark.slow

SCHEMAS = [f"hkm_{i:02d}" for i in range(20)]
STALL_AT = "hkm_10"


def server_params() -> dict:
    s = connection.settings_dict
    return {
        "host": s["HOST"] or None,
        "port": s["PORT"] or None,
        "user": s["USER"] or None,
        "password": s["PASSWORD"] or None,
    }


@contextmanager
def scratch_database(name: str):
    """A database of its own on the test server, dropped afterwards (a killed migrate must
    not leave the shared test database half-migrated)."""
    ident = sql.Identifier(name)
    with psycopg.connect(dbname="postgres", autocommit=True, **server_params()) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(ident))
    try:
        yield name
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server_params()) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def migration_state(dbname: str) -> dict[str, tuple[bool, list[str]]]:
    """Per schema: whether 0002 is recorded, and the labels of migrapp's rows."""
    state = {}
    with psycopg.connect(dbname=dbname, autocommit=True, **server_params()) as conn:
        for schema in ["__template__", *SCHEMAS]:
            (recorded,) = conn.execute(
                sql.SQL(
                    "SELECT count(*) FROM {}.django_migrations "
                    "WHERE app = 'migrapp' AND name = '0002_stall'"
                ).format(sql.Identifier(schema))
            ).fetchone()
            labels = [
                r[0]
                for r in conn.execute(
                    sql.SQL("SELECT label FROM {}.migrapp_item ORDER BY id").format(
                        sql.Identifier(schema)
                    )
                )
            ]
            state[schema] = (bool(recorded), labels)
    return state


def test_migrate_killed_half_way_resumes_and_completes_every_schema(tmp_path):
    dbname = os.environ.get("SCHEMASWITCH_TEST_DB", "test_schemaswitch") + "_hkmig"
    with scratch_database(dbname):
        env = {"SCHEMASWITCH_DB_NAME": dbname, "DJANGO_SETTINGS_MODULE": "tests.settings"}
        django_subprocess(["-m", "django", "migrate", "-v", "0"], env)
        django_subprocess(
            ["-m", "tests.hardening.world", "schemas", "--prefix", "hkm", "--schemas", "20"], env
        )
        marker = tmp_path / "stalled"
        slow_env = {
            **os.environ,
            **env,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.hardening.migrate_settings",
            "HK_STALL_SCHEMA": STALL_AT,
            "HK_STALL_MARKER": str(marker),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "django", "migrate"],
            cwd=ROOT,
            env=slow_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 90
            while not marker.exists():
                assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
                assert time.monotonic() < deadline, "migrate never reached the stalling schema"
                time.sleep(0.05)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
        finally:
            stop_group(proc)
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL

        # PostgreSQL rolled back the schema that was being migrated; the ones before it
        # (in name order, after the template) are done, the ones after it untouched.
        state = migration_state(dbname)
        done = ["__template__", *SCHEMAS[: SCHEMAS.index(STALL_AT)]]
        for schema, (recorded, labels) in state.items():
            if schema in done:
                assert recorded and labels == [f"0002 in {schema}"], (schema, state[schema])
            else:
                assert not recorded and labels == [], (schema, state[schema])

        rerun = django_subprocess(
            ["-m", "django", "migrate"],
            {**env, "DJANGO_SETTINGS_MODULE": "tests.hardening.migrate_settings"},
        )
        state = migration_state(dbname)
        # Every schema migrated exactly once: no schema ran the data migration twice.
        assert state == {s: (True, [f"0002 in {s}"]) for s in state}, rerun.stdout[-2000:]
        assert "10 migrated, 11 up to date, 0 failed" in rerun.stdout, rerun.stdout[-2000:]


def waiting_inserts() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = %s AND NOT l.granted",
            [Schema._meta.db_table],
        )
        return cursor.fetchone()[0]


def schema_tables(name: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'S', 'i')",
            [name],
        )
        return {r[0] for r in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_two_processes_creating_the_same_schema_one_wins_the_other_gets_a_clear_error():
    name = "hk_race"
    first, second = UserFactory(), UserFactory()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SCHEMASWITCH_DB_NAME": connection.settings_dict["NAME"],
    }
    procs = []
    try:
        # Both processes pass their "does it exist?" check, then queue behind this lock at
        # their INSERT; releasing it lets them race for real.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(
                        sql.Identifier(Schema._meta.db_table)
                    )
                )
            for user in (first, second):
                procs.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "django",
                            "create_schema",
                            name,
                            "--member",
                            user.username,
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                        start_new_session=True,
                    )  # fmt: skip
                )
            deadline = time.monotonic() + 60
            while waiting_inserts() < 2:
                assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
                assert time.monotonic() < deadline, "the two creators never queued up"
                time.sleep(0.05)
        outputs = [p.communicate(timeout=60) for p in procs]
        results = [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]
    finally:
        for p in procs:
            stop_group(p)
    try:
        codes = sorted(r[0] for r in results)
        assert codes == [0, 1], results
        winner = first if results[0][0] == 0 else second
        loser_err = next(err for code, _, err in results if code == 1)
        assert name in loser_err and "was not created" in loser_err, loser_err
        assert "Traceback" not in loser_err, loser_err
        print("loser:", loser_err.strip())
        # Nothing half-made: one row, the winner's membership only, a complete schema.
        assert Schema.objects.filter(name=name).count() == 1
        members = set(Membership.objects.filter(schema__name=name).values_list("user", flat=True))
        assert members == {winner.pk}
        assert schema_tables(name) == schema_tables("__template__")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
