"""The benchmark harness (``python -m bench``) runs end to end at a tiny size.

Figures are not checked (no wall-clock assertions): these tests only keep the harness from
rotting as the code it measures changes. Each part runs in a child process against
databases of its own (prefixed with this test run's database name) and writes its report to
a temporary file, never to docs/benchmarks.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run_bench(*args: str, output: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["BENCH_DB_PREFIX"] = os.environ.get("SCHEMASWITCH_TEST_DB", "test_schemaswitch") + "_bench"
    return subprocess.run(
        [sys.executable, "-m", "bench", *args, "--output", str(output)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _report_untouched_by(run):
    real_report = REPO / "docs" / "benchmarks.md"
    before = real_report.read_bytes() if real_report.exists() else None
    result = run()
    assert (real_report.read_bytes() if real_report.exists() else None) == before
    return result


@pytest.mark.parametrize(
    ("part", "heading"),
    [
        ("creation", "Schema creation"),
        ("migrate", "Migrating many schemas"),
        ("snapshot", "Per-tenant snapshot"),
        ("fleet", "A fleet of schemas"),
        ("admin", "Admin pages over many schemas"),
        # Without a local Citus build the part records that it was not measured.
        ("citus", "Schema creation on Citus"),
    ],
)
def test_benchmark_part_runs_at_tiny_size_and_writes_its_report(tmp_path, part, heading):
    from bench.runner import load_results

    output = tmp_path / "benchmarks.md"

    done = _report_untouched_by(lambda: run_bench(part, "--size", "tiny", output=output))

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = output.read_text()
    assert f"## 1. {heading}" in report
    assert "| target | measured | verdict |" in report
    stored = load_results(output)
    assert list(stored) == [part]
    assert stored[part]["size"] == "tiny"


def test_a_second_part_is_added_to_the_report_keeping_the_first_parts_figures(tmp_path):
    from bench.runner import load_results

    output = tmp_path / "benchmarks.md"
    first = _report_untouched_by(lambda: run_bench("fixtures", "--size", "tiny", output=output))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    fixtures_run = load_results(output)["fixtures"]

    second = _report_untouched_by(lambda: run_bench("requests", "--size", "tiny", output=output))

    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    report = output.read_text()
    assert "## 1. Request overhead" in report
    assert "## 2. Fixtures" in report
    stored = load_results(output)
    assert set(stored) == {"fixtures", "requests"}
    assert stored["fixtures"] == fixtures_run


def test_unknown_part_is_refused(tmp_path):
    done = run_bench("nonsense", output=tmp_path / "out.md")

    assert done.returncode == 2
    assert "unknown part" in done.stderr
    assert not (tmp_path / "out.md").exists()


def test_a_size_a_part_does_not_have_is_refused_before_anything_runs(tmp_path):
    done = run_bench("requests", "fleet", "--size", "medium", output=tmp_path / "out.md")

    assert done.returncode == 2
    assert "part(s) requests have no size medium" in done.stderr
    assert not (tmp_path / "out.md").exists()
