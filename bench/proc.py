"""Child processes: each measurement that needs Django runs in one, with its own settings.

A child runs ``python -m bench.worker TASK RESULT_FILE`` with the task's arguments in the
environment (``BENCH_TASK_ARGS``, JSON) and writes its JSON result to ``RESULT_FILE``. The
parent waits with ``os.wait4`` to read the child's own peak RSS (on Linux it also covers the
grandchildren the child waited for, so a process pool reports its largest process).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

#: Settings modules of the three setups.
PLAIN = "bench.sites.plain"
SCHEMASWITCH = "bench.sites.schemaswitch"
SCHEMASWITCH_SESSIONS = "bench.sites.schemaswitch_sessions"
TENANTS = "bench.sites.tenants"


class ChildFailed(RuntimeError):
    """A child process exited with an error; the message ends with its output."""


@dataclass
class ChildRun:
    result: Any
    wall: float
    max_rss_mb: float


def child_env(settings: str, db: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_TASK")}
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        BENCH_DB=db,
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "example")]),
        # Generated apps are rewritten between runs; stale bytecode must never be used.
        PYTHONDONTWRITEBYTECODE="1",
    )
    from .db import server_url

    env.setdefault("DATABASE_URL", server_url())
    env.update(extra)
    return env


def run_child(
    task: str, settings: str, db: str, args: dict[str, Any] | None = None, **env: str
) -> ChildRun:
    """Run ``task`` (``module:function`` in ``bench``) in a child and return its result."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        result_path = Path(tmp) / "result.json"
        log_path = Path(tmp) / "output.log"
        environment = child_env(settings, db, BENCH_TASK_ARGS=json.dumps(args or {}), **env)
        with open(log_path, "wb") as log:
            started = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "bench.worker", task, str(result_path)],
                cwd=REPO,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0 or not result_path.exists():
            output = log_path.read_text(errors="replace")[-4000:]
            raise ChildFailed(f"{task} ({settings}) exited {proc.returncode}:\n{output}")
        result = json.loads(result_path.read_text())
    return ChildRun(result, wall, usage.ru_maxrss / 1024)


class Server:
    """A gunicorn serving one setup on 127.0.0.1, stopped (by its pid) on exit."""

    def __init__(self, settings: str, db: str, **env: str) -> None:
        self.env = child_env(settings, db, **env)
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log")

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "bench.sites.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", "1",
                "--worker-class", "gthread",
                "--threads", "1",
                "--keep-alive", "60",
                "--log-level", "warning",
            ],
            cwd=REPO,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, self.proc, self.log.name)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def gunicorn_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("gunicorn") is not None


def tenants_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("django_tenants") is not None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: str) -> None:
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ChildFailed(f"gunicorn exited {proc.returncode}:\n{Path(log).read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise ChildFailed(f"gunicorn did not listen on port {port} within 60 s")


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
