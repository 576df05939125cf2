"""The one owner of the connection's ``search_path``.

The invariant, written once: **every statement runs with the active schema's path**
(``"<schema>", "public"``, or ``"public"`` with no schema active), and the keeper sends a
``SET`` only when it cannot be sure the connection already holds that path.

How it can be sure depends on what the server tells us:

* **PostgreSQL 18 and newer report ``search_path`` to the client** (a ParameterStatus message
  after every change, rollbacks included, at no extra round trip). On a direct connection the
  keeper compares that report with the wanted value before every statement and trusts nothing
  else: a user's ``SET``, ``RESET ALL``, ``DISCARD ALL``, a rollback or a reused worker thread
  are all seen for what they are.
* **Older servers report nothing**, so the keeper keeps what it last set and forgets it
  whenever PostgreSQL may have changed it behind its back: a new or pooled connection, a
  rollback, a savepoint rollback, a close, and the start of any request in the process (a
  previous request's code, in this thread or another, may have run its own ``SET``). What
  remains is documented in docs/how-it-works.md: code that changes the path by hand in the
  middle of a unit of work must call ``forget()``.

Every new direct connection also starts with ``search_path=public`` as its session default
(a startup option), so ``RESET ALL`` and ``DISCARD ALL`` fall back to ``public``, never to
``"$user"``, which would resolve to a tenant named like the database role.

Behind a **transaction-mode pooler** (``SCHEMASWITCH_POOLER = "transaction"``) the server
connection changes hands after every transaction, so a session-level path means nothing and
would reach a stranger. There the path is set for the current transaction only
(``set_config(..., true)``) and rides *with the statement*: a statement in autocommit mode is
sent as ``<set path>; <statement>``, one message that PostgreSQL runs as one implicit
transaction, and the first statement of an explicit transaction carries it the same way for
the rest of that transaction. No extra round trip, and nothing outlives the transaction.

The rest of the package talks to the keeper only through this module's small API:
``independent()`` for statements whose result does not depend on the path, ``own_path()`` for
statements that set it themselves, ``ensure()`` before work on the driver's own cursor,
``forget()`` and the ``sets`` counter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.core.signals import request_started

from ...state import _active_schema
from .search_path import (
    local_path_statement,
    path_value,
    reported_values,
    set_path_statement,
)

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

_UNKNOWN: Any = object()
#: ``reported_values`` per schema, read on every statement (a plain dict is the cheapest
#: lookup; names are validated, so it grows with the schemas this process enters).
_REPORTS: dict[str | None, frozenset[bytes]] = {}

#: ``psycopg.pq.TransactionStatus.INTRANS``.
_IN_TRANSACTION = 2

#: Bumped at the start of every request in this process. Knowledge recorded under an older
#: epoch is not trusted (servers that do not report the path only).
_epoch = [0]


def _new_request(**kwargs: object) -> None:
    _epoch[0] += 1


request_started.connect(_new_request, dispatch_uid="schemaswitch_path_epoch")


class PathReport:
    """Handed out by ``own_path()``: the caller says which path its statement put in place."""

    __slots__ = ("schema", "was_set")

    def __init__(self) -> None:
        self.schema: str | None = None
        self.was_set = False

    def set(self, schema: str | None) -> None:
        """The statement just run put ``schema``'s path on the connection."""
        self.schema = schema
        self.was_set = True


