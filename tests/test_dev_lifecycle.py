"""The README's two commands as a newcomer runs them: ``make demo`` and ``make test``, each in a
subprocess, on an embedded PostgreSQL data directory of the test's own.

What they prove: a busy port is refused before anything is announced, with the command for
another port; ``make demo PORT=…`` serves there; stopping the demo (SIGTERM to make, or
CONTROL-C to the whole process group as a terminal sends it) and finishing ``make test``
(pass or fail) leave no PostgreSQL server behind, also when pids of processes that died
without their exit hooks are already in the server's holder list.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemaswitch_admin.dev.embedded_holders import HANDLE_FILE, forget_dead_holders

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.prefix)
PROBE = ROOT / "tests" / "probes" / "make_test_probe.py"
START_SECONDS = 300  # a first run creates the cluster and migrates the demo database
STOP_SECONDS = 60

pytestmark = pytest.mark.skipif(
    not (VENV / ".installed").exists(),
    reason="runs make with the virtualenv the Makefile created (make test)",
)


def make(*args: str) -> list[str]:
    """``make`` in the repository with this test run's virtualenv, never reinstalling it."""
    return [
        "make", "--no-print-directory", "-C", str(ROOT), *args,
        f"VENV={VENV}", "-o", f"{VENV}/.installed",
    ]  # fmt: skip


def environment(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # PYTEST_VERSION would make the debug toolbar refuse to run ("running tests"); an
        # outer make (make test) would hand its command-line variables down via MAKEFLAGS.
        if k not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "PYTEST_VERSION", "DATABASE_URL"}
        and k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}
    }
    env["SCHEMASWITCH_PGDATA"] = str(data_dir)
    return env


def postgres_servers(data_dir: Path) -> list[int]:
    """Pids of PostgreSQL server processes running on ``data_dir``."""
    import psutil

    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(data_dir) in cmdline:
            found.append(process.pid)
    return found


def wait_until_no_server(data_dir: Path, seconds: float = 10) -> list[int]:
    """The servers still running after at most ``seconds`` (a stopping server takes a moment
    to exit after the command that stopped it has returned)."""
    deadline = time.monotonic() + seconds
    while (left := postgres_servers(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dead_pids(count: int) -> list[int]:
    """Pids of processes that have exited and been collected."""
    pids = []
    for _ in range(count):
        process = subprocess.Popen([sys.executable, "-c", "pass"])
        process.wait()
        pids.append(process.pid)
    return pids


def plant_stale_holders(data_dir: Path) -> list[int]:
    """What a crashed run leaves: pids in the holder list whose processes are gone."""
    pids = dead_pids(3)
    (data_dir / HANDLE_FILE).write_text(json.dumps(pids))
    return pids


def create_cluster(data_dir: Path, env: dict[str, str]) -> None:
    """initdb through the embedded server's first start (it stops again when this exits)."""
    subprocess.run(
        [sys.executable, "-c", "from schemaswitch_admin.dev import db; db.embedded_server_url()"],
        env=env,
        check=True,
        timeout=START_SECONDS,
    )
    assert wait_until_no_server(data_dir) == []


@contextlib.contextmanager
def fresh_data_dir() -> Iterator[Path]:
    """A data directory path outside pytest's temporary directories: pytest makes its base
    directory private to the user running the tests, and under root the embedded server runs
    as a user of its own, which then could not reach the directory to stop the server."""
    parent = Path(tempfile.mkdtemp(prefix="schemaswitch-lifecycle-"))
    path = parent / "pgdata"
    try:
        yield path
    finally:
        for pid in postgres_servers(path):  # only if a test failed and left one
            os.kill(pid, signal.SIGQUIT)
        wait_until_no_server(path)
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """One data directory for the demo's tests: its database is migrated once."""
    with fresh_data_dir() as path:
        yield path


#: Runs a command the way a terminal runs its foreground job: with CONTROL-C's signal at its
#: default. A CI runner that starts the suite in the background (``nohup cmd &``) has SIGINT
#: ignored, which every child inherits, and a demo that ignores CONTROL-C is not what the
#: tests below are about.
AS_IN_A_TERMINAL = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execvp(sys.argv[1], sys.argv[1:])",
]


class Demo:
    """``make demo PORT=…`` in a session of its own, its output collected by a thread."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.port = port
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [*AS_IN_A_TERMINAL, *make("demo", f"PORT={port}")],
            env=environment(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_serving(self) -> str:
        """The login page's HTML, once the announced address answers."""
        deadline = time.monotonic() + START_SECONDS
        url = f"http://127.0.0.1:{self.port}/accounts/login/"
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the demo exited:\n{self.output}"
            if "The demo runs at" in self.output:
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        return response.read().decode()
                except OSError:
                    pass
            time.sleep(0.5)
        raise AssertionError(f"the demo did not answer at {url}:\n{self.output}")

    def stop(self, how: str) -> int:
        if how == "sigterm":
            self.process.send_signal(signal.SIGTERM)  # to make, which passes it on
        else:  # CONTROL-C in a terminal: SIGINT to the whole foreground process group
            os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=STOP_SECONDS)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_SECONDS)


