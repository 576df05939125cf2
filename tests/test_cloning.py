"""A cloned schema is the template under another name: same objects, same names, its own
sequences, references re-pointed into itself, shared references left in public."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg import sql

from schemaswitch_admin import conf, schema_context
from schemaswitch_admin.cloning import (
    SchemaAlreadyExists,
    UnsupportedSchemaObject,
    clear_clone_cache,
    clone_schema,
    drop_pg_schema,
)
from schemaswitch_admin.exceptions import InvalidSchemaName, TemplateSchemaMissing
from schemaswitch_admin.models import Schema
from schemaswitch_admin.testing.factories import SchemaFactory, UserFactory
from tests.tenantapp.models import Note, Project, Tag
from tests.test_activation import HOSTILE_NAMES

pytestmark = pytest.mark.django_db

TEMPLATE = conf.template_schema()

# -- a normalized description of a schema, read from the catalog --------------------------

DESCRIBE = {
    "relations": """
        SELECT c.relname, c.relkind, c.relpersistence, c.reloptions::text
        FROM pg_class c WHERE c.relnamespace = %(nsp)s::regnamespace AND c.relkind <> 't'
    """,
    "columns": """
        SELECT c.relname,
               row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
               a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid),
               a.attcollation::regcollation::text, a.attstorage, a.attcompression
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = %(nsp)s::regnamespace AND c.relkind IN ('r', 'v', 'm')
          AND a.attnum > 0 AND NOT a.attisdropped
    """,
    "constraints": """
        SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid),
               k.condeferrable, k.condeferred, k.convalidated
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE c.relnamespace = %(nsp)s::regnamespace
    """,
    "indexes": """
        SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique, i.indisprimary
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = %(nsp)s::regnamespace
    """,
    "sequences": """
        SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
               s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
               (SELECT d.deptype::text || ' ' || d.refobjid::regclass::text || '.' || a.attname
                FROM pg_depend d JOIN pg_attribute a
                  ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
        FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
        WHERE c.relnamespace = %(nsp)s::regnamespace
    """,
    "views": """
        SELECT c.relname, c.relkind, pg_get_viewdef(c.oid), c.relispopulated
        FROM pg_class c
        WHERE c.relnamespace = %(nsp)s::regnamespace AND c.relkind IN ('v', 'm')
    """,
    "functions": """
        SELECT p.proname, pg_get_functiondef(p.oid)
        FROM pg_proc p WHERE p.pronamespace = %(nsp)s::regnamespace
    """,
    "triggers": """
        SELECT t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %(nsp)s::regnamespace AND NOT t.tgisinternal
    """,
    "types": """
        SELECT t.typname, t.typtype,
               array(SELECT enumlabel FROM pg_enum WHERE enumtypid = t.oid
                     ORDER BY enumsortorder)::text
        FROM pg_type t WHERE t.typnamespace = %(nsp)s::regnamespace
    """,
    "comments": """
        SELECT pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
        FROM pg_description d
        WHERE d.objoid IN (
            SELECT oid FROM pg_class WHERE relnamespace = %(nsp)s::regnamespace
            UNION ALL SELECT k.oid FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                      WHERE c.relnamespace = %(nsp)s::regnamespace
            UNION ALL SELECT oid FROM pg_proc WHERE pronamespace = %(nsp)s::regnamespace
            UNION ALL SELECT oid FROM pg_type WHERE typnamespace = %(nsp)s::regnamespace
            UNION ALL SELECT t.oid FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                      WHERE c.relnamespace = %(nsp)s::regnamespace)
    """,
}


def describe_schema(name: str) -> dict[str, list[tuple]]:
    """Everything a clone must reproduce, printed fully qualified (search_path holds only
    pg_catalog), then with the schema's own name replaced by ``<schema>``: a reference
    that still points at another schema keeps that schema's name and shows up as a
    difference."""
    own_name = re.compile(r'(?<![\w"])"?' + re.escape(name) + r'"?(?=\.)')
    found: dict[str, list[tuple]] = {}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL search_path TO pg_catalog")
        try:
            for key, query in DESCRIBE.items():
                cursor.execute(query, {"nsp": sql.Identifier(name).as_string(None)})
                found[key] = sorted(
                    tuple(own_name.sub("<schema>", v) if isinstance(v, str) else v for v in row)
                    for row in cursor.fetchall()
                )
            cursor.execute(
                sql.SQL("SELECT app, name FROM {} ORDER BY app, name")
                .format(sql.Identifier(name, "django_migrations"))
                .as_string(None)
            )
            found["history"] = cursor.fetchall()
        finally:
            connection.schema_path.forget()
    return found


def fetch(query: sql.Composable | str, *params: object) -> list[tuple]:
    text = query if isinstance(query, str) else query.as_string(None)
    with connection.cursor() as cursor:
        cursor.execute(text, params or None)
        return cursor.fetchall() if cursor.description else []


def pg_schemas() -> set[str]:
    return {row[0] for row in fetch("SELECT nspname FROM pg_namespace")}


def sequence_states(schema: str) -> dict[str, tuple[int, bool]]:
    names = [
        row[0]
        for row in fetch(
            "SELECT relname FROM pg_class WHERE relkind = 'S' "
            "AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s)",
            schema,
        )
    ]
    return {
        name: fetch(
            sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(schema, name))
        )[0]
        for name in names
    }


# -- structure ----------------------------------------------------------------------------


def test_clone_reproduces_every_object_of_the_template_with_the_same_names():
    clone_schema(TEMPLATE, "clone_full")

    template, clone = describe_schema(TEMPLATE), describe_schema("clone_full")

    assert clone == template
    # The comparison is only worth something if the fixture objects are there.
    assert {"tenantapp_legacy", "tenantapp_note_overview", "tenantapp_urgent_note",
            "tenantapp_project_stats", "tenantapp_ticket_seq"} <= {
        r[0] for r in clone["relations"]}
    assert {"tenantapp_note_urgent", "tenantapp_note_title_lower", "note_project_title"} <= {
        r[0] for r in clone["indexes"]}
    assert {"tenantapp_legacy_no_overlap", "tenantapp_legacy_code_unique",
            "tenantapp_legacy_owner_id_fkey", "note_priority_max"} <= {
        r[1] for r in clone["constraints"]}
    assert [t[0] for t in clone["triggers"]] == ["tenantapp_note_logged"]
    assert len(clone["comments"]) == 2
    assert ("tenantapp", "0002_sql_objects") in clone["history"]


def test_cycles_index_references_and_not_valid_constraints_are_reproduced():
    statements = [
        "CREATE TABLE {s}.hen (id int PRIMARY KEY, egg_id int, code text)",
        "CREATE TABLE {s}.egg (id int PRIMARY KEY, hen_id int REFERENCES {s}.hen (id))",
        "ALTER TABLE {s}.hen ADD CONSTRAINT hen_egg FOREIGN KEY (egg_id) REFERENCES {s}.egg",
        "CREATE UNIQUE INDEX hen_code ON {s}.hen (code)",
        "CREATE TABLE {s}.chick (code text REFERENCES {s}.hen (code), n int)",
        "ALTER TABLE {s}.chick ADD CONSTRAINT chick_n CHECK (n > 0) NOT VALID",
        "ALTER TABLE {s}.chick ADD CONSTRAINT chick_code FOREIGN KEY (code) "
        "REFERENCES {s}.hen (code) NOT VALID",
    ]
    for statement in statements:
        fetch(sql.SQL(statement).format(s=sql.Identifier(TEMPLATE)))

    clone_schema(TEMPLATE, "clone_cycle")

    assert describe_schema("clone_cycle") == describe_schema(TEMPLATE)
    assert fetch(
        "SELECT conname, convalidated FROM pg_constraint "
        "WHERE conrelid = 'clone_cycle.chick'::regclass AND contype IN ('c', 'f') "
        "ORDER BY conname"
    ) == [("chick_code", False), ("chick_code_fkey", True), ("chick_n", False)]


def test_serial_and_sequence_defaults_call_the_clones_own_sequences():
    clone_schema(TEMPLATE, "clone_serial")

    rows = fetch(
        """
        SELECT a.attname, s.relname, n.nspname
        FROM pg_attrdef d
        JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid
                          AND dep.refclassid = 'pg_class'::regclass
        JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S'
        JOIN pg_namespace n ON n.oid = s.relnamespace
        WHERE d.adrelid = 'clone_serial.tenantapp_legacy'::regclass
        """
    )
    assert sorted(rows) == [
        ("code", "tenantapp_ticket_seq", "clone_serial"),
        ("counter", "tenantapp_legacy_counter_seq", "clone_serial"),
        ("id", "tenantapp_legacy_id_seq", "clone_serial"),
    ]


def test_identity_columns_get_new_sequences_in_the_clone():
    clone_schema(TEMPLATE, "clone_identity")

    owners = fetch(
        "SELECT pg_get_serial_sequence(%s, 'id'), pg_get_serial_sequence(%s, 'id')",
        "clone_identity.tenantapp_note",
        "clone_identity.tenantapp_note_log",
    )
    assert owners == [
        ("clone_identity.tenantapp_note_id_seq", "clone_identity.tenantapp_note_log_id_seq")
    ]


def test_inserting_into_the_clone_leaves_the_template_sequences_alone():
    clone_schema(TEMPLATE, "clone_insert")
    before = sequence_states(TEMPLATE)

    with schema_context("clone_insert"):
        project = Project.objects.create(name="p")
        Note.objects.create(project=project, title="n")
        fetch("INSERT INTO tenantapp_legacy DEFAULT VALUES RETURNING id, counter, code")

    assert sequence_states(TEMPLATE) == before
    clone = sequence_states("clone_insert")
    for name in ("tenantapp_note_id_seq", "tenantapp_note_log_id_seq",
                 "tenantapp_legacy_id_seq", "tenantapp_legacy_counter_seq"):
        assert clone[name] == (1, True), name
    assert clone["tenantapp_ticket_seq"] == (1000, True)


def test_foreign_keys_point_into_the_clone_or_stay_on_public():
    clone_schema(TEMPLATE, "clone_fk")

    rows = fetch(
        """
        SELECT k.conname, t.relname, tn.nspname
        FROM pg_constraint k
        JOIN pg_class t ON t.oid = k.confrelid
        JOIN pg_namespace tn ON tn.oid = t.relnamespace
        WHERE k.contype = 'f' AND k.conrelid = ANY(ARRAY[
            'clone_fk.tenantapp_legacy'::regclass, 'clone_fk.tenantapp_note'::regclass,
            'clone_fk.tenantapp_project'::regclass])
        """
    )
    targets = {name: (table, schema) for name, table, schema in rows}
    assert targets["tenantapp_legacy_owner_id_fkey"] == ("auth_user", "public")
    assert targets["tenantapp_legacy_project_id_fkey"] == ("tenantapp_project", "clone_fk")
    note_fk = next(v for k, v in targets.items() if k.startswith("tenantapp_note_project"))
    assert note_fk == ("tenantapp_project", "clone_fk")
    owner_fk = next(v for k, v in targets.items() if k.startswith("tenantapp_project_owner"))
    assert owner_fk == ("auth_user", "public")


def test_trigger_check_and_views_use_the_clones_functions_and_tables():
    clone_schema(TEMPLATE, "clone_refs")

    trigger_function = fetch(
        "SELECT p.pronamespace::regnamespace::text FROM pg_trigger t "
        "JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE t.tgrelid = 'clone_refs.tenantapp_note'::regclass AND NOT t.tgisinternal"
    )
    check_function = fetch(
        "SELECT DISTINCT p.pronamespace::regnamespace::text FROM pg_constraint k "
        "JOIN pg_depend d ON d.classid = 'pg_constraint'::regclass AND d.objid = k.oid "
        "JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid "
        "WHERE k.conname = 'tenantapp_legacy_code_format' "
        "AND k.conrelid = 'clone_refs.tenantapp_legacy'::regclass"
    )
    view_sources = fetch(
        "SELECT DISTINCT v.relname, s.relnamespace::regnamespace::text FROM pg_class v "
        "JOIN pg_rewrite r ON r.ev_class = v.oid "
        "JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
        "JOIN pg_class s ON d.refclassid = 'pg_class'::regclass AND s.oid = d.refobjid "
        "WHERE v.relnamespace = 'clone_refs'::regnamespace AND s.oid <> v.oid"
    )
    assert trigger_function == [("clone_refs",)]
    assert check_function == [("clone_refs",)]
    assert {schema for _view, schema in view_sources} == {"clone_refs"}
    assert {view for view, _schema in view_sources} == {
        "tenantapp_note_overview", "tenantapp_urgent_note", "tenantapp_project_stats"}


def test_trigger_writes_to_the_clones_table():
    clone_schema(TEMPLATE, "clone_trigger")

    with schema_context("clone_trigger"):
        Note.objects.create(project=Project.objects.create(name="p"), title="n")
        logged = fetch("SELECT count(*) FROM tenantapp_note_log")[0][0]
    template_logged = fetch(
        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(TEMPLATE, "tenantapp_note_log"))
    )[0][0]
    assert (logged, template_logged) == (1, 0)


def test_clone_copies_the_migration_history_and_moves_its_sequence():
    clone_schema(TEMPLATE, "clone_history")

    history = fetch("SELECT app, name FROM clone_history.django_migrations ORDER BY id")
    template_history = fetch(
        sql.SQL("SELECT app, name FROM {} ORDER BY id").format(
            sql.Identifier(TEMPLATE, "django_migrations")
        )
    )
    assert history == template_history
    assert ("tenantapp", "0002_sql_objects") in history
    new_id, top = fetch(
        "INSERT INTO clone_history.django_migrations (app, name, applied) "
        "VALUES ('x', 'y', now()) RETURNING id, (SELECT max(id) FROM "
        "clone_history.django_migrations)"
    )[0]
    assert new_id > top


def test_two_clones_hold_different_rows():
    first, second = SchemaFactory(), SchemaFactory()

    with schema_context(first.name):
        Project.objects.create(name="only in first")
    with schema_context(second.name):
        Project.objects.create(name="only in second")
        assert list(Project.objects.values_list("name", flat=True)) == ["only in second"]
    with schema_context(first.name):
        assert list(Project.objects.values_list("name", flat=True)) == ["only in first"]


def test_clone_inside_an_active_schema_leaves_queries_in_that_schema():
    tenant = SchemaFactory()
    with schema_context(tenant.name):
        Project.objects.create(name="mine")
        clone_schema(TEMPLATE, "clone_while_active")
        assert list(Project.objects.values_list("name", flat=True)) == ["mine"]


# -- copying data -------------------------------------------------------------------------


def _fill(schema: str) -> None:
    with schema_context(schema):
        user = UserFactory()
        projects = [Project.objects.create(name=f"p{i}", owner=user) for i in range(3)]
        tag = Tag.objects.create(name="t")
        for i, project in enumerate(projects):
            note = Note.objects.create(project=project, title=f"n{i}", priority=i * 4)
            note.tags.add(tag)
        # A row inserted with an explicit id beyond its sequence: the copy must move past it.
        Project.objects.create(id=500, name="explicit")
        fetch(
            "INSERT INTO tenantapp_legacy (owner_id, project_id) VALUES (%s, %s), (NULL, %s)",
            user.pk, projects[0].pk, projects[1].pk,
        )
        fetch("SELECT nextval('tenantapp_ticket_seq'), nextval('tenantapp_ticket_seq')")
        fetch("REFRESH MATERIALIZED VIEW tenantapp_project_stats")


def _rows(schema: str, table: str) -> list[tuple]:
    return fetch(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(schema, table)))


def test_with_data_copies_rows_and_moves_sequences_past_them():
    source = Schema.objects.create_schema("data_source")
    _fill(source.name)

    copy = Schema.objects.create_schema("data_copy", source=source.name, with_data=True)

    for table in ("tenantapp_project", "tenantapp_note", "tenantapp_note_tags",
                  "tenantapp_tag", "tenantapp_legacy", "tenantapp_note_log",
                  "tenantapp_project_stats", "django_migrations"):
        assert _rows(copy.name, table) == _rows(source.name, table), table
    assert sequence_states(copy.name) == {
        **sequence_states(source.name),
        "tenantapp_project_id_seq": (500, True),
    }
    with schema_context(copy.name):
        project = Project.objects.create(name="after copy")
        note = Note.objects.create(project=project, title="after copy")
        legacy = fetch("INSERT INTO tenantapp_legacy DEFAULT VALUES RETURNING id, code")[0]
    assert project.pk == 501
    assert note.pk == 4
    assert legacy == (3, "L1020")
    assert describe_schema(copy.name) == describe_schema(source.name)


def test_without_data_a_tenant_source_gives_empty_tables():
    source = SchemaFactory()
    _fill(source.name)

    clone_schema(source.name, "empty_copy")

    assert _rows("empty_copy", "tenantapp_project") == []
    assert _rows("empty_copy", "tenantapp_legacy") == []
    assert len(_rows("empty_copy", "django_migrations")) == len(
        _rows(source.name, "django_migrations")
    )
    with schema_context("empty_copy"):
        assert Project.objects.create(name="first").pk == 1


# -- refusals and failures ----------------------------------------------------------------


def test_cloning_onto_an_existing_schema_fails_and_changes_nothing():
    existing = SchemaFactory()
    with schema_context(existing.name):
        Project.objects.create(name="keep me")
    before, schemas = describe_schema(existing.name), pg_schemas()

    with pytest.raises(SchemaAlreadyExists, match=existing.name):
        clone_schema(TEMPLATE, existing.name)

    assert describe_schema(existing.name) == before
    assert pg_schemas() == schemas
    with schema_context(existing.name):
        assert list(Project.objects.values_list("name", flat=True)) == ["keep me"]


def test_a_failed_clone_leaves_the_callers_transaction_usable():
    SchemaFactory(name="taken")
    with transaction.atomic():
        with pytest.raises(SchemaAlreadyExists):
            clone_schema(TEMPLATE, "taken")
        clone_schema(TEMPLATE, "after_failure")
    assert {"taken", "after_failure"} <= pg_schemas()


def test_a_schema_without_row_blocks_create_schema_and_no_row_is_left():
    clone_schema(TEMPLATE, "orphan")

    with pytest.raises(IntegrityError):
        Schema.objects.create_schema("orphan")

    assert not Schema.objects.filter(name="orphan").exists()


def test_clone_rolls_back_with_the_callers_transaction():
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        clone_schema(TEMPLATE, "rolled_back")
        raise Abort

    assert "rolled_back" not in pg_schemas()


@pytest.mark.parametrize(
    "name", [*HOSTILE_NAMES, "pg_x", "public", "information_schema", TEMPLATE]
)
def test_invalid_and_hostile_target_names_create_nothing(name):
    before = pg_schemas()

    with CaptureQueriesContext(connection) as queries, pytest.raises(InvalidSchemaName):
        clone_schema(TEMPLATE, name)

    assert len(queries) == 0
    assert pg_schemas() == before


@pytest.mark.parametrize("name", ['x"; DROP SCHEMA public CASCADE; --', "Public", "a;b"])
def test_invalid_source_names_are_refused(name):
    with pytest.raises(InvalidSchemaName):
        clone_schema(name, "never_made")
    assert "never_made" not in pg_schemas()


def test_a_missing_template_says_to_run_migrate(settings):
    settings.SCHEMASWITCH_TEMPLATE_SCHEMA = "__not_migrated__"

    with pytest.raises(TemplateSchemaMissing, match="migrate"):
        clone_schema("__not_migrated__", "never_made")

    assert "never_made" not in pg_schemas()


def test_a_missing_source_schema_is_reported():
    with pytest.raises(TemplateSchemaMissing, match="no_such_source"):
        clone_schema("no_such_source", "never_made")


def test_unsupported_objects_in_the_source_refuse_the_clone():
    fetch(
        sql.SQL("CREATE DOMAIN {} AS integer CHECK (VALUE > 0)").format(
            sql.Identifier(TEMPLATE, "positive")
        )
    )

    with pytest.raises(UnsupportedSchemaObject, match="positive"):
        clone_schema(TEMPLATE, "never_made")

    assert "never_made" not in pg_schemas()


@pytest.mark.parametrize("name", ["public", TEMPLATE, "pg_catalog", "information_schema"])
def test_drop_pg_schema_refuses_shared_and_template_schemas(name):
    with pytest.raises(InvalidSchemaName):
        drop_pg_schema(name)
    assert name in pg_schemas()


def test_drop_pg_schema_drops_everything_in_the_schema():
    clone_schema(TEMPLATE, "to_drop")

    drop_pg_schema("to_drop")
    drop_pg_schema("to_drop")  # a retry after a half-finished drop is harmless

    assert "to_drop" not in pg_schemas()


def test_schema_drop_removes_the_clone_and_the_row():
    schema = Schema.objects.create_schema("dropped_end_to_end")

    schema.drop()

    assert "dropped_end_to_end" not in pg_schemas()
    assert not Schema.objects.filter(name="dropped_end_to_end").exists()


# -- the cached script --------------------------------------------------------------------


def test_template_changes_reach_the_next_clone():
    clone_schema(TEMPLATE, "before_change")
    tag = sql.Identifier(TEMPLATE, "tenantapp_tag")
    fetch(sql.SQL("ALTER TABLE {} ADD COLUMN colour text DEFAULT 'red'").format(tag))
    fetch(sql.SQL("CREATE INDEX tag_colour ON {} (colour)").format(tag))
    fetch(sql.SQL("COMMENT ON COLUMN {}.colour IS 'new'").format(tag))
    fetch(
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {}(value text) RETURNS boolean "
            "LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT value ~ '^L[0-9]{{2,}}$' $$"
        ).format(sql.Identifier(TEMPLATE, "tenantapp_is_code"))
    )
    fetch(sql.SQL("CREATE TABLE {} (a integer)").format(sql.Identifier(TEMPLATE, "extra")))
    clone_schema(TEMPLATE, "after_change")
    # Changed again in the same transaction, in a row this very transaction wrote.
    fetch(
        sql.SQL("ALTER TABLE {} RENAME COLUMN a TO b").format(
            sql.Identifier(TEMPLATE, "extra")
        )
    )
    clone_schema(TEMPLATE, "after_second_change")

    template = describe_schema(TEMPLATE)
    assert describe_schema("after_second_change") == template
    assert describe_schema("after_change") != template
    assert describe_schema("before_change") != describe_schema("after_change")


def _cached_clone_queries(prefix: str) -> list[dict]:
    clone_schema(TEMPLATE, f"{prefix}_warm")
    fetch("SELECT 1")  # the backend re-sends its search_path after a clone, once
    with CaptureQueriesContext(connection) as queries:
        clone_schema(TEMPLATE, prefix)
    return list(queries)


def test_a_cached_clone_costs_the_same_few_queries_however_big_the_template():
    small = _cached_clone_queries("small")
    for i in range(5):
        fetch(
            sql.SQL("CREATE TABLE {} (id bigint PRIMARY KEY, label text UNIQUE)").format(
                sql.Identifier(TEMPLATE, f"extra_{i}")
            )
        )
    big = _cached_clone_queries("big")

    # Savepoint, fingerprint, the whole script in one message, savepoint release.
    assert len(small) == len(big) == 4
    assert "extra_4" in big[2]["sql"] and "extra_4" not in small[2]["sql"]


def _uncached_clone_queries(name: str) -> list[dict]:
    clear_clone_cache()
    fetch("SELECT 1")
    with CaptureQueriesContext(connection) as queries:
        clone_schema(TEMPLATE, name)
    return list(queries)


def test_reading_the_template_costs_one_statement_per_kind_of_object_however_many_objects():
    small = _uncached_clone_queries("read_small")
    for i in range(4):
        table = sql.Identifier(TEMPLATE, f"more_{i}")
        fetch(
            sql.SQL(
                "CREATE TABLE {} (id serial PRIMARY KEY, parent integer REFERENCES {}, "
                "label text UNIQUE CHECK (label <> ''))"
            ).format(table, table)
        )
        fetch(sql.SQL("CREATE INDEX {} ON {} (lower(label))").format(
            sql.Identifier(f"more_{i}_lower"), table))
        fetch(sql.SQL("CREATE VIEW {} AS SELECT id FROM {}").format(
            sql.Identifier(TEMPLATE, f"more_{i}_ids"), table))
        fetch(sql.SQL("CREATE TYPE {} AS ENUM ('a')").format(
            sql.Identifier(TEMPLATE, f"more_{i}_kind")))
        fetch(sql.SQL("CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql "
                      "AS 'BEGIN RETURN NEW; END'").format(
            sql.Identifier(TEMPLATE, f"more_{i}_touch")))
        fetch(sql.SQL("CREATE TRIGGER touch BEFORE UPDATE ON {} FOR EACH ROW "
                      "EXECUTE FUNCTION {}()").format(
            table, sql.Identifier(TEMPLATE, f"more_{i}_touch")))
        fetch(sql.SQL("CREATE RULE keep AS ON DELETE TO {} DO INSTEAD NOTHING").format(table))
        fetch(sql.SQL("COMMENT ON COLUMN {}.label IS 'shown'").format(table))
    big = _uncached_clone_queries("read_big")

    # Savepoint, fingerprint, the source on the path, 12 reads (unsupported objects,
    # relations, columns, constraints, enums, functions, sequences, view references, indexes,
    # triggers, rules, comments), the script, savepoint release.
    assert len(small) == len(big) == 17
    assert "more_3_ids" in big[-2]["sql"]
    assert describe_schema("read_big") == describe_schema(TEMPLATE)


def test_a_function_pinned_to_the_source_search_path_is_pinned_to_the_clone():
    fetch(
        sql.SQL(
            "CREATE FUNCTION {}() RETURNS bigint LANGUAGE sql SET search_path TO {}, public "
            "AS 'SELECT count(*) FROM tenantapp_project'"
        ).format(sql.Identifier(TEMPLATE, "project_count"), sql.Identifier(TEMPLATE))
    )

    clone_schema(TEMPLATE, "clone_pinned")

    assert fetch(
        "SELECT proconfig FROM pg_proc WHERE proname = 'project_count' "
        "AND pronamespace = 'clone_pinned'::regnamespace"
    ) == [(["search_path=clone_pinned, public"],)]


# -- two processes, one name --------------------------------------------------------------


def _in_thread(target, *args):
    errors: list[BaseException] = []

    def run():
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _wait_for_lock_wait(thread, errors, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert thread.is_alive(), errors
        # The test runs in a transaction, where pg_stat_activity is read once and cached.
        fetch("SELECT pg_stat_clear_snapshot()")
        waiting = fetch(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )[0][0]
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the second creator never waited for the first")


def test_two_processes_creating_one_schema_one_wins_the_other_gets_a_clear_error():
    name = "raced_schema"
    created, release = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            clone_schema(TEMPLATE, name)
            created.set()
            release.wait(30)

    def second():
        created.wait(30)
        clone_schema(TEMPLATE, name)

    one, one_errors = _in_thread(first)
    try:
        created.wait(30)
        two, two_errors = _in_thread(second)
        _wait_for_lock_wait(two, two_errors)
        release.set()
        one.join(30)
        two.join(30)
        assert one_errors == []
        assert len(two_errors) == 1 and isinstance(two_errors[0], SchemaAlreadyExists)
        assert fetch(
            "SELECT count(*) FROM pg_class WHERE relnamespace = %s::regnamespace", name
        )[0][0] == fetch(
            "SELECT count(*) FROM pg_class WHERE relnamespace = %s::regnamespace", TEMPLATE
        )[0][0]
    finally:
        release.set()
        cleanup, _errors = _in_thread(drop_pg_schema, name)
        cleanup.join(30)
