from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from . import report
from .pgcluster import Cluster
from .servers import ROOT


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not report.RESULTS and not report.NOTES:
        return
    terminalreporter.section("hardening: measured")
    if report.RESULTS:
        terminalreporter.write_line(report.table())
    for text in report.NOTES:
        terminalreporter.write_line(text)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster of our own, which tests may restart."""
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def django_subprocess(
    args: list[str], env: dict[str, str], *, timeout: float = 180
) -> subprocess.CompletedProcess:
    """``python <args>`` in the repository with ``env``; fails the test with its output."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0, f"{args} failed:\n{output}"
    return result