class PathKeeper:
    """Attached to one ``DatabaseWrapper`` as ``connection.schema_path``."""

    def __init__(self, wrapper: BaseDatabaseWrapper) -> None:
        self._wrapper = wrapper
        #: The schema whose path the connection holds by our bookkeeping, or unknown.
        self._known: Any = _UNKNOWN
        self._known_epoch = -1
        #: The server reports the path (PostgreSQL 18+) and nothing sits in between.
        self._pgconn: Any = None
        #: Statements that need no path are running (``independent``/``own_path``).
        self._free = 0
        #: Behind a transaction-mode pooler: the path lives only as long as a transaction.
        self.per_transaction = False
        self._raw: Any = None
        #: How many ``SET``s this keeper sent (tests, the debug panel).
        self.sets = 0

    # -- what the rest of the package may call ---------------------------------------------

    @property
    def server_reports(self) -> bool:
        """True when the keeper trusts the server's own report of the path."""
        return self._pgconn is not None

    def path_value(self, schema: str | None) -> str:
        """The value ``set_config('search_path', ...)`` must get for ``schema``."""
        return path_value(schema)

    @property
    def carry_locally(self) -> bool:
        """``set_config``'s ``is_local`` for a statement that carries the path itself: true
        behind a transaction-mode pooler (a session-level path would reach a stranger)."""
        return self.per_transaction

    def ensure(self) -> None:
        """Put the active schema's path on the connection now, for code that goes on with
        the driver's own cursor (``COPY`` through psycopg), which the per-statement hook does
        not see. Behind a transaction-mode pooler this needs an explicit transaction."""
        if self.per_transaction:
            self.set_for_transaction()
        else:
            self.before_statement()

    def forget(self) -> None:
        """Stop trusting the recorded path; the next statement sends it again (when the
        server does not report it)."""
        self._known = _UNKNOWN

    @contextmanager
    def independent(self) -> Iterator[None]:
        """Statements inside do not depend on the path: they name every table with its
        schema, or read shared tables, which exist only in ``public`` (every path we set
        ends with ``public``). No ``SET`` is sent before them and what is known stays known.
        """
        self._free += 1
        try:
            yield
        except BaseException:
            self.forget()  # a failed statement may have aborted the transaction
            raise
        finally:
            self._free -= 1

    @contextmanager
    def own_path(self) -> Iterator[PathReport]:
        """Statements inside set or change the path themselves (``set_config`` in a query,
        ``SET LOCAL`` in a script). No ``SET`` is sent before them; afterwards the path is
        what the caller reported with ``report.set(schema)``, else unknown."""
        report = PathReport()
        self._free += 1
        try:
            yield report
        except BaseException:
            self.forget()
            raise
        finally:
            self._free -= 1
        if report.was_set:
            self._record(report.schema)
        else:
            self.forget()

    # -- what the backend calls ------------------------------------------------------------

    def connected(
        self, connection: Any, *, trust_reports: bool, per_transaction: bool = False
    ) -> None:
        """A new (or newly checked-out) physical connection: nothing is known about it."""
        self._known = _UNKNOWN
        self._pgconn = None
        self._raw = connection
        self.per_transaction = per_transaction
        if (
            trust_reports
            and not per_transaction
            and connection.info.parameter_status("search_path") is not None
        ):
            self._pgconn = connection.pgconn

    def disconnected(self) -> None:
        self._known = _UNKNOWN
        self._pgconn = None
        self._raw = None

    def transaction_ended(self) -> None:
        """A commit: a path set for the transaction is gone with it."""
        if self.per_transaction:
            self._known = _UNKNOWN

    def statement_prefix(self) -> tuple[str | None, str | None]:
        """Behind a transaction-mode pooler: ``(active schema, prefix)``, where the prefix
        (``<set path>; ``) must travel in the same message as the statement, or ``None``
        when the current transaction already holds the path."""
        wanted = _active_schema.get()
        if self._free:
            return wanted, None
        raw = self._raw
        if raw is not None and not raw.autocommit and self._known is not _UNKNOWN:
            if self._known == wanted and raw.info.transaction_status == _IN_TRANSACTION:
                return wanted, None
        return wanted, local_path_statement(wanted) + "; "

    def prefix_sent(self, wanted: str | None) -> None:
        """The statement carrying the prefix succeeded: in an explicit transaction the path
        now holds until it ends; in autocommit it ended with the statement."""
        raw = self._raw
        if raw is not None and not raw.autocommit:
            self._record(wanted)
        else:
            self._known = _UNKNOWN

    def set_for_transaction(self) -> str | None:
        """For statements that cannot carry a prefix (``executemany``, ``COPY``, ``callproc``)
        inside an explicit transaction: a separate ``set_config(..., true)``."""
        wanted, prefix = self.statement_prefix()
        if prefix is None:
            return wanted
        raw = self._raw
        if raw is None or raw.autocommit:
            from django.db import NotSupportedError

            raise NotSupportedError(
                "Behind a transaction-mode pooler, executemany(), COPY and callproc() must "
                "run inside transaction.atomic(): the path they need cannot travel with them."
            )
        self._execute_own(local_path_statement(wanted))
        self._record(wanted)
        return wanted

    def before_statement(self) -> str | None:
        """Make sure the next statement runs with the active schema's path; returns the
        active schema. Called by the cursor for every statement (not behind a
        transaction-mode pooler: see ``statement_prefix``)."""
        wanted = _active_schema.get()
        if self._free:
            return wanted
        pgconn = self._pgconn
        if pgconn is not None:
            expected = _REPORTS.get(wanted)
            if expected is None:
                expected = _REPORTS[wanted] = reported_values(wanted)
            if pgconn.parameter_status(b"search_path") in expected:
                return wanted
        elif self._known is not _UNKNOWN and self._known == wanted:
            if self._known_epoch == _epoch[0]:
                return wanted
        self._send(wanted)
        return wanted

    def _send(self, wanted: str | None) -> None:
        self._known = _UNKNOWN
        self._execute_own(set_path_statement(wanted))
        self._record(wanted)

    def _execute_own(self, statement: str) -> None:
        wrapper = self._wrapper
        with wrapper.wrap_database_errors:
            # Django's private hook (as in BaseDatabaseWrapper.cursor), absent from the stubs.
            cursor = wrapper._prepare_cursor(wrapper.create_cursor())  # type: ignore[attr-defined]
        cursor._path_exempt = True
        with cursor:
            cursor.execute(statement)
        self.sets += 1

    def _record(self, schema: str | None) -> None:
        raw = self._raw
        if self.per_transaction and (raw is None or raw.autocommit):
            self._known = _UNKNOWN  # carried by one autocommit statement: already gone
            return
        self._known = schema
        self._known_epoch = _epoch[0]
