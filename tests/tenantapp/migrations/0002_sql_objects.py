"""Database objects that Django's ORM does not create but real projects add with RunSQL.

They exist so the cloning tests see every kind of object a clone must reproduce: serial and
bigserial columns, an identity ALWAYS column, a standalone sequence used in a default, an
enum, views over views, a materialized view with a unique index, a plpgsql trigger function
whose body names a tenant table unqualified, an SQL function used by a CHECK, partial and
expression indexes, deferrable unique and exclusion constraints, comments, and foreign keys to
a shared table (auth_user, in public) and to a tenant table. The router runs this migration in
schemas only (tenantapp is private), so unqualified names land in the schema being migrated.
"""

from django.conf import settings
from django.db import migrations

FORWARD = [
    "CREATE TYPE tenantapp_legacy_state AS ENUM ('new', 'open', 'done')",
    "CREATE SEQUENCE tenantapp_ticket_seq AS integer START WITH 1000 INCREMENT BY 5",
    """CREATE FUNCTION tenantapp_is_code(value text) RETURNS boolean
       LANGUAGE sql IMMUTABLE STRICT
       AS $$ SELECT value ~ '^L[0-9]+$' $$""",
    """CREATE TABLE tenantapp_legacy (
        id serial PRIMARY KEY,
        counter bigserial NOT NULL,
        code text NOT NULL DEFAULT 'L' || nextval('tenantapp_ticket_seq')::text,
        state tenantapp_legacy_state NOT NULL DEFAULT 'new',
        amount numeric(10, 2) NOT NULL DEFAULT 0,
        during tstzrange,
        owner_id integer REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED,
        project_id bigint REFERENCES tenantapp_project (id) ON DELETE CASCADE,
        CONSTRAINT tenantapp_legacy_amount_positive CHECK (amount >= 0),
        CONSTRAINT tenantapp_legacy_code_format CHECK (tenantapp_is_code(code)),
        CONSTRAINT tenantapp_legacy_code_unique UNIQUE (code) DEFERRABLE INITIALLY DEFERRED,
        CONSTRAINT tenantapp_legacy_no_overlap EXCLUDE USING gist (during WITH &&)
    )""",
    """CREATE TABLE tenantapp_note_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        note_id bigint NOT NULL,
        logged_at timestamptz NOT NULL DEFAULT now()
    )""",
    """CREATE FUNCTION tenantapp_log_note() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO tenantapp_note_log (note_id) VALUES (NEW.id);
        RETURN NEW;
    END
    $$""",
    """CREATE TRIGGER tenantapp_note_logged AFTER INSERT ON tenantapp_note
       FOR EACH ROW EXECUTE FUNCTION tenantapp_log_note()""",
    "CREATE INDEX tenantapp_note_urgent ON tenantapp_note (project_id) WHERE priority >= 5",
    "CREATE INDEX tenantapp_note_title_lower ON tenantapp_note (lower(title))",
    """CREATE VIEW tenantapp_note_overview AS
       SELECT n.id, n.title, n.priority, p.name AS project_name
       FROM tenantapp_note n JOIN tenantapp_project p ON p.id = n.project_id""",
    """CREATE VIEW tenantapp_urgent_note AS
       SELECT id, title, project_name FROM tenantapp_note_overview WHERE priority >= 5""",
    """CREATE MATERIALIZED VIEW tenantapp_project_stats AS
       SELECT p.id AS project_id, count(n.id) AS notes
       FROM tenantapp_project p LEFT JOIN tenantapp_note n ON n.project_id = p.id
       GROUP BY p.id""",
    "CREATE UNIQUE INDEX tenantapp_project_stats_pk ON tenantapp_project_stats (project_id)",
    "COMMENT ON TABLE tenantapp_legacy IS 'Rows imported from the old system.'",
    "COMMENT ON COLUMN tenantapp_legacy.code IS 'Ticket code, numbered by tenantapp_ticket_seq.'",
]

BACKWARD = [
    "DROP MATERIALIZED VIEW tenantapp_project_stats",
    "DROP VIEW tenantapp_urgent_note",
    "DROP VIEW tenantapp_note_overview",
    "DROP INDEX tenantapp_note_title_lower",
    "DROP INDEX tenantapp_note_urgent",
    "DROP TRIGGER tenantapp_note_logged ON tenantapp_note",
    "DROP FUNCTION tenantapp_log_note()",
    "DROP TABLE tenantapp_note_log",
    "DROP TABLE tenantapp_legacy",
    "DROP FUNCTION tenantapp_is_code(text)",
    "DROP SEQUENCE tenantapp_ticket_seq",
    "DROP TYPE tenantapp_legacy_state",
]


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("tenantapp", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]
