"""Moving the sequences of loaded tables past the rows that were loaded with explicit ids.

Django's own reset is one ``SELECT setval(...) FROM table`` per table. On a Citus coordinator
a statement that reads a distributed table is sent whole to the worker holding it, where the
sequence does not exist, so the reset fails there. Here the maxima are read first, in one
statement over every table, and the sequences are moved by a second statement that reads no
table: two statements however many tables, on plain PostgreSQL and on Citus alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from psycopg import sql


def auto_columns(model_list: Iterable[type[models.Model]]) -> list[tuple[str, str]]:
    """(table, column) of each model's auto-incremented primary key, as Django resets them."""
    found: list[tuple[str, str]] = []
    for model in model_list:
        for field in model._meta.local_fields:
            if isinstance(field, models.AutoField):
                found.append((model._meta.db_table, field.column or field.name))
                break
    return found


def reset_sequences(connection: Any, model_list: Iterable[type[models.Model]]) -> None:
    """Move each model's id sequence to the largest id in its table (to 1, not yet called,
    for an empty table), in the schema the connection's path points at."""
    columns = auto_columns(model_list)
    if not columns:
        return
    context = connection.connection
    # Names quoted as Django quotes them (``quote_name`` leaves a ``db_table`` that is
    # already quoted, such as '"schema"."table"', as it is).
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT {}")
            .format(
                sql.SQL(", ").join(
                    sql.SQL("(SELECT max({}) FROM {})").format(
                        sql.SQL(quote(column)), sql.SQL(quote(table))
                    )
                    for table, column in columns
                )
            )
            .as_string(context)
        )
        tops = cursor.fetchone()
        cursor.execute(
            sql.SQL("SELECT {}")
            .format(
                sql.SQL(", ").join(
                    sql.SQL("pg_catalog.setval(pg_catalog.pg_get_serial_sequence({}, {}), {}, {})")
                    .format(
                        sql.Literal(quote(table)),
                        sql.Literal(column),
                        sql.Literal(1 if top is None else top),
                        sql.Literal(top is not None),
                    )
                    for (table, column), top in zip(columns, tops, strict=True)
                )
            )
            .as_string(context)
        )
