"""A bounded, concurrent HTTP client that checks every response against the rules.

Each worker thread owns a few visitors and one keep-alive ``http.client`` connection. Every
answer is judged on its own: the rows it shows must all come from one schema, the schema the
visitor is in at that moment (which the client tracks from the switches it asked for), and
never from a schema the visitor is not a member of.
"""

from __future__ import annotations

import http.client
import json
import math
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .world import ROWS_PER_SCHEMA, Visitor, World, row_name, schema_of_row

#: Rows written by the load's own writes (``write`` action) carry this in their name.
ADDED = "|added-"

#: Action weights of a visitor with at least one schema.
ACTIONS = {
    "list": 60,
    "switch_own": 12,
    "switch_foreign": 8,
    "sabotage_set": 7,
    "sabotage_savepoint": 7,
    "sabotage_rollback": 6,
}

#: The same, with writes in explicit transactions (the transaction-pooler load).
ACTIONS_WITH_WRITES = {**ACTIONS, "list": 45, "write": 15}


@dataclass
class Outcome:
    requests: int = 0
    #: 5xx answers and requests that got no answer at all.
    errors: int = 0
    #: Answers showing a row of a schema the visitor is not a member of.
    leaks: int = 0
    #: Answers showing rows of one of the visitor's schemas, but not the one they are in, or
    #: an unexpected status.
    wrong: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    #: Leaks and wrong answers, then (separately) errors.
    problems: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    #: Switches answered with an error that had in fact been stored in the session.
    stored_despite_error: int = 0
    seconds: float = 0.0

    def merge(self, other: Outcome) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.leaks += other.leaks
        self.wrong += other.wrong
        self.stored_despite_error += other.stored_despite_error
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)
        self.problems.extend(other.problems[: max(0, 20 - len(self.problems))])
        self.failures.extend(other.failures[: max(0, 20 - len(self.failures))])

    def detail(self) -> str:
        return "\n".join(self.problems[:10] + self.failures[:5])

    def percentile(self, q: float) -> float:
        """Latency percentile in milliseconds (nearest rank)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    def row(self, label: str) -> str:
        return (
            f"| {label} | {self.requests} | {self.errors} | {self.leaks} | {self.wrong} | "
            f"{self.percentile(50):.1f} | {self.percentile(99):.1f} | "
            f"{self.requests / self.seconds if self.seconds else 0:.0f} |"
        )


TABLE_HEADER = (
    "| run | requests | errors (5xx, no answer) | leaks | wrong schema / status | "
    "p50 ms | p99 ms | req/s |\n|---|---|---|---|---|---|---|---|"
)


class Browser:
    """One keep-alive connection for sequential requests as any visitor."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str, visitor: Visitor, **headers: str) -> tuple[int, dict]:
        self.conn.request(
            "GET",
            path,
            headers={
                "Cookie": f"sessionid={visitor.session_key}",
                "Accept": "application/json",
                **headers,
            },
        )
        response = self.conn.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body[:1] == b"{" else {}

    def close(self) -> None:
        self.conn.close()


