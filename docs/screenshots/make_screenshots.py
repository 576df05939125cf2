"""Regenerate the admin screenshots in this folder.

Runs the screenshot test of ``tests/test_admin_browser.py`` (headless Chromium from Debian's
``chromium`` and ``chromium-driver`` packages, driven by Selenium, against a live test server
on the test database), so the pictures always show the current templates and styles::

    python docs/screenshots/make_screenshots.py

Writes ``admin-no-schema.png``, ``selector-light.png``, ``selector-dark.png``,
``selector-narrow.png`` (375 px), ``selector-filter.png`` and ``selector-no-match.png``; with
Django 5.2 into ``django-5.2/``. Run it with each line's interpreter, e.g.
``.venv-dj52/bin/python docs/screenshots/make_screenshots.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    env = {**os.environ, "SCHEMASWITCH_SCREENSHOTS": "1"}
    env.setdefault("SCHEMASWITCH_TEST_DB", "test_screenshots")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/test_admin_browser.py::test_screenshots",
        "-q",
        "-rs",
    ]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
