"""Run only by tests/test_dev_lifecycle.py, through a nested ``make test`` (its name keeps it
out of the normal collection): a test run that joined the embedded server, saw a subprocess
join it and die by SIGKILL (a holder that never says goodbye), then passes or fails as
``SCHEMASWITCH_PROBE`` says."""

import os
import subprocess
import sys

import pytest

OUTCOME = os.environ.get("SCHEMASWITCH_PROBE")

pytestmark = pytest.mark.skipif(OUTCOME is None, reason="run by tests/test_dev_lifecycle.py")

JOIN = (
    "from schemaswitch_admin.dev.db import embedded_server_url; embedded_server_url(); "
    "print('joined', flush=True); import time; time.sleep(120)"
)


def test_probe_with_a_holder_killed_without_its_exit_hooks():
    from django.conf import settings

    assert settings.DATABASES["default"]["HOST"], "the settings joined the embedded server"
    holder = subprocess.Popen([sys.executable, "-c", JOIN], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "joined"
    finally:
        holder.kill()
        holder.wait()
    assert OUTCOME == "passes", "failing on purpose"
