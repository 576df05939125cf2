"""The activation API: validation, nesting, decorators, contextvar isolation."""

import asyncio
import threading

import pytest

from schemaswitch_admin import (
    activate_schema,
    deactivate_schema,
    get_active_schema,
    schema_context,
)
from schemaswitch_admin.exceptions import InvalidSchemaName
from schemaswitch_admin.signals import schema_activated

HOSTILE_NAMES = [
    "",
    "A",
    "Tenant",
    '"; DROP SCHEMA public CASCADE; --',
    "a;b",
    "a b",
    'a"b',
    "a'b",
    "café",
    "ünïcode",
    "a" * 64,
    "1abc",
    "_abc",
    "pg_catalog",
    "pg_temp_1",
    "public",
    "information_schema",
    "a-b",
    "a\x00b",
    "a\nb",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_activate_refuses_invalid_and_hostile_names(name):
    with pytest.raises(InvalidSchemaName):
        activate_schema(name)
    with pytest.raises(InvalidSchemaName):
        schema_context(name)
    assert get_active_schema() is None


def test_activate_refuses_non_strings():
    for value in (1, b"abc", ["a"]):
        with pytest.raises(InvalidSchemaName):
            activate_schema(value)


def test_longest_valid_name_is_accepted():
    name = "a" * 63
    with schema_context(name):
        assert get_active_schema() == name


def test_template_schema_can_be_activated_for_migrations():
    with schema_context("__template__"):
        assert get_active_schema() == "__template__"


def test_activate_and_deactivate():
    activate_schema("alpha")
    assert get_active_schema() == "alpha"
    deactivate_schema()
    assert get_active_schema() is None


def test_nested_contexts_restore_the_outer_schema():
    with schema_context("outer"):
        with schema_context("inner"):
            assert get_active_schema() == "inner"
            with schema_context(None):
                assert get_active_schema() is None
            assert get_active_schema() == "inner"
        assert get_active_schema() == "outer"
    assert get_active_schema() is None


def test_context_restores_after_an_exception():
    with schema_context("outer"):
        with pytest.raises(ZeroDivisionError):
            with schema_context("inner"):
                raise ZeroDivisionError
        assert get_active_schema() == "outer"


def test_one_context_object_can_be_reentered():
    ctx = schema_context("again")
    with ctx:
        with ctx:
            assert get_active_schema() == "again"
        assert get_active_schema() == "again"
    assert get_active_schema() is None


def test_decorator_activates_per_call_and_restores():
    @schema_context("decorated")
    def work():
        return get_active_schema()

    with schema_context("caller"):
        assert work() == "decorated"
        assert get_active_schema() == "caller"


def test_decorator_on_coroutine_function():
    @schema_context("async_decorated")
    async def work():
        await asyncio.sleep(0)
        return get_active_schema()

    assert asyncio.run(work()) == "async_decorated"
    assert get_active_schema() is None


def test_threads_do_not_see_each_others_schema():
    seen = {}
    barrier = threading.Barrier(20)

    def run(i):
        with schema_context(f"thread_{i}"):
            barrier.wait()
            seen[i] = get_active_schema()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
    with schema_context("main"):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert get_active_schema() == "main"
    assert seen == {i: f"thread_{i}" for i in range(20)}


def test_asyncio_tasks_do_not_see_each_others_schema():
    async def task(i):
        with schema_context(f"task_{i}"):
            for _ in range(5):
                await asyncio.sleep(0)
                assert get_active_schema() == f"task_{i}"
            return get_active_schema()

    async def main():
        return await asyncio.gather(*(task(i) for i in range(50)))

    assert asyncio.run(main()) == [f"task_{i}" for i in range(50)]


def test_schema_activated_signal_is_sent():
    received = []

    def receiver(schema, **kwargs):
        received.append(schema)

    schema_activated.connect(receiver)
    try:
        with schema_context("signalled"):
            pass
        activate_schema("direct")
        deactivate_schema()
    finally:
        schema_activated.disconnect(receiver)
    assert received == ["signalled", "direct"]