@pytest.fixture
def run_demo(data_dir) -> Iterator:
    started: list[Demo] = []

    def start(port: int) -> Demo:
        demo = Demo(data_dir, port)
        started.append(demo)
        return demo

    yield start
    for demo in started:
        demo.kill()


# -- the holder list -------------------------------------------------------------------------


def test_forgetting_dead_holders_keeps_the_live_ones(tmp_path):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead = dead_pids(2)
        (tmp_path / HANDLE_FILE).write_text(json.dumps([dead[0], live.pid, os.getpid(), dead[1]]))
        assert sorted(forget_dead_holders(tmp_path)) == sorted(dead)
        assert (tmp_path / HANDLE_FILE).read_text() == json.dumps([live.pid, os.getpid()])
    finally:
        live.kill()
        live.wait()


def test_a_holder_that_exited_but_was_not_collected_counts_as_gone(tmp_path):
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    import psutil

    while psutil.Process(zombie.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the child did not exit"
        time.sleep(0.05)
    try:
        (tmp_path / HANDLE_FILE).write_text(json.dumps([zombie.pid]))
        assert forget_dead_holders(tmp_path) == [zombie.pid]
    finally:
        zombie.wait()


# -- make demo -------------------------------------------------------------------------------


@pytest.mark.slow
def test_make_demo_on_a_busy_port_fails_before_announcing_and_names_make_demo_port(data_dir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            make("demo", f"PORT={port}"),
            env=environment(data_dir),
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
        )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"Port {port} on 127.0.0.1 is already in use" in output
    assert "The demo runs at" not in output
    assert "alice-demo" not in output, "the logins were announced"
    suggested = re.search(r"make demo PORT=(\d+)", output)
    assert suggested, output
    assert int(suggested.group(1)) > port
    assert wait_until_no_server(data_dir) == []


@pytest.mark.slow
@pytest.mark.parametrize("stale", [False, True], ids=["clean", "after-stale-pids"])
@pytest.mark.parametrize("how", ["sigterm", "control-c"])
def test_make_demo_port_serves_there_and_stopping_it_leaves_no_postgres(
    data_dir, run_demo, how, stale
):
    if stale:
        data_dir.mkdir(parents=True, exist_ok=True)
        planted = plant_stale_holders(data_dir)
    port = free_port()
    demo = run_demo(port)
    page = demo.wait_until_serving()
    assert f"The demo runs at http://127.0.0.1:{port}/" in demo.output
    assert "alice-demo" in page, "the login page shows the demo logins"
    assert 'data-default-show="false"' in page, "the debug toolbar starts collapsed"
    assert postgres_servers(data_dir), "the demo runs on the embedded server of its data dir"

    demo.stop(how)

    assert wait_until_no_server(data_dir) == [], demo.output
    if stale:
        assert not set(planted) & set(json.loads((data_dir / HANDLE_FILE).read_text()))


# -- make test -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("outcome", ["passes", "fails"])
def test_make_test_leaves_no_postgres_whether_it_passes_or_fails(outcome):
    """A nested ``make test`` on the probe module: it joins the server, has a subprocess join
    it too and SIGKILLs that (a dead holder), and passes or fails; a crashed earlier run has
    left dead holders as well."""
    with fresh_data_dir() as data_dir:
        env = environment(data_dir) | {"SCHEMASWITCH_PROBE": outcome}
        create_cluster(data_dir, env)
        plant_stale_holders(data_dir)
        result = subprocess.run(
            make("test", f"PYTEST_ARGS={PROBE} -q"),
            env=env,
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
        )
        left = wait_until_no_server(data_dir)
    output = result.stdout + result.stderr
    assert ("1 passed" if outcome == "passes" else "1 failed") in output, output
    assert result.returncode == (0 if outcome == "passes" else 2), output
    assert left == [], output
