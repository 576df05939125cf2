"""The least-privilege recipe of docs/reliability.md as statements, so the test runs exactly
what the documentation tells operators to run."""

from __future__ import annotations

from psycopg import sql

DML = sql.SQL("SELECT, INSERT, UPDATE, DELETE")


def database_statements(db: str, web: str) -> list[sql.Composable]:
    """Once per database: the web role may connect and nothing else by default."""
    d, w = sql.Identifier(db), sql.Identifier(web)
    return [
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(d),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(d, w),
        # PostgreSQL 15+ does this already; older versions let every role CREATE in public.
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
    ]


def schema_statements(schema: str, web: str) -> list[sql.Composable]:
    """For ``public`` and each existing tenant schema (not the template)."""
    s, w = sql.Identifier(schema), sql.Identifier(web)
    return [
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, w),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(DML, s, w),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, w),
    ]


def default_statements(owner: str, web: str) -> list[sql.Composable]:
    """So that schemas the owner creates later (clones) are usable at once: cloning copies
    structure, not grants."""
    o, w = sql.Identifier(owner), sql.Identifier(web)
    prefix = sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} ").format(o)
    return [
        prefix + sql.SQL("GRANT USAGE ON SCHEMAS TO {}").format(w),
        prefix + sql.SQL("GRANT {} ON TABLES TO {}").format(DML, w),
        prefix + sql.SQL("GRANT USAGE, SELECT ON SEQUENCES TO {}").format(w),
    ]
