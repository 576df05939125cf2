"""Starting and stopping real servers (gunicorn, uvicorn, pgbouncer) for the hardening tests.

Every server listens on 127.0.0.1 only, runs in its own process group and is killed with
that group when the ``with`` block ends, whatever happened inside it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_module(name: str) -> None:
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")


def stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(grace)


class Running:
    """A started server: its port and its log (shown in assertion messages)."""

    def __init__(self, proc: subprocess.Popen, port: int, log: Path) -> None:
        self.proc = proc
        self.port = port
        self.log = log

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _wait_for_http(running: Running, path: str) -> None:
    import http.client

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if running.proc.poll() is not None:
            raise RuntimeError(
                f"server exited with {running.proc.returncode}:\n{running.log_tail()}"
            )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"server did not answer {path} within {START_TIMEOUT} s:\n{running.log_tail()}"
    )


def server_env(db_name: str, mode: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.hardening.webapp.settings",
        "SCHEMASWITCH_DB_NAME": db_name,
        "HK_DB_MODE": mode,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def command(kind: str, port: int, workers: int, threads: int) -> list[str]:
    if kind == "gunicorn":
        return [
            sys.executable, "-m", "gunicorn", "tests.hardening.webapp.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads),
            "--keep-alive", "60", "--timeout", "60", "--graceful-timeout", "5",
            "--log-level", "warning",
        ]  # fmt: skip
    if kind == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", "tests.hardening.webapp.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--timeout-keep-alive", "60", "--log-level", "warning", "--no-access-log",
            "--lifespan", "off",
        ]  # fmt: skip
    raise ValueError(kind)


@contextlib.contextmanager
def web_server(
    kind: str, env: dict[str, str], *, workers: int = 2, threads: int = 4
) -> Iterator[Running]:
    """gunicorn (gthread) or uvicorn serving ``tests.hardening.webapp`` on a free port."""
    require_module(kind)
    with tempfile.NamedTemporaryFile(prefix=f"hk-{kind}-", suffix=".log", delete=False) as f:
        log = Path(f.name)
    running = None
    try:
        for attempt in range(3):
            port = free_port()
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    command(kind, port, workers, threads),
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            running = Running(proc, port, log)
            try:
                _wait_for_http(running, "/hk/health/")
                break
            except RuntimeError:
                stop_group(proc)
                # Another process took the free port between our check and the bind: retry.
                if "in use" not in running.log_tail() or attempt == 2:
                    raise
        yield running
    finally:
        if running is not None:
            stop_group(running.proc)
        log.unlink(missing_ok=True)
