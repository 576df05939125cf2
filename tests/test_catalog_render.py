"""The clone script rendered from a catalog built by hand: every kind of object, the quoting of
odd names and the order objects are created in, without a PostgreSQL server.

The fidelity tests (test_cloning.py) prove that a real clone matches its source; these pin
the text and the order of what the renderers write, so a change to one renderer shows here
as the exact statement it changed.
"""

from __future__ import annotations

import dataclasses

import pytest
from psycopg import sql

from schemaswitch_admin.catalog import TARGET, Catalog, CloneScript, render_script
from schemaswitch_admin.catalog.model import (
    Column,
    Comment,
    Constraint,
    EnumType,
    Function,
    FunctionSetting,
    Index,
    Relation,
    Rule,
    Sequence,
    Trigger,
)
from schemaswitch_admin.catalog.ordering import (
    Stage,
    bare_table_order,
    function_stage,
    view_order,
)
from schemaswitch_admin.catalog.render_comments import render_comments
from schemaswitch_admin.catalog.render_constraints import render_foreign_keys
from schemaswitch_admin.catalog.render_functions import render_functions
from schemaswitch_admin.catalog.render_indexes import render_indexes
from schemaswitch_admin.catalog.render_rules import render_rules
from schemaswitch_admin.catalog.render_sequences import identity_clauses, render_sequences
from schemaswitch_admin.catalog.render_tables import render_table_alterations, render_tables
from schemaswitch_admin.catalog.render_triggers import render_triggers
from schemaswitch_admin.catalog.render_types import render_types
from schemaswitch_admin.catalog.render_views import render_views
from schemaswitch_admin.catalog.script import SECTIONS, Statement

SOURCE = "src"
HISTORY = "django_migrations"


# -- helpers ----------------------------------------------------------------------------------


def text(statement: Statement, target: str = "tgt") -> str:
    """One statement as it runs for ``target``."""
    return sql.Composed(
        [
            sql.Identifier(target)
            if piece is TARGET
            else piece
            if isinstance(piece, sql.Composable)
            else sql.SQL(piece)
            for piece in statement.pieces
        ]
    ).as_string(None)


