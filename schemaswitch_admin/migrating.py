"""Migrating every schema without paying Django's start-up cost per schema.

Peers run Django's whole ``migrate`` once per schema: load the graph, read the history,
render the project state, then usually do nothing. Here the graph is loaded and the state
rendered once per *distinct migration history*, which is one or two for a whole fleet, and
each schema costs only what it really needs:

1. Histories are read in batches with one query per batch (``"a".django_migrations UNION ALL
   "b".django_migrations ...``), so "nothing to apply" costs a fraction of a round trip per
   schema and memory is bounded by the batch, not by the number of schemas.
2. Schemas sharing a history share one executor, one plan and one rendered pre-migration
   state; each schema gets a cheap clone of that state.
3. Each schema is migrated with it active (``schema_context``), so ``RunPython`` sees it and
   the SQL lands in it; every migration is its own transaction, so a failure leaves the
   schema at a recorded migration and a re-run resumes from there.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from psycopg import sql

from .state import schema_context

if TYPE_CHECKING:
    from django.db.migrations.state import ProjectState

History = frozenset[tuple[str, str]]

#: Schemas whose histories are read in one query.
BATCH_SIZE = 250


@dataclass
class SchemaResult:
    schema: str
    applied: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Summary:
    results: list[SchemaResult] = field(default_factory=list)

    @property
    def failed(self) -> list[SchemaResult]:
        return [r for r in self.results if not r.ok]

    @property
    def migrated(self) -> list[SchemaResult]:
        return [r for r in self.results if r.ok and r.applied]

    @property
    def up_to_date(self) -> list[SchemaResult]:
        return [r for r in self.results if r.ok and not r.applied]


def _batched(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def migrations_table() -> str:
    return MigrationRecorder.Migration._meta.db_table


def read_histories(using: str, schemas: list[str]) -> dict[str, History | None]:
    """Each schema's applied migrations; ``None`` for a schema that does not exist in
    PostgreSQL. A schema without a history table has an empty history."""
    table = migrations_table()
    connection = connections[using]
    result: dict[str, History | None] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, c.oid IS NOT NULL FROM pg_namespace n "
            "LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = %s "
            "AND c.relkind IN ('r', 'p') WHERE n.nspname = ANY(%s)",
            [table, schemas],
        )
        has_table = dict(cursor.fetchall())
        with_table = [s for s in schemas if has_table.get(s)]
        rows: dict[str, set[tuple[str, str]]] = {s: set() for s in with_table}
        if with_table:
            parts = [
                sql.SQL("SELECT {}::text, app, name FROM {}.{}").format(
                    sql.Literal(s), sql.Identifier(s), sql.Identifier(table)
                )
                for s in with_table
            ]
            cursor.execute(sql.SQL(" UNION ALL ").join(parts).as_string(None))
            for schema, app, name in cursor.fetchall():
                rows[schema].add((app, name))
    interned: dict[History, History] = {}
    for schema in schemas:
        if schema not in has_table:
            result[schema] = None
        else:
            history = frozenset(rows.get(schema, ()))
            result[schema] = interned.setdefault(history, history)
    return result


def ensure_history_table(using: str, schema: str) -> None:
    """Create the schema's own ``django_migrations`` when it has none.

    Must run before Django's recorder touches the schema: with ``"<schema>", public`` on the
    path an unqualified ``django_migrations`` would otherwise resolve to public's table, and
    the schema would look fully migrated.
    """
    connection = connections[using]
    table = migrations_table()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s",
            [schema, table],
        )
        if cursor.fetchone():
            return
    with schema_context(schema), connection.schema_editor() as editor:
        editor.create_model(MigrationRecorder.Migration)


#: Plans with more operations than this are applied by Django's executor (the template's
#: first build, for instance): keeping a state per operation would cost more than it saves.
REPLAY_MAX_OPERATIONS = 50


class _Group:
    """The executor, plan and pre-migration state shared by schemas with one history.

    For a short forwards plan the group also precomputes, once, the project state before and
    after every operation (``steps``). Each schema then only runs the operations'
    ``database_forwards`` with those states: no state cloning, no re-rendering of models, no
    re-walking of the whole graph per schema, which is where Django's executor spends its time
    when the same small migration is applied to a thousand schemas.
    """

    def __init__(
        self, using: str, targets_for: Callable[[Any], list[Any]], first_schema: str
    ) -> None:
        connection = connections[using]
        with schema_context(first_schema):
            self.executor = MigrationExecutor(connection)
            self.targets = targets_for(self.executor.loader)
            self.plan = self.executor.migration_plan(self.targets)
            self.state: ProjectState | None = None
            self.steps: list[tuple[Any, list[tuple[Any, Any, Any]]]] | None = None
            if self.plan and all(not backwards for _, backwards in self.plan):
                # Rendering the applied state is the costly step; do it once per group.
                # Django's private helper, absent from the stubs (issue 16, item 3).
                self.state = self.executor._create_project_state(  # type: ignore[attr-defined]
                    with_applied_migrations=True
                )
                self.state.apps  # noqa: B018 - render now, each schema clones the rendered apps
                self.steps = self._replay_steps()

    def _replay_steps(self) -> list[tuple[Any, list[tuple[Any, Any, Any]]]] | None:
        loader = self.executor.loader
        migrations = [migration for migration, _ in self.plan]
        operations = sum(len(m.operations) for m in migrations)
        squashed = any(m.replaces for m in loader.disk_migrations.values())
        if squashed or operations > REPLAY_MAX_OPERATIONS:
            return None
        assert self.state is not None  # set by __init__ before it calls this
        state = self.state.clone()
        steps = []
        for migration in migrations:
            pairs = []
            for operation in migration.operations:
                before = state.clone()
                operation.state_forwards(migration.app_label, state)
                pairs.append((operation, before, state.clone()))
            steps.append((migration, pairs))
        for _, pairs in steps:
            for _, before, after in pairs:
                for snapshot in (before, after):
                    # Render once and keep: a "delayed" state drops its rendered apps on
                    # each use (RunPython does that), which would re-render per schema.
                    snapshot.is_delayed = False
                    snapshot.apps  # noqa: B018
        return steps

    def replay(self, using: str) -> None:
        """Apply the plan to the active schema with the precomputed states, each migration
        in its own transaction and recorded in the schema's history, as Django's executor
        does."""
        connection = connections[using]
        recorder = self.executor.recorder
        for migration, pairs in self.steps or []:
            recorded = False
            with connection.schema_editor(atomic=migration.atomic) as editor:
                for operation, before, after in pairs:
                    atomic_operation = operation.atomic or (
                        migration.atomic and operation.atomic is not False
                    )
                    if not editor.atomic_migration and atomic_operation:
                        with transaction.atomic(using=using):
                            operation.database_forwards(
                                migration.app_label, editor, before, after
                            )
                    else:
                        operation.database_forwards(migration.app_label, editor, before, after)
                if not editor.deferred_sql:
                    recorder.record_applied(migration.app_label, migration.name)
                    recorded = True
            if not recorded:
                recorder.record_applied(migration.app_label, migration.name)


def _leave_abandoned_transactions(connection: Any, depth: int, exc: Exception) -> None:
    """Roll back what a failed schema left open, so the next schema starts clean.

    Django's schema editor runs its deferred SQL (indexes, some constraints) when it exits,
    *before* leaving the migration's ``atomic`` block; when that SQL fails the block is never
    left, and every later statement on the connection fails with "current transaction is
    aborted". The blocks opened since ``depth`` are exited here with the error, which rolls
    them back the way leaving them would have. (``atomic_blocks`` is Django's own record of
    open blocks; ``test_a_failure_in_deferred_sql_does_not_abort_the_remaining_schemas``
    pins this on each supported Django line.)
    """
    while len(connection.atomic_blocks) > depth:
        connection.atomic_blocks[-1].__exit__(type(exc), exc, exc.__traceback__)


class SchemaMigrator:
    """Migrates a list of schemas, one transaction per migration and a result per schema.

    With ``jobs`` above 1 the schemas are shared out in small batches among that many
    threads, each with its own database connection (Django keeps one per thread) and its own
    executors, so no migration state is shared between threads. What each schema gets is the
    same as with one job: its own transactions, its own history, its own result.
    """

    def __init__(
        self,
        using: str,
        targets_for: Callable[[Any], list[Any]],
        *,
        fake: bool = False,
        fake_initial: bool = False,
        progress: Callable[[int, int, SchemaResult], None] | None = None,
        plan_only: bool = False,
        jobs: int = 1,
    ) -> None:
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self.using = using
        self.targets_for = targets_for
        self.fake = fake
        self.fake_initial = fake_initial
        self.progress = progress
        self.plan_only = plan_only
        self.jobs = jobs
        self.plans: dict[str, list[Any]] = {}
        self._lock = threading.Lock()
        self._done = 0

    def run(self, schemas: Iterable[str]) -> Summary:
        names = list(schemas)
        self._done = 0
        if self.jobs == 1 or len(names) < 2:
            results = self._run_batches(_batched(names, BATCH_SIZE), len(names))
        else:
            results = self._run_parallel(names)
        order = {name: position for position, name in enumerate(names)}
        results.sort(key=lambda r: order[r.schema])
        return Summary(results)

    def _run_parallel(self, names: list[str]) -> list[SchemaResult]:
        """Small batches (several per thread), so a slow schema does not leave the other
        threads idle at the end; at most ``BATCH_SIZE``, so each history query stays one
        query per batch."""
        size = max(1, min(BATCH_SIZE, -(-len(names) // (self.jobs * 4))))
        batches: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
        for batch in _batched(names, size):
            batches.put(batch)
        results: list[SchemaResult] = []
        errors: list[BaseException] = []
        stop = threading.Event()

        def next_batch() -> Iterator[list[str]]:
            while not stop.is_set():
                try:
                    yield batches.get_nowait()
                except queue.Empty:
                    return

        def work() -> None:
            try:
                mine = self._run_batches(next_batch(), len(names), stop)
                with self._lock:
                    results.extend(mine)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
                # Not a schema's failure (those are results) but the run's, e.g. a lost
                # connection: stop the others, as one job would have stopped.
                stop.set()
                with self._lock:
                    errors.append(exc)
            finally:
                connections[self.using].close()

        threads = [
            threading.Thread(target=work, name=f"migrate-{number}")
            for number in range(min(self.jobs, len(names)))
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except BaseException:
            # CONTROL-C: no thread starts another schema; the schemas under way finish
            # (each migration is its own transaction) before the run stops.
            stop.set()
            for thread in threads:
                thread.join()
            raise
        if errors:
            raise errors[0]
        return results

    def _run_batches(
        self, batches: Iterable[list[str]], total: int, stop: threading.Event | None = None
    ) -> list[SchemaResult]:
        """Migrate each batch's schemas on this thread's connection, until ``stop`` is set."""
        results: list[SchemaResult] = []
        groups: dict[History, _Group] = {}
        connection = connections[self.using]
        depth = len(connection.atomic_blocks)
        for batch in batches:
            histories = read_histories(self.using, batch)
            for schema in batch:
                if stop is not None and stop.is_set():
                    break
                started = time.perf_counter()
                result = SchemaResult(schema)
                try:
                    history = histories[schema]
                    if history is None:
                        raise LookupError("the PostgreSQL schema does not exist")
                    self._migrate_one(schema, history, groups, result)
                except Exception as exc:  # noqa: BLE001 - reported per schema, run continues
                    result.error = f"{type(exc).__name__}: {exc}"
                    _leave_abandoned_transactions(connection, depth, exc)
                result.seconds = time.perf_counter() - started
                results.append(result)
                self._report(total, result)
        return results

    def _report(self, total: int, result: SchemaResult) -> None:
        # One lock for the count and the line, so lines come out numbered in order.
        with self._lock:
            self._done += 1
            if self.progress:
                self.progress(self._done, total, result)

    def _migrate_one(
        self, schema: str, history: History, groups: dict[History, _Group], result: SchemaResult
    ) -> None:
        group = groups.get(history)
        if group is None:
            if not history:
                ensure_history_table(self.using, schema)
            group = groups[history] = _Group(self.using, self.targets_for, schema)
        if not group.plan:
            return
        if self.plan_only:
            self.plans[schema] = group.plan
            result.applied = [f"{m.app_label}.{m.name}" for m, _ in group.plan]
            return
        ensure_history_table(self.using, schema)
        if group.steps is not None and not (self.fake or self.fake_initial):
            with schema_context(schema):
                group.replay(self.using)
            result.applied = [f"{m.app_label}.{m.name}" for m, _ in group.plan]
            return
        state = group.state.clone() if group.state is not None else None
        with schema_context(schema):
            group.executor.migrate(
                group.targets,
                plan=group.plan,
                state=state,
                fake=self.fake,
                fake_initial=self.fake_initial,
            )
        result.applied = [
            f"{m.app_label}.{m.name}" + (" (unapplied)" if backwards else "")
            for m, backwards in group.plan
        ]
