"""Entry point of a child process: ``python -m bench.worker module:function RESULT_FILE``.

Sets Django up with the settings module from the environment, runs the task with the JSON
arguments from ``BENCH_TASK_ARGS`` and writes its JSON-serialisable result.
"""

from __future__ import annotations

import importlib
import json
import os
import sys


def main(argv: list[str]) -> int:
    task, result_path = argv
    module_name, function_name = task.split(":")
    import django

    django.setup()
    module = importlib.import_module(f"bench.{module_name}")
    args = json.loads(os.environ.get("BENCH_TASK_ARGS") or "{}")
    result = getattr(module, function_name)(**args)
    with open(result_path, "w") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