def by_section(statements: list[Statement]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for statement in statements:
        found.setdefault(statement.section, []).append(text(statement))
    return found


def script(catalog: Catalog, *, with_data: bool, target: str = "tgt") -> str:
    return render_script(catalog, HISTORY).compose(target, with_data=with_data).as_string(None)


def before(script_text: str, first: str, then: str) -> bool:
    assert first in script_text, first
    assert then in script_text, then
    return script_text.index(first) < script_text.index(then)


def integer(attnum: int, name: str, **kwargs: object) -> Column:
    return Column(attnum, name, "integer", "integer", **kwargs)


def table(oid: int, name: str, *columns: Column, **kwargs: object) -> Relation:
    return Relation(oid, name, "r", columns=columns, **kwargs)


def primary_key(oid: int, table_oid: int, index: int, column: str = "id") -> Constraint:
    return Constraint(oid, f"pk_{table_oid}", "p", table_oid, f"PRIMARY KEY ({column})",
                      key_index=index)


def foreign_key(
    oid: int, table_oid: int, referenced: int, index: int, **kwargs: object
) -> Constraint:
    return Constraint(
        oid, f"fk_{table_oid}_{referenced}", "f", table_oid,
        f"FOREIGN KEY (ref) REFERENCES t{referenced}(id)",
        referenced=referenced, key_index=index, **kwargs,
    )


def function(oid: int, name: str, **kwargs: object) -> Function:
    fields: dict[str, object] = {
        "kind": "f",
        "language": "sql",
        "arguments": "",
        "identity_arguments": "",
        "result": "integer",
        "source": "SELECT 1",
    }
    fields.update(kwargs)
    return Function(oid, name, **fields)


# -- types ------------------------------------------------------------------------------------


def test_an_enum_is_created_early_in_the_target_with_its_labels_quoted():
    catalog = Catalog(SOURCE, types=(EnumType(1, "mood", ("sad", "it's ok")),))

    assert by_section(render_types(catalog)) == {
        "early": ["""CREATE TYPE "tgt"."mood" AS ENUM ('sad', 'it''s ok')"""]
    }


# -- functions --------------------------------------------------------------------------------


def test_a_function_keeps_every_attribute_and_its_body_as_a_literal():
    fn = function(
        1, "score", arguments="value text DEFAULT 'x'", result="SETOF integer",
        volatility="i", strict=True, leakproof=True, parallel="s", cost=5.0,
        returns_set=True, rows=20.0, security_definer=True,
        settings=(FunctionSetting("work_mem", "64MB"),), source="SELECT 'it''s'",
    )

    assert [text(s) for s in render_functions(Catalog(SOURCE, functions=(fn,)), Stage.EARLY)] == [
        """CREATE FUNCTION "tgt"."score"(value text DEFAULT 'x') RETURNS SETOF integer """
        """LANGUAGE "sql" IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE COST 5.0 ROWS 20.0 """
        """SECURITY DEFINER SET "work_mem" TO '64MB' AS 'SELECT ''it''''s'''"""
    ]


def test_procedures_window_c_and_sql_body_functions_get_their_own_forms():
    catalog = Catalog(SOURCE, functions=(
        function(1, "do_it", kind="p", arguments="n integer", language="plpgsql",
                 source="BEGIN END"),
        function(2, "win", kind="w", language="c", binary="$libdir/win", source="win_sym"),
        function(3, "body", sql_body="BEGIN ATOMIC\n SELECT 1;\nEND"),
    ))

    assert [text(s) for s in render_functions(catalog, Stage.EARLY)] == [
        """CREATE PROCEDURE "tgt"."do_it"(n integer) LANGUAGE "plpgsql" AS 'BEGIN END'""",
        """CREATE FUNCTION "tgt"."win"() RETURNS integer LANGUAGE "c" WINDOW VOLATILE """
        """CALLED ON NULL INPUT PARALLEL UNSAFE COST 100.0 AS '$libdir/win', 'win_sym'""",
        """CREATE FUNCTION "tgt"."body"() RETURNS integer LANGUAGE "sql" VOLATILE """
        """CALLED ON NULL INPUT PARALLEL UNSAFE COST 100.0 BEGIN ATOMIC\n SELECT 1;\nEND""",
    ]


def test_a_search_path_pinned_to_the_source_is_pinned_to_the_target():
    catalog = Catalog(SOURCE, functions=(
        function(1, "pinned", settings=(
            FunctionSetting("search_path", "src, public", (SOURCE, "public", "Other One")),
        )),
        function(2, "emptied", settings=(FunctionSetting("search_path", '""', ()),)),
    ))

    pinned, emptied = (text(s, target="new one") for s in render_functions(catalog, Stage.EARLY))

    assert 'SET search_path TO "new one", "public", "Other One" AS' in pinned
    assert "src" not in pinned.split(" AS ")[0]
    assert "SET search_path TO '' AS" in emptied


def test_a_function_is_created_at_the_stage_its_row_types_allow():
    catalog = Catalog(SOURCE, functions=(
        function(1, "plain"),
        function(2, "of_table", uses_row_type="table"),
        function(3, "of_view", uses_row_type="view"),
    ))

    assert [function_stage(f) for f in catalog.functions] == [
        Stage.EARLY, Stage.AFTER_TABLES, Stage.AFTER_VIEWS,
    ]
    assert [(s.section, text(s).split("(")[0]) for stage in Stage
            for s in render_functions(catalog, stage)] == [
        ("early", 'CREATE FUNCTION "tgt"."plain"'),
        ("after_tables", 'CREATE FUNCTION "tgt"."of_table"'),
        ("views", 'CREATE FUNCTION "tgt"."of_view"'),
    ]


# -- sequences --------------------------------------------------------------------------------

ITEMS = table(10, "items", integer(1, "id", not_null=True, identity="a"),
              integer(2, "number", expression="nextval('items_number_seq'::regclass)"),
              Column(3, "code", "text", "text"))


def sequence(oid: int, name: str, **kwargs: object) -> Sequence:
    fields: dict[str, object] = {"type": "bigint", "start": 1, "increment": 1, "minimum": 1,
                                 "maximum": 9223372036854775807, "cache": 1}
    fields.update(kwargs)
    return Sequence(oid, name, **fields)


def test_a_standalone_sequence_is_created_early_and_reset_to_the_sources_position():
    catalog = Catalog(SOURCE, sequences=(
        sequence(20, "tickets", type="integer", start=1000, increment=5, maximum=2147483647,
                 cache=3, cycle=True, unlogged=True),
    ))

    assert by_section(render_sequences(catalog, HISTORY)) == {
        "early": ['CREATE UNLOGGED SEQUENCE "tgt"."tickets" AS integer INCREMENT BY 5 '
                  "MINVALUE 1 MAXVALUE 2147483647 START WITH 1000 CACHE 3 CYCLE"],
        "reset_data": ["""SELECT pg_catalog.setval('"tickets"', s.last_value, s.is_called) """
                       'FROM "src"."tickets" s'],
    }


def test_a_sequence_owned_by_a_column_is_tied_to_it_and_moved_past_the_copied_rows():
    catalog = Catalog(SOURCE, relations=(ITEMS,), sequences=(
        sequence(21, "items_number_seq", ownership="a", owner_table=10, owner_column=2),
    ))

    found = by_section(render_sequences(catalog, HISTORY))

    assert found["early"] == ['CREATE SEQUENCE "tgt"."items_number_seq" AS bigint INCREMENT BY 1 '
                              "MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1 "
                              "NO CYCLE"]
    assert found["after_tables"] == [
        'ALTER SEQUENCE "tgt"."items_number_seq" OWNED BY "tgt"."items"."number"'
    ]
    assert found["reset_data"] == [
        """SELECT pg_catalog.setval('"items_number_seq"', GREATEST(s.last_value, m.top), """
        "s.is_called OR coalesce(m.top >= s.last_value, false)) "
        'FROM "src"."items_number_seq" s, (SELECT max("number") AS top FROM "tgt"."items") m'
    ]
    assert "reset_bare" not in found


def test_an_identity_sequence_is_made_by_its_column_with_the_sources_name_and_options():
    catalog = Catalog(SOURCE, relations=(ITEMS,), sequences=(
        sequence(22, "old_items_id_seq", increment=2, ownership="i", owner_table=10,
                 owner_column=1),
    ))

    found = by_section(render_sequences(catalog, HISTORY))
    order = bare_table_order(catalog)
    tables = by_section(render_tables(catalog, order, HISTORY, identity_clauses(catalog)))
    alterations = by_section(render_table_alterations(catalog, order))

    assert "early" not in found and "after_tables" not in found
    # Declared with the column (unqualified: PostgreSQL makes it in the table's schema), in
    # both forms of CREATE TABLE; a clone with rows overrides it to keep the rows' ids.
    identity = (
        '"id" integer GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME "old_items_id_seq" '
        "INCREMENT BY 2 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1 "
        'NO CYCLE) NOT NULL, "number" integer, "code" text'
    )
    assert tables["tables_bare"] == tables["tables_data"] == [
        f'CREATE TABLE "tgt"."items" ({identity})'
    ]
    assert tables["rows"] == [
        'INSERT INTO "tgt"."items" ("id", "number", "code") OVERRIDING SYSTEM VALUE '
        'SELECT "id", "number", "code" FROM "src"."items"'
    ]
    assert alterations["alter_data"] == alterations["alter_bare"] == [
        """ALTER TABLE "tgt"."items" ALTER COLUMN "number" SET DEFAULT """
        """nextval('items_number_seq'::regclass)"""
    ]
    assert "GREATEST" in found["reset_data"][0]


def test_only_the_history_tables_sequence_is_reset_in_a_bare_clone():
    history = table(11, HISTORY, Column(1, "id", "bigint", "bigint", identity="d"))
    catalog = Catalog(SOURCE, relations=(ITEMS, history), sequences=(
        sequence(23, "history_id_seq", ownership="i", owner_table=11, owner_column=1),
        sequence(24, "items_id_seq", ownership="i", owner_table=10, owner_column=1),
    ))

    found = by_section(render_sequences(catalog, HISTORY))

    assert len(found["reset_data"]) == 2
    assert found["reset_bare"] == [found["reset_data"][0]]
    assert '"tgt"."django_migrations"' in found["reset_bare"][0]


def test_a_sequence_owned_elsewhere_or_counting_down_is_set_to_the_sources_position_only():
    text_column = table(12, "labels", Column(1, "label", "text", "text"))
    catalog = Catalog(SOURCE, relations=(ITEMS, text_column), sequences=(
        sequence(25, "foreign_owner", ownership="a", owner_table=999, owner_column=1),
        sequence(26, "down", increment=-1, ownership="a", owner_table=10, owner_column=2),
        sequence(27, "on_text", ownership="a", owner_table=12, owner_column=1),
    ))

    found = by_section(render_sequences(catalog, HISTORY))

    assert len(found["early"]) == 3
    assert found["after_tables"] == [
        'ALTER SEQUENCE "tgt"."down" OWNED BY "tgt"."items"."number"',
        'ALTER SEQUENCE "tgt"."on_text" OWNED BY "tgt"."labels"."label"',
    ]
    assert all("GREATEST" not in reset for reset in found["reset_data"])


# -- tables, columns, rows --------------------------------------------------------------------


def test_columns_keep_type_collation_compression_generation_and_named_not_null():
    catalog = Catalog(SOURCE, relations=(table(
        10, "people",
        Column(1, "name", "character varying(20)", "character varying", not_null=True,
               not_null_name="people_name_not_null", collation=("pg_catalog", "C"),
               compression="l"),
        Column(2, "upper", "text", "text", generated="s", expression="upper((name)::text)"),
        Column(3, "mood", "mood", "mood", own_type=True),
        unlogged=True, options=(("fillfactor", "70"),),
    ),))

    found = by_section(render_tables(catalog, bare_table_order(catalog), HISTORY, {}))

    create = ('CREATE UNLOGGED TABLE "tgt"."people" ("name" character varying(20) '
              'COLLATE "pg_catalog"."C" COMPRESSION lz4 CONSTRAINT "people_name_not_null" '
              'NOT NULL, "upper" text GENERATED ALWAYS AS (upper((name)::text)) STORED, '
              """"mood" mood) WITH ("fillfactor" = '70')""")
    assert found["tables_bare"] == found["tables_data"] == [create]
    assert found["rows"] == [
        'INSERT INTO "tgt"."people" ("name", "mood") SELECT "name", "mood"::text::mood '
        'FROM "src"."people"'
    ]
    assert "history" not in found


def test_every_clone_copies_the_migration_history_and_a_table_of_generated_columns_is_skipped():
    catalog = Catalog(SOURCE, relations=(
        table(10, HISTORY, integer(1, "id"), Column(2, "app", "text", "text")),
        table(11, "derived", Column(1, "g", "integer", "integer", generated="s",
                                    expression="1")),
    ))

    found = by_section(render_tables(catalog, bare_table_order(catalog), HISTORY, {}))

    copy = 'INSERT INTO "tgt"."django_migrations" ("id", "app") SELECT "id", "app" ' \
           'FROM "src"."django_migrations"'
    assert found["rows"] == found["history"] == [copy]


def test_defaults_storage_and_keys_come_after_the_rows_in_one_alter_table():
    people = table(
        10, "people",
        integer(1, "id", not_null=True),
        Column(2, "bio", "text", "text", expression="''::text", storage="m"),
    )
    catalog = Catalog(SOURCE, relations=(people, table(11, "empty", integer(1, "x"))),
                      constraints=(
                          primary_key(30, 10, index=40),
                          Constraint(31, "bio_short", "c", 10, "CHECK (length(bio) < 10)",
                                     validated=False),
                      ))
    order = bare_table_order(catalog)

    found = by_section(render_table_alterations(catalog, order))
    tables = by_section(render_tables(catalog, order, HISTORY, {}))

    actions = ("""ALTER TABLE "tgt"."people" ALTER COLUMN "bio" SET DEFAULT ''::text, """
               'ALTER COLUMN "bio" SET STORAGE MAIN')
    assert found["alter_data"] == [
        actions + ', ADD CONSTRAINT "pk_10" PRIMARY KEY (id), '
        'ADD CONSTRAINT "bio_short" CHECK (length(bio) < 10)'
    ]
    # The key is declared inline; a check that is NOT VALID cannot be.
    assert found["alter_bare"] == [
        actions + ', ADD CONSTRAINT "bio_short" CHECK (length(bio) < 10)'
    ]
    assert tables["tables_bare"][0].endswith(
        '"id" integer NOT NULL, "bio" text, CONSTRAINT "pk_10" PRIMARY KEY (id))'
    )
    assert tables["tables_data"][0].endswith('"id" integer NOT NULL, "bio" text)')


# -- foreign keys and table order -------------------------------------------------------------


def test_a_bare_clone_creates_a_referenced_table_first_and_declares_the_key_inline():
    child = table(10, "child", integer(1, "id"), integer(2, "ref"))
    parent = table(11, "parent", integer(1, "id"))
    catalog = Catalog(SOURCE, relations=(child, parent), constraints=(
        primary_key(30, 10, index=40),
        primary_key(31, 11, index=41),
        foreign_key(32, 10, 11, index=41),
    ))

    order = bare_table_order(catalog)
    bare = script(catalog, with_data=False)
    data = script(catalog, with_data=True)

    assert [t.name for t in order.tables] == ["parent", "child"]
    assert order.inline == {30, 31, 32}
    assert before(bare, 'CREATE TABLE "tgt"."parent"', 'CREATE TABLE "tgt"."child"')
    assert 'CONSTRAINT "fk_10_11" FOREIGN KEY' in bare and "ADD CONSTRAINT" not in bare
    # With rows: catalog order, and the key is added after the rows and the indexes.
    assert before(data, 'CREATE TABLE "tgt"."child"', 'CREATE TABLE "tgt"."parent"')
    assert before(data, 'INSERT INTO "tgt"."parent"', 'ADD CONSTRAINT "fk_10_11"')
    assert before(data, 'ADD CONSTRAINT "pk_11"', 'ADD CONSTRAINT "fk_10_11"')


def test_a_cycle_of_foreign_keys_keeps_creation_order_and_adds_the_forward_key_later():
    a = table(10, "a", integer(1, "id"), integer(2, "ref"))
    b = table(11, "b", integer(1, "id"), integer(2, "ref"))
    catalog = Catalog(SOURCE, relations=(a, b), constraints=(
        primary_key(30, 10, index=40),
        primary_key(31, 11, index=41),
        foreign_key(32, 10, 11, index=41),
        foreign_key(33, 11, 10, index=40),
    ))

    order = bare_table_order(catalog)
    found = by_section(render_foreign_keys(catalog, order))

    assert [t.name for t in order.tables] == ["a", "b"]
    assert order.inline == {30, 31, 33}
    assert found["fk_bare"] == [
        'ALTER TABLE "tgt"."a" ADD CONSTRAINT "fk_10_11" FOREIGN KEY (ref) REFERENCES t11(id)'
    ]
    assert len(found["fk_data"]) == 2


def test_self_references_and_keys_to_other_schemas_are_inline_but_not_invalid_ones():
    tree = table(10, "tree", integer(1, "id"), integer(2, "ref"))
    catalog = Catalog(SOURCE, relations=(tree,), constraints=(
        primary_key(30, 10, index=40),
        foreign_key(31, 10, 10, index=40),
        foreign_key(32, 10, 999, index=77),
        foreign_key(33, 10, 999, index=77, validated=False),
        # Relies on a unique index that is not a key: cannot be declared before it exists.
        foreign_key(34, 10, 10, index=55),
    ))

    assert bare_table_order(catalog).inline == {30, 31, 32}


def test_checks_stay_out_of_create_table_when_a_function_may_come_after_the_tables():
    t = table(10, "t", integer(1, "id"))
    check = Constraint(30, "positive", "c", 10, "CHECK (id > 0)")
    plain = Catalog(SOURCE, relations=(t,), constraints=(check,),
                    functions=(function(1, "f"),))
    late = dataclasses.replace(plain, functions=(function(1, "f", uses_row_type="table"),))

    assert bare_table_order(plain).inline == {30}
    assert bare_table_order(late).inline == frozenset()


# -- views ------------------------------------------------------------------------------------


def test_a_view_on_a_view_comes_after_it_whatever_their_oids():
    on_top = Relation(10, "on_top", "v", definition=" SELECT x FROM below;")
    below = Relation(11, "below", "v", definition=" SELECT 1 AS x;")
    matview = Relation(12, "stats", "m", definition=" SELECT x FROM on_top;", populated=False,
                       options=(("fillfactor", "50"),))
    catalog = Catalog(SOURCE, relations=(on_top, below, matview),
                      view_references=((10, 11), (12, 10), (12, 500)))

    views = view_order(catalog)

    assert [v.name for v in views] == ["below", "on_top", "stats"]
    assert [text(s) for s in render_views(views)] == [
        'CREATE VIEW "tgt"."below" AS  SELECT 1 AS x',
        'CREATE VIEW "tgt"."on_top" AS  SELECT x FROM below',
        """CREATE MATERIALIZED VIEW "tgt"."stats" WITH ("fillfactor" = '50') AS  """
        "SELECT x FROM on_top WITH NO DATA",
    ]


def test_views_come_after_the_keys_and_before_the_functions_that_use_their_row_type():
    t = table(10, "t", integer(1, "id"))
    catalog = Catalog(
        SOURCE,
        relations=(t, Relation(11, "v", "v", definition="SELECT id FROM t GROUP BY id")),
        constraints=(primary_key(30, 10, index=40),),
        functions=(function(1, "of_view", uses_row_type="view", result="SETOF v"),
                   function(2, "of_table", uses_row_type="table", result="SETOF t")),
    )

    data = script(catalog, with_data=True)

    assert before(data, 'CREATE FUNCTION "tgt"."of_table"', 'ADD CONSTRAINT "pk_10"')
    assert before(data, 'ADD CONSTRAINT "pk_10"', 'CREATE VIEW "tgt"."v"')
    assert before(data, 'CREATE VIEW "tgt"."v"', 'CREATE FUNCTION "tgt"."of_view"')


# -- indexes, triggers, rules -----------------------------------------------------------------


def test_indexes_triggers_and_rules_use_the_deparsed_text_and_triggers_keep_their_state():
    t = table(10, "t", integer(1, "id"))
    catalog = Catalog(
        SOURCE,
        relations=(t,),
        indexes=(Index(40, 10, "CREATE INDEX t_id ON t USING btree (id)"),),
        triggers=(
            Trigger(50, "plain", 10, "CREATE TRIGGER plain AFTER INSERT ON t FOR EACH ROW "
                    "EXECUTE FUNCTION f()"),
            Trigger(51, "Off Switch", 10, "CREATE TRIGGER \"Off Switch\" ...", state="D"),
            Trigger(52, "always", 10, "CREATE TRIGGER always ...", state="A"),
            Trigger(53, "replica", 10, "CREATE TRIGGER replica ...", state="R"),
        ),
        rules=(Rule(60, "keep", 10, "CREATE RULE keep AS ON DELETE TO t DO INSTEAD NOTHING;\n"),),
    )

    assert by_section(render_indexes(catalog)) == {
        "indexes": ["CREATE INDEX t_id ON t USING btree (id)"]
    }
    assert by_section(render_triggers(catalog))["finish"] == [
        "CREATE TRIGGER plain AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        'CREATE TRIGGER "Off Switch" ...',
        'ALTER TABLE "tgt"."t" DISABLE TRIGGER "Off Switch"',
        "CREATE TRIGGER always ...",
        'ALTER TABLE "tgt"."t" ENABLE ALWAYS TRIGGER "always"',
        "CREATE TRIGGER replica ...",
        'ALTER TABLE "tgt"."t" ENABLE REPLICA TRIGGER "replica"',
    ]
    assert by_section(render_rules(catalog)) == {
        "finish": ["CREATE RULE keep AS ON DELETE TO t DO INSTEAD NOTHING"]
    }


def test_a_trigger_function_is_created_before_the_table_and_its_trigger_after_the_rows():
    catalog = Catalog(
        SOURCE,
        relations=(table(10, "t", integer(1, "id")),),
        functions=(function(1, "touch", result="trigger", language="plpgsql",
                            source="BEGIN RETURN NEW; END"),),
        triggers=(Trigger(50, "touching", 10, "CREATE TRIGGER touching BEFORE UPDATE ON t "
                          "FOR EACH ROW EXECUTE FUNCTION touch()"),),
    )

    for with_data in (False, True):
        full = script(catalog, with_data=with_data)
        assert before(full, 'CREATE FUNCTION "tgt"."touch"', 'CREATE TABLE "tgt"."t"')
        assert before(full, 'CREATE TABLE "tgt"."t"', "CREATE TRIGGER touching")
    assert before(script(catalog, with_data=True), 'INSERT INTO "tgt"."t"',
                  "CREATE TRIGGER touching")


def test_a_serial_sequence_exists_before_its_table_and_is_owned_and_moved_after_it():
    catalog = Catalog(SOURCE, relations=(ITEMS,), sequences=(
        sequence(21, "items_number_seq", ownership="a", owner_table=10, owner_column=2),
    ))

    bare = script(catalog, with_data=False)
    data = script(catalog, with_data=True)

    assert before(bare, 'CREATE SEQUENCE "tgt"."items_number_seq"', 'CREATE TABLE "tgt"."items"')
    assert before(bare, 'CREATE TABLE "tgt"."items"', "OWNED BY")
    assert before(bare, "OWNED BY", "SET DEFAULT nextval")
    assert "setval" not in bare
    assert before(data, "OWNED BY", 'INSERT INTO "tgt"."items"')
    assert before(data, 'INSERT INTO "tgt"."items"', "pg_catalog.setval")


# -- comments ---------------------------------------------------------------------------------


def test_comments_name_each_object_in_the_target_and_skip_unknown_ones():
    t = table(10, "t", integer(1, "id"))
    catalog = Catalog(
        SOURCE,
        relations=(t, Relation(11, "t_seq", "S"), Relation(12, "t_idx", "i"),
                   Relation(13, "stats", "m", definition="SELECT 1")),
        constraints=(Constraint(30, "id_not_null", "n", 10, "NOT NULL id"),),
        types=(EnumType(2, "mood", ("a",)),),
        functions=(function(3, "f", identity_arguments="a integer, b text"),),
        triggers=(Trigger(50, "trg", 10, "CREATE TRIGGER trg ..."),),
        rules=(Rule(60, "keep", 10, "CREATE RULE keep ..."),),
        comments=(
            Comment("pg_class", 10, 0, "the table"),
            Comment("pg_class", 10, 1, "it's the id"),
            Comment("pg_class", 10, 7, "a dropped column"),
            Comment("pg_class", 11, 0, "seq"),
            Comment("pg_class", 12, 0, "idx"),
            Comment("pg_class", 13, 0, "mat"),
            Comment("pg_constraint", 30, 0, "con"),
            Comment("pg_type", 2, 0, "type"),
            Comment("pg_proc", 3, 0, "fn"),
            Comment("pg_trigger", 50, 0, "trg"),
            Comment("pg_rewrite", 60, 0, "rule"),
            Comment("pg_proc", 999, 0, "not in the schema"),
            Comment("pg_largeobject", 10, 0, "another catalog"),
        ),
    )

    assert by_section(render_comments(catalog)) == {"finish": [
        """COMMENT ON TABLE "tgt"."t" IS 'the table'""",
        """COMMENT ON COLUMN "tgt"."t"."id" IS 'it''s the id'""",
        """COMMENT ON SEQUENCE "tgt"."t_seq" IS 'seq'""",
        """COMMENT ON INDEX "tgt"."t_idx" IS 'idx'""",
        """COMMENT ON MATERIALIZED VIEW "tgt"."stats" IS 'mat'""",
        """COMMENT ON CONSTRAINT "id_not_null" ON "tgt"."t" IS 'con'""",
        """COMMENT ON TYPE "tgt"."mood" IS 'type'""",
        """COMMENT ON ROUTINE "tgt"."f"(a integer, b text) IS 'fn'""",
        """COMMENT ON TRIGGER "trg" ON "tgt"."t" IS 'trg'""",
        """COMMENT ON RULE "keep" ON "tgt"."t" IS 'rule'""",
    ]}


# -- odd names and the script as a whole ------------------------------------------------------

ODD = 'Odd "Name"; DROP TABLE x; --'


def test_odd_names_are_quoted_as_identifiers_everywhere_the_renderers_write_them():
    odd_table = table(10, ODD, integer(1, ODD, expression="0"), Column(2, "é", "text", "text"))
    catalog = Catalog(
        ODD,
        relations=(odd_table, Relation(11, ODD + " v", "v", definition="SELECT 1")),
        constraints=(Constraint(30, ODD, "p", 10, "PRIMARY KEY (x)", key_index=40),),
        types=(EnumType(2, ODD, (ODD,)),),
        functions=(function(3, ODD, language=ODD),),
        sequences=(sequence(21, ODD, ownership="a", owner_table=10, owner_column=1),),
        triggers=(Trigger(50, ODD, 10, "CREATE TRIGGER ...", state="D"),),
        comments=(Comment("pg_class", 10, 2, ODD),),
    )
    quoted = '"Odd ""Name""; DROP TABLE x; --"'
    target = 'new "one"'

    bare = script(catalog, with_data=False, target=target)
    data = script(catalog, with_data=True, target=target)

    in_target = f'"new ""one""".{quoted}'
    for expected in (
        f"CREATE SCHEMA {in_target.split('.')[0]}",
        f"CREATE TYPE {in_target} AS ENUM ('Odd \"Name\"; DROP TABLE x; --')",
        f"CREATE FUNCTION {in_target}() RETURNS integer LANGUAGE {quoted}",
        f"CREATE SEQUENCE {in_target} AS bigint",
        f"CREATE TABLE {in_target} ({quoted} integer, \"é\" text, CONSTRAINT {quoted} PRIMARY",
        f"ALTER SEQUENCE {in_target} OWNED BY {in_target}.{quoted}",
        f"ALTER TABLE {in_target} ALTER COLUMN {quoted} SET DEFAULT 0",
        'CREATE VIEW "new ""one"""."Odd ""Name""; DROP TABLE x; -- v" AS SELECT 1',
        f"ALTER TABLE {in_target} DISABLE TRIGGER {quoted}",
        f"COMMENT ON COLUMN {in_target}.\"é\" IS 'Odd \"Name\"; DROP TABLE x; --'",
    ):
        assert expected in bare
    assert f"INSERT INTO {in_target} ({quoted}, \"é\") SELECT {quoted}, \"é\" " \
           f"FROM {quoted}.{quoted}" in data
    assert f"""pg_catalog.setval('{quoted.replace("'", "''")}'""" in data
    assert f"FROM {quoted}.{quoted} s, (SELECT max({quoted}) AS top FROM {in_target}) m" in data


def test_the_script_starts_in_the_target_and_each_clone_runs_only_its_own_sections():
    catalog = Catalog(
        SOURCE,
        relations=(table(10, "t", integer(1, "id")),
                   table(11, HISTORY, integer(1, "id"))),
        constraints=(primary_key(30, 10, index=40),),
    )
    rendered = render_script(catalog, HISTORY)

    bare = rendered.compose("tgt", with_data=False).as_string(None)
    data = rendered.compose("tgt", with_data=True).as_string(None)

    head = ('CREATE SCHEMA "tgt";\nSET LOCAL search_path TO "tgt";\n'
            "SET LOCAL check_function_bodies TO off;\n")
    assert bare.startswith(head) and data.startswith(head)
    assert 'INSERT INTO "tgt"."t"' in data and 'INSERT INTO "tgt"."t"' not in bare
    assert bare.count('INSERT INTO "tgt"."django_migrations"') == 1
    assert data.count('INSERT INTO "tgt"."django_migrations"') == 1
    assert 'ADD CONSTRAINT "pk_10"' in data and 'ADD CONSTRAINT "pk_10"' not in bare
    assert list(rendered.sections) == [name for name, _runs in SECTIONS]


def test_a_built_script_cannot_be_changed_and_statements_name_known_sections_only():
    rendered = CloneScript.build([Statement("early", ("SELECT 1",))], None)

    assert rendered.sections["early"] == (("SELECT 1;\n",),)
    with pytest.raises(TypeError):
        rendered.sections["early"] = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rendered.sections = {}
    with pytest.raises(ValueError, match="unknown script section"):
        Statement("middle", ("SELECT 1",))


def test_the_catalog_data_is_immutable():
    catalog = Catalog(SOURCE, relations=(ITEMS,))

    with pytest.raises(dataclasses.FrozenInstanceError):
        catalog.relations = ()
    with pytest.raises(AttributeError):
        ITEMS.columns[0].name = "other"
    with pytest.raises(AttributeError):
        ITEMS.name = "other"
    with pytest.raises(TypeError):
        catalog.relations_by_oid[1] = ITEMS


# -- the Citus form ---------------------------------------------------------------------------


def _citus_catalog() -> Catalog:
    people = table(
        10, "people",
        integer(1, "id", not_null=True, identity="d"),
        Column(2, "bio", "text", "text", expression="''::text"),
        integer(3, "ref"),
    )
    return Catalog(
        SOURCE,
        relations=(people, table(11, "other", integer(1, "id", not_null=True))),
        constraints=(
            primary_key(30, 10, index=40),
            Constraint(31, "bio_short", "c", 10, "CHECK (length(bio) < 10)", validated=False),
            primary_key(32, 11, index=41),
            foreign_key(33, 10, 11, index=41, validated=False),
        ),
        sequences=(sequence(20, "people_id_seq", ownership="i", owner_table=10,
                            owner_column=1),),
        triggers=(Trigger(50, "audit", 10, 'CREATE TRIGGER audit AFTER INSERT ON people '
                                           'FOR EACH ROW EXECUTE FUNCTION log()'),),
    )


def test_the_plain_form_is_one_query_string_and_the_citus_form_one_per_statement():
    plain = render_script(_citus_catalog(), HISTORY)
    citus = render_script(_citus_catalog(), HISTORY, citus=True)

    for with_data in (False, True):
        assert len(plain.compose_each("tgt", with_data=with_data)) <= len(SECTIONS)
        each = [q.as_string(None) for q in citus.compose_each("tgt", with_data=with_data)]
        # Every query string holds one command, ended by the one ";" the builder adds.
        assert all(q.endswith(";\n") and q.count(";\n") == 1 for q in each), each
        assert "".join(each) == citus.compose("tgt", with_data=with_data).as_string(None)
        trigger = [q for q in each if q.startswith("CREATE TRIGGER")]
        assert trigger == ["CREATE TRIGGER audit AFTER INSERT ON people FOR EACH ROW "
                           "EXECUTE FUNCTION log();\n"]
    assert not plain.separate and citus.separate


def test_the_citus_form_gives_each_alter_table_one_subcommand():
    citus = render_script(_citus_catalog(), HISTORY, citus=True)
    plain = render_script(_citus_catalog(), HISTORY)

    for with_data in (False, True):
        alters = [q.as_string(None) for q in citus.compose_each("tgt", with_data=with_data)
                  if q.as_string(None).startswith("ALTER TABLE")]
        assert alters and all(", ADD " not in q and ", ALTER " not in q for q in alters)
        text_plain = plain.compose("tgt", with_data=with_data).as_string(None)
        text_citus = "".join(alters)
        # The same subcommands, only split.
        for piece in ('ADD CONSTRAINT "bio_short"', 'ADD CONSTRAINT "fk_10_11"',
                      """ALTER COLUMN "bio" SET DEFAULT ''::text"""):
            assert piece in text_plain and piece in text_citus
    data = [q.as_string(None) for q in citus.compose_each("tgt", with_data=True)]
    assert 'ALTER TABLE "tgt"."people" ADD CONSTRAINT "pk_10" PRIMARY KEY (id);\n' in data


def test_the_citus_form_reads_the_maximum_before_moving_the_sequence():
    citus = render_script(_citus_catalog(), HISTORY, citus=True)

    data = citus.compose("tgt", with_data=True).as_string(None)

    assert (
        'DO $reset$ #variable_conflict use_column\nDECLARE top bigint; BEGIN '
        'SELECT max("id") INTO top FROM "tgt"."people"; '
        """PERFORM pg_catalog.setval('"people_id_seq"', GREATEST(s.last_value, top), """
        "s.is_called OR coalesce(top >= s.last_value, false)) "
        'FROM "src"."people_id_seq" s; END $reset$;\n'
    ) in data
    # No statement both reads a table of the target and moves a sequence.
    assert "(SELECT max(" not in data


def test_the_reset_blocks_quote_tag_avoids_the_names_it_holds():
    odd = 'a$reset$b'
    catalog = Catalog(
        SOURCE,
        relations=(table(10, odd, integer(1, "id", not_null=True, identity="d")),),
        sequences=(sequence(20, "s", ownership="i", owner_table=10, owner_column=1),),
    )

    data = render_script(catalog, HISTORY, citus=True).compose("tgt", with_data=True)

    text_data = data.as_string(None)
    assert 'DO $reset1$ #variable_conflict use_column\nDECLARE top bigint; BEGIN ' \
           'SELECT max("id") INTO top FROM ' \
           '"tgt"."a$reset$b"; ' in text_data
    assert text_data.rstrip().endswith("END $reset1$;")
