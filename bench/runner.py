"""``python -m bench [part ...] [--size tiny|full] [--output PATH]``.

Runs the chosen parts (all by default), prints each part's tables and rewrites the report
(``docs/benchmarks.md`` by default) and its raw figures beside it (``docs/benchmarks.json``).
Parts not run this time keep the figures of their last run, each with its own date, machine,
versions and command, so one part can be re-measured without re-running everything.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from . import (
    admin_pages,
    citus,
    creation,
    fixtures,
    fleet,
    many_schemas,
    request_overhead,
    snapshot,
)
from .proc import REPO
from .report import Target, table, targets_table

PARTS: dict[str, ModuleType] = {
    "requests": request_overhead,
    "creation": creation,
    "migrate": many_schemas,
    "fixtures": fixtures,
    "snapshot": snapshot,
    "fleet": fleet,
    "admin": admin_pages,
    "citus": citus,
}
DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"
_RESULTS = re.compile(r"<!-- bench-results\n(.*?)\n-->", re.S)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("parts", nargs="*", metavar="part",
                        help=f"which benchmarks to run: {', '.join(PARTS)} (default: all)")
    parser.add_argument("--size", choices=["tiny", "medium", "full"], default="full",
                        help="tiny: a few seconds per part, to check the harness; medium: "
                        "1,000 schemas where a part has that size (fleet, migrate); full: "
                        "the sizes the report is about (default)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"report to rewrite (default: {DEFAULT_OUTPUT.relative_to(REPO)})")
    options = parser.parse_args(argv)
    unknown = sorted(set(options.parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    chosen = options.parts or list(PARTS)
    lacking = [name for name in chosen if options.size not in PARTS[name].SIZES]
    if lacking:
        parser.error(f"part(s) {', '.join(lacking)} have no size {options.size}")

    from .machine import describe

    results = load_results(options.output)
    command = " ".join(["python -m bench", *argv])
    failed = []
    for name in chosen:
        module = PARTS[name]
        print(f"== {module.TITLE} ({options.size})", flush=True)
        started = time.perf_counter()
        try:
            result = module.run(options.size)
        except Exception:  # noqa: BLE001 - report it, run the other parts
            traceback.print_exc()
            failed.append(name)
            continue
        results[name] = {
            "result": result,
            "size": options.size,
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "seconds": round(time.perf_counter() - started, 1),
            "command": command,
            "machine": describe(),
        }
        print(module.markdown(result))
        print(targets_table(module.targets(result)), "\n", flush=True)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(render(results))
    raw = results_path(options.output)
    raw.write_text(json.dumps(_rounded(results), indent=1, sort_keys=True) + "\n")
    print(f"Wrote {options.output} and {raw}")
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def results_path(report: Path) -> Path:
    """Where the raw figures of ``report`` live: beside it, as JSON."""
    return report.with_suffix(".json")


def load_results(path: Path) -> dict[str, Any]:
    """The results a previous run stored beside the report (or, from reports written before
    the figures moved out, in a comment inside it); none when absent or unreadable."""
    try:
        return json.loads(results_path(path).read_text())
    except (OSError, ValueError):
        pass
    try:
        match = _RESULTS.search(path.read_text())
        return json.loads(match.group(1)) if match else {}
    except (OSError, ValueError):
        return {}


def render(results: dict[str, Any]) -> str:
    parts = [name for name in PARTS if name in results]
    all_targets: list[Target] = []
    for name in parts:
        all_targets += PARTS[name].targets(results[name]["result"])
    out = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (the `bench/` package; `make bench`), which rewrites this "
        "file: do not edit it by hand. Each part runs the same work side by side with the "
        "alternative, in databases of its own on the embedded PostgreSQL, so the figures that "
        "count are the ratios measured in one run.",
        "",
        "The figures were taken on a **shared 2-core machine** while other jobs (test runs) "
        "may have been running; absolute times move from run to run, ratios much less. "
        "The raw figures are in `benchmarks.json` beside this file. Figures measured with "
        "real servers under load (gunicorn, uvicorn, PgBouncer in session and transaction "
        "mode: requests, leaks, p50/p99, round trips) come from the hardening tests and are "
        "in [reliability.md](reliability.md).",
        "",
        "## Where we stand",
        "",
        "The targets of issues 8 (overhead, creation, migrate, fixtures, snapshot), 17 (zero "
        "extra statements, 10,000 schemas) and 18 (Citus). A part's targets are judged on its "
        "last run; parts not re-run keep their figures and dates (see Runs).",
        "",
        targets_table(all_targets) if all_targets else "No results yet.",
        "",
        "## Runs",
        "",
        _runs_table(results, parts),
        "",
    ]
    for number, name in enumerate(parts, 1):
        module = PARTS[name]
        out += [f"## {number}. {module.TITLE}", "", module.markdown(results[name]["result"]), ""]
        out += [targets_table(module.targets(results[name]["result"])), ""]
    return "\n".join(out)


def _rounded(value: Any) -> Any:
    """Raw figures with 6 decimals (microseconds): enough, and a readable report."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _runs_table(results: dict[str, Any], parts: list[str]) -> str:
    header = ["part", "date", "size", "command", "took"]
    keys = ["cpu", "cores", "ram", "os", "python", "django", "psycopg", "postgresql",
            "django-tenants", "gunicorn"]
    rows = []
    for name in parts:
        run = results[name]
        machine = run["machine"]
        rows.append(
            [PARTS[name].TITLE, run["date"], run["size"], f"`{run['command']}`",
             f"{run['seconds']:.0f} s"]
            + [machine.get(key, "?") for key in keys]
        )
    return table(header + keys, rows)
