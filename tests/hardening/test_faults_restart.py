"""PostgreSQL restarted while requests are in flight, on a throwaway cluster of our own (the
shared test server is never restarted). Requests caught by the restart fail with a 5xx and
show nothing; none shows a foreign row; once the server is back every request succeeds."""

from __future__ import annotations

import threading
import time

import pytest

from . import report
from .conftest import django_subprocess
from .load import Background, Browser, run_load
from .servers import server_env, web_server
from .world import World

pytestmark = pytest.mark.slow

DB = "hk_restart"


@pytest.fixture(scope="module")
def restart_site(pg_cluster, tmp_path_factory):
    """A migrated database on the throwaway cluster with 6 schemas and 12 visitors."""
    pg_cluster.create_database(DB)
    env = {
        "DATABASE_URL": pg_cluster.url(DB),
        "SCHEMASWITCH_DB_NAME": DB,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    django_subprocess(["-m", "django", "migrate", "-v", "0"], env)
    out = tmp_path_factory.mktemp("restart") / "world.json"
    django_subprocess(
        ["-m", "tests.hardening.world", "build", "--prefix", "hkr", "--schemas", "6",
         "--users", "12", "--out", str(out)],
        env,
    )  # fmt: skip
    return env, World.from_json(out.read_text())


def wait_for_sleeping_query(pg_cluster, server, slow_thread, slow, timeout=15.0) -> None:
    deadline = time.monotonic() + timeout
    with pg_cluster.connect(DB, autocommit=True) as conn:
        while time.monotonic() < deadline:
            assert slow_thread.is_alive(), f"slow request ended: {slow}\n{server.log_tail()}"
            (count,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE 'SELECT pg_sleep%%' AND pid <> pg_backend_pid()"
            ).fetchone()
            if count:
                return
            time.sleep(0.05)
    raise AssertionError("the slow request never reached PostgreSQL")


@pytest.mark.parametrize("mode", ["persistent", "pool"])
def test_restart_in_flight_fails_cleanly_and_recovers_without_leaks(pg_cluster, restart_site, mode):
    env, world = restart_site
    slow_visitor = next(v for v in world.visitors if v.start is not None)
    extra = {"DATABASE_URL": env["DATABASE_URL"], "HK_POOL_CHECK": "1"}
    with web_server("gunicorn", server_env(DB, mode, **extra), workers=1, threads=4) as server:
        before = run_load(server.port, world, total=200, concurrency=3, seed=11)
        stop = threading.Event()
        slow: dict = {}

        def slow_request() -> None:
            browser = Browser(server.port)
            try:
                slow["answer"] = browser.get("/hk/slow/?s=5", slow_visitor)
            finally:
                browser.close()

        slow_thread = threading.Thread(target=slow_request, daemon=True)
        with Background(server.port, world, total=20_000, concurrency=3, seed=12, stop=stop) as bg:
            slow_thread.start()
            wait_for_sleeping_query(pg_cluster, server, slow_thread, slow)
            pg_cluster.restart()
            time.sleep(1.0)
            stop.set()
        slow_thread.join(60)
        during = bg.join()
        after = run_load(server.port, world, total=400, concurrency=4, seed=13)
        log = server.log_tail()
    for label, outcome in (("before", before), ("during", during), ("after", after)):
        report.record(f"gunicorn, {mode}, PostgreSQL restart: {label}", outcome)
    doubtful = during.stored_despite_error + after.stored_despite_error
    report.note(
        f"PostgreSQL restart ({mode}): the in-flight request got {slow['answer'][0]}; "
        f"{doubtful} switch(es) answered with an error had been stored all the same."
    )
    detail = during.detail() + "\n" + after.detail() + "\n--- log ---\n" + log
    # The request in flight failed cleanly: a 500 without rows.
    status, body = slow["answer"]
    assert status == 500 and "rows" not in body, (status, body)
    for outcome in (before, during, after):
        assert outcome.leaks == 0, detail
        # Every other request either got its own schema's rows and status, or a 5xx.
        assert outcome.wrong == 0, detail
    assert before.errors == 0, detail
    # Every request after the restart succeeded.
    assert after.errors == 0 and after.requests == 400, detail