class Judge:
    """Tracks where each visitor is and checks answers."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.where = world.where
        self.maybe = world.maybe

    def check_rows(self, visitor: Visitor, body: dict, expected: str, out: Outcome) -> None:
        rows = body.get("rows", [])
        foreign = {schema_of_row(r) for r in rows} - set(visitor.schemas)
        if foreign:
            out.leaks += 1
            out.problems.append(f"LEAK {visitor.username} in {expected} saw {sorted(foreign)}")
            return
        if body.get("schema") != expected or body.get("active") != expected:
            out.wrong += 1
            out.problems.append(f"{visitor.username}: expected {expected}, answer {body}")
            return
        fixed = [r for r in rows if ADDED not in r]
        if fixed and fixed != [row_name(expected, i) for i in range(ROWS_PER_SCHEMA)]:
            out.wrong += 1
            out.problems.append(f"{visitor.username} in {expected}: rows {rows}")


class Worker:
    def __init__(
        self,
        port: int,
        judge: Judge,
        visitors: list[Visitor],
        seed: int,
        rows_path: str,
        actions: dict[str, int] = ACTIONS,
    ):
        self.actions = actions
        self.port = port
        self.judge = judge
        self.visitors = visitors
        self.rng = random.Random(seed)
        self.rows_path = rows_path
        self.conn: http.client.HTTPConnection | None = None
        self.out = Outcome()
        #: Sessions that have loaded a page (their automatic choice, if any, is stored).
        self.listed: set[str] = set()

    def _send(self, path: str, headers: dict[str, str], method: str = "GET") -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, path, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = None
                # A keep-alive connection closed by the server between two requests: retry
                # once on a new one (every request here is a GET that may be repeated).
                if not reused or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def one(self, visitor: Visitor) -> None:
        judge, out = self.judge, self.out
        where = judge.where[visitor.session_key]
        others = [s for s in judge.world.schemas if s not in visitor.schemas]
        if where is None:
            action = self.rng.choice(["list", "switch_foreign"])
        else:
            actions = self.actions
            action = self.rng.choices(list(actions), weights=list(actions.values()))[0]
            if action == "switch_own" and len(visitor.schemas) < 2:
                action = "list"
            if action == "write" and visitor.session_key not in self.listed:
                # A browser shows a page before it posts a form: a first request that is a
                # POST would store the automatic choice only after a CSRF check it cannot
                # pass (the load sends no token).
                action = "list"
        headers = {"Cookie": f"sessionid={visitor.session_key}", "Accept": "application/json"}
        path = self.rows_path
        target = where
        if action == "switch_own":
            target = self.rng.choice([s for s in visitor.schemas if s != where])
            headers["X-Change-Schema"] = target
        elif action == "switch_foreign":
            # A member of every schema tries one that does not exist: refused the same way.
            headers["X-Change-Schema"] = self.rng.choice(others or ["hk_no_such_schema"])
        elif action.startswith("sabotage"):
            elsewhere = others or [s for s in visitor.schemas if s != where] or [where]
            path = f"/hk/sabotage/{action.split('_', 1)[1]}/?to={self.rng.choice(elsewhere)}"
        elif action == "write":
            elsewhere = others or [s for s in visitor.schemas if s != where] or [where]
            path = f"/hk/add/?to={self.rng.choice(elsewhere)}"
        started = time.perf_counter()
        try:
            status, body = self._send(path, headers, "POST" if action == "write" else "GET")
        except (OSError, http.client.HTTPException) as exc:
            out.requests += 1
            out.errors += 1
            out.statuses["no answer"] += 1
            out.failures.append(f"{action} {visitor.username}: {exc!r}")
            self._uncertain(visitor, action, target)
            return
        out.latencies.append(time.perf_counter() - started)
        out.requests += 1
        out.statuses[status] += 1
        if status == 200 and action != "write":
            self.listed.add(visitor.session_key)
        if status >= 500:
            out.errors += 1
            out.failures.append(f"{action} {visitor.username}: {status} {body[:200]!r}")
            self._uncertain(visitor, action, target)
            return
        data = json.loads(body) if body[:1] == b"{" else {}
        key = visitor.session_key
        candidates = {target} if action == "switch_own" else {where, *judge.maybe.get(key, ())}
        shown = data.get("schema") if status == 200 else None
        # Rows are judged whatever the status: a refusal must never carry rows.
        if status == 200 or data.get("rows"):
            judge.check_rows(visitor, data, shown if shown in candidates else target, out)
        expected_status = 403 if action == "switch_foreign" or where is None else 200
        if status != expected_status:
            out.wrong += 1
            out.problems.append(f"{action} {visitor.username} in {where}: status {status} {data}")
            return
        added = data.get("added")
        if action == "write" and status == 200 and not str(added).startswith(f"{shown}|"):
            out.wrong += 1
            out.problems.append(f"write {visitor.username} in {shown}: added {added!r}")
        if status == 200 and shown in candidates:
            if action == "switch_own":
                # X-Change-Schema on a GET binds that request only: the session stays put.
                return
            if shown != where:
                out.stored_despite_error += 1
            judge.where[key] = shown
            judge.maybe.pop(key, None)

    def _uncertain(self, visitor: Visitor, action: str, target: str | None) -> None:
        """A switch that failed may still have been stored (the session saved, then the
        answer lost): until an answer settles it, the visitor may be in either schema.
        Both are the visitor's own, so a leak is still judged strictly."""
        if action == "switch_own":
            self.judge.maybe.setdefault(visitor.session_key, set()).add(target)

    def run(self, count: int, deadline: float, stop: threading.Event | None) -> Outcome:
        try:
            for i in range(count):
                if stop is not None and stop.is_set():
                    break
                if time.monotonic() > deadline:
                    self.out.failures.append("stopped at the time limit")
                    break
                self.one(self.visitors[i % len(self.visitors)])
        finally:
            if self.conn is not None:
                self.conn.close()
        return self.out


def run_load(
    port: int,
    world: World,
    *,
    total: int,
    concurrency: int,
    seed: int = 1,
    rows_path: str = "/hk/rows/",
    time_limit: float = 120.0,
    stop: threading.Event | None = None,
    actions: dict[str, int] = ACTIONS,
) -> Outcome:
    """``total`` requests from ``concurrency`` threads; each visitor belongs to one thread, so
    a visitor's requests are sequential (like one browser tab) while visitors run in parallel.
    ``stop`` ends the run early (for runs in the background while a fault is injected)."""
    judge = Judge(world)
    workers = [
        Worker(port, judge, world.visitors[i::concurrency], seed * 1000 + i, rows_path, actions)
        for i in range(concurrency)
    ]
    share = total // concurrency
    deadline = time.monotonic() + time_limit
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(lambda w: w.run(share, deadline, stop), workers))
    result = Outcome()
    for outcome in outcomes:
        result.merge(outcome)
    result.seconds = time.perf_counter() - started
    return result


class Background:
    """``run_load`` in a thread, for faults injected while requests are in flight."""

    def __init__(self, *args, **kwargs) -> None:
        self.result: Outcome | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=args, kwargs=kwargs, daemon=True)

    def _run(self, *args, **kwargs) -> None:
        try:
            self.result = run_load(*args, **kwargs)
        except BaseException as exc:  # reported by join()
            self.error = exc

    def __enter__(self) -> Background:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.thread.join(300)

    def join(self) -> Outcome:
        self.thread.join(300)
        if self.error is not None:
            raise self.error
        assert self.result is not None, "load thread did not finish"
        return self.result
