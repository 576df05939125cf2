"""Bad input from a fuzzer: schema names, ``__schema`` values and ``X-Change-Schema`` headers
with quotes, semicolons, unicode, NUL, whitespace and great length. Never a 500, never a SQL
error, never a switch to a schema the user is not in.

The oracle is the rule, not the code: a switch is allowed exactly when the value (stripped of
surrounding whitespace where the channel strips it: the header and the switch view) names an
active schema the user is a member of, or is empty (leave every schema).
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schemaswitch_admin import schema_context
from schemaswitch_admin.exceptions import InvalidSchemaName
from schemaswitch_admin.middleware import SESSION_KEY
from schemaswitch_admin.models import Schema
from tests.switching_support import (
    LIST_URL,
    SWITCH_URL,
    logged_in,
    make_member,
    rows_of,
    schema_pool_fixture,
    schemas_fixture,
)

schema_pool = schema_pool_fixture()
schemas = schemas_fixture()

MEMBER_OF = {"alpha", "beta"}  # and "delta", which is inactive; never "gamma"
NASTY = [
    "alpha",
    " alpha ",
    "alpha\x00",
    "\x00",
    "ALPHA",
    "alpha;",
    'alpha"; DROP SCHEMA public CASCADE; --',
    "alpha'; SELECT pg_sleep(10); --",
    '"alpha"',
    "alpha, public",
    "gamma",
    "delta",
    "__template__",
    "public",
    "pg_catalog",
    "information_schema",
    "$user",
    "a" * 63,
    "a" * 64,
    "b" * 10_000,
    "ａｌｐｈａ",  # fullwidth letters
    "alpha\u200b",  # zero-width space
    "alpha\n",
    "beta\r\n",
    "",
    " ",
]
values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=80),
    st.text(alphabet=st.sampled_from(list("alphbetgmd_;'\"\\ ,$-\x00\t\né0")), max_size=24),
    st.builds(lambda a, b: a + b, st.sampled_from(["alpha", "beta", "gamma"]), st.text(max_size=4)),
    st.text(min_size=64, max_size=3000),
)
CHANNELS = [
    "query_get",
    "query_post",
    "header_get",
    "header_post",
    "switch_form",
    "switch_json",
    "marker",
]
#: The channels that change the session's choice; the others bind one request (or tab).
SESSION_CHANNELS = {"header_post", "switch_form", "switch_json"}
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


def allowed(channel: str, value: str) -> bool:
    name = value if channel.startswith("query") else value.strip()
    return name == "" or name in MEMBER_OF


def send(client, channel: str, value: str):
    if channel == "query_get":
        return client.get(LIST_URL, {"__schema": value})
    if channel == "query_post":
        return client.post(LIST_URL + "?" + urlencode({"__schema": value}))
    if channel == "header_get":
        return client.get(LIST_URL, headers={"X-Change-Schema": value})
    if channel == "header_post":
        return client.post(LIST_URL, headers={"X-Change-Schema": value})
    if channel == "marker":
        return client.get("/@" + quote(value, safe="") + LIST_URL)
    if channel == "switch_form":
        return client.post(SWITCH_URL, {"schema": value})
    return client.post(SWITCH_URL, json.dumps({"schema": value}), content_type="application/json")


def assert_transaction_usable() -> None:
    """A SQL error inside the test's transaction would leave it aborted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.fixture
def member(schemas):
    return make_member(schemas["alpha"], schemas["beta"], schemas["delta"])


@pytest.mark.slow
@FUZZ
@given(channel=st.sampled_from(CHANNELS), value=values)
@example(channel="header_post", value=" beta\t")
@example(channel="query_get", value=" beta")
@example(channel="switch_json", value='gamma"')
@example(channel="marker", value="gamma")
def test_fuzzed_switches_never_fail_and_never_leave_the_users_schemas(member, channel, value):
    client = logged_in(member)
    session = client.session
    session[SESSION_KEY] = "alpha"
    session.save()

    response = send(client, channel, value)
    assert response.status_code < 500
    # Whatever the answer, it shows at most rows of a schema the user is in.
    assert rows_of(response) <= MEMBER_OF
    if response.status_code in (301, 302):
        location = response["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    if channel == "marker":
        # A marker is one path segment: anything but a member schema's name is refused or
        # is not a marker at all (another path, 404).
        if value not in MEMBER_OF:
            assert rows_of(response) == set()
    elif not allowed(channel, value):
        assert response.status_code == 403, (response.status_code, response.content[:300])
    assert_transaction_usable()

    after = client.get(LIST_URL)
    assert after.status_code < 500
    chosen = client.session.get(SESSION_KEY)
    if allowed(channel, value) and channel in SESSION_CHANNELS:
        name = value.strip()
        assert chosen == name
        assert rows_of(after) == ({name} if name else set())
    else:
        # Refused, or bound to that one request: still in alpha, nothing else.
        assert chosen == "alpha" and rows_of(after) == {"alpha"}


def valid_name(name: str) -> bool:
    """The documented rule, written independently of the code under test."""
    return (
        re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name) is not None
        and not name.startswith("pg_")
        and name not in {"public", "information_schema"}
    )


@pytest.mark.slow
@FUZZ
@given(name=st.one_of(values, st.from_regex(r"\A[a-z][a-z0-9_]{0,20}\Z")))
@example(name="hk_fuzz_ok")
@example(name="pg_toast")
def test_fuzzed_schema_names_are_refused_before_sql_or_created_exactly(schemas, name):
    if name != "__template__":
        if valid_name(name):
            with schema_context(name):
                pass
        else:
            with pytest.raises(InvalidSchemaName):
                schema_context(name)

    if not valid_name(name):
        with pytest.raises(InvalidSchemaName):
            Schema.objects.create_schema(name)
        for args, options in (
            (["create_schema", name], {}),
            (["drop_schema", name], {"yes": True}),
            (["migrate"], {"schema": [name]}),
        ):
            with pytest.raises(CommandError):
                call_command(*args, verbosity=0, **options)
    else:
        # Created with exactly that name (or refused as taken), in a savepoint rolled back.
        try:
            with transaction.atomic():
                Schema.objects.create_schema(name)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = %s", [name])
                    assert cursor.fetchall() == [(name,)]
                transaction.set_rollback(True)
        except DatabaseError as exc:
            assert name in {"alpha", "beta", "gamma", "delta"}, exc
    assert_transaction_usable()
