"""The schema-aware session engine (``schemaswitch_admin.sessions.db``): a request in a chosen
schema costs exactly plain Django's statements, its one session read re-checks the membership
by the same policy as ``check_and_enter``, and every way to make that read stale or wrong
falls back to the middleware's own check instead of trusting it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import SESSION_KEY as AUTH_USER_KEY
from django.contrib.messages import get_messages
from django.core import checks
from django.db import connection
from django.test import AsyncClient, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from schemaswitch_admin import schema_context
from schemaswitch_admin.backends.postgresql.search_path import path_value
from schemaswitch_admin.entering import check_and_enter
from schemaswitch_admin.models import Membership
from schemaswitch_admin.selection import SESSION_KEY
from schemaswitch_admin.sessions.db import SessionStore
from schemaswitch_admin.sessions.handoff import checked_by_session
from schemaswitch_admin.sessions.models import SchemaSession
from schemaswitch_admin.testing.factories import SuperUserFactory, UserFactory
from tests.switching_support import (
    STATE_URL,
    SWITCH_URL,
    drop_schema,
    logged_in,
    make_member,
    middleware_without_schemaswitch,
    rows_of,
    schema_pool_fixture,
    schemas_fixture,
    session_choice,
)

schema_pool = schema_pool_fixture()
schemas = schemas_fixture()

ENGINE = "schemaswitch_admin.sessions.db"
PAGE = "/tenant/projects/plain/"
#: The middleware's own check statement (the session read carries the same call inside).
CHECK_STATEMENT = "SELECT pg_catalog.set_config('search_path'"


@pytest.fixture
def engine(settings):
    settings.SESSION_ENGINE = ENGINE


@pytest.fixture
def world(engine, schemas):
    """A member of alpha and beta (role admin in beta), not of gamma, whose session is in
    alpha, signed in through the schema-aware engine."""
    alpha, beta, gamma, delta = (schemas[n] for n in ("alpha", "beta", "gamma", "delta"))
    user = make_member(alpha, delta)
    Membership.objects.create(user=user, schema=beta, role="admin")
    client = logged_in(user)
    assert client.post(SWITCH_URL, {"schema": "alpha"}).status_code == 302
    client.get(PAGE)  # warm up: nothing measured may depend on a first-request effect
    return alpha, beta, gamma, user, client


@pytest.fixture(params=["server reports", "keeper remembers"])
def path_knowledge(request):
    """Both ways the keeper knows the path: PostgreSQL 18's report, and its own bookkeeping
    (what servers before 18 leave it with; simulated here on whatever server runs)."""
    if request.param == "server reports":
        yield request.param
        return
    connection.ensure_connection()
    keeper = connection.schema_path
    keeper.connected(connection.connection, trust_reports=False)
    try:
        yield request.param
    finally:
        keeper.connected(connection.connection, trust_reports=True)


def count(client, url, *, schema=None, **extra):
    sets_before = connection.search_path_sets
    with schema_context(schema), CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    statements = [q["sql"] for q in queries.captured_queries]
    return response, statements, connection.search_path_sets - sets_before


def plain_django_statements(user, schema: str) -> list[str]:
    """The same page served by Django alone (Django's database sessions, no middleware; the
    test activates the schema, as plain Django has only one): its statements, our backend's
    own SET apart."""
    with override_settings(
        MIDDLEWARE=middleware_without_schemaswitch(),
        SESSION_ENGINE="django.contrib.sessions.backends.db",
    ):
        client = logged_in(user)
        with schema_context(schema):
            client.get(PAGE)
        response, statements, _ = count(client, PAGE, schema=schema)
    assert response.status_code == 200
    return [s for s in statements if not s.startswith("SELECT pg_catalog.set_config")]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- the cost ------------------------------------------------------------------------------


def test_a_page_in_the_chosen_schema_costs_exactly_plain_djangos_statements(
    world, path_knowledge
):
    alpha, beta, gamma, user, client = world

    response, statements, sets = count(client, PAGE)

    plain = plain_django_statements(user, "alpha")
    assert rows_of(response) == {"alpha"}
    assert len(statements) == len(plain) == 3, (statements, plain)
    assert sets == 0
    assert "schemaswitch_session" in statements[0]
    assert "set_config('search_path'" in statements[0]
    print(f"\nstatements: plain Django {len(plain)}, with the engine {len(statements)}")


def test_without_the_engine_the_same_page_costs_one_statement_more(world, settings):
    alpha, beta, gamma, user, _ = world
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client = logged_in(user)
    client.post(SWITCH_URL, {"schema": "alpha"})
    client.get(PAGE)

    response, statements, sets = count(client, PAGE)

    assert rows_of(response) == {"alpha"}
    assert len(statements) == len(plain_django_statements(user, "alpha")) + 1
    assert sets == 0


@pytest.mark.parametrize(
    ("url", "extra", "rows"),
    [
        ("/@alpha" + PAGE, {}, "alpha"),  # bound to the session's schema
        ("/@beta" + PAGE, {}, "beta"),  # another tab, bound to another schema
        (PAGE, {"HTTP_X_CHANGE_SCHEMA": "beta"}, "beta"),  # an API client's header
    ],
)
def test_a_request_naming_its_schema_costs_plain_djangos_statements_too(
    world, path_knowledge, url, extra, rows
):
    alpha, beta, gamma, user, client = world

    response, statements, sets = count(client, url, **extra)

    assert response.status_code == 200, response.content[:300]
    assert rows_of(response) == {rows}
    assert len(statements) == len(plain_django_statements(user, rows))
    assert sets == 0
    assert session_choice(client) == "alpha"


def test_the_async_path_costs_plain_djangos_statements(world):
    alpha, beta, gamma, user, _ = world
    client = AsyncClient()
    async_to_sync(client.aforce_login)(user)
    async_to_sync(client.post)(SWITCH_URL, {"schema": "beta"})
    async_to_sync(client.get)("/tenant/projects/async/")
    sets_before = connection.search_path_sets

    with CaptureQueriesContext(connection) as queries:
        response = async_to_sync(client.get)("/tenant/projects/async/")

    assert json.loads(response.content)["names"] == ["row-of-beta"]
    assert connection.search_path_sets == sets_before
    assert len(queries) == 3  # the session (with the check), the user, the view's query


def test_other_session_engines_keep_their_extra_statement(world, settings):
    alpha, beta, gamma, user, _ = world
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    client = logged_in(user)
    client.post(SWITCH_URL, {"schema": "alpha"})
    client.get(PAGE)

    response, statements, sets = count(client, PAGE)

    assert rows_of(response) == {"alpha"}
    # No session statement at all; the user read and the check, then the page.
    assert len(statements) == 3
    assert statements[1].startswith(CHECK_STATEMENT)
    assert sets == 0


def test_a_session_read_before_the_middleware_falls_back_when_the_schema_differs(
    world, settings
):
    """CSRF_USE_SESSIONS reads the session in CsrfViewMiddleware, before the middleware can
    say which schema the request wants: the read checked the session's choice (alpha), the
    URL wants beta, so the middleware runs its own check."""
    alpha, beta, gamma, user, client = world
    settings.CSRF_USE_SESSIONS = True

    same, same_statements, _ = count(client, "/@alpha" + PAGE)
    other, other_statements, _ = count(client, "/@beta" + PAGE)

    assert rows_of(same) == {"alpha"}
    assert rows_of(other) == {"beta"}
    assert len(same_statements) == 3
    assert len(other_statements) == 4
    assert other_statements[2].startswith(CHECK_STATEMENT)


# -- the same decision as check_and_enter --------------------------------------------------


def read_check(session_key: str, user, name: str, *, wanted: str | None = None):
    store = SessionStore(session_key)
    store.want_schema(wanted)
    store.load()
    return checked_by_session(store, user, name, "default")


def session_for(user, choice: str | None) -> str:
    store = SessionStore()
    store[AUTH_USER_KEY] = str(user.pk)
    if choice is not None:
        store[SESSION_KEY] = choice
    store.create()
    return store.session_key


@pytest.mark.parametrize("who", ["member", "admin member", "stranger", "superuser"])
@pytest.mark.parametrize("where", ["alpha", "delta", "dropped"])
@pytest.mark.parametrize("superusers_everywhere", [True, False])
def test_the_session_read_decides_exactly_as_check_and_enter(
    engine, schemas, settings, who, where, superusers_everywhere
):
    settings.SCHEMASWITCH_SUPERUSER_ALL_SCHEMAS = superusers_everywhere
    settings.SCHEMASWITCH_SUPERUSER_INACTIVE_SCHEMAS = superusers_everywhere
    user = SuperUserFactory() if who == "superuser" else UserFactory()
    if who in ("member", "admin member"):
        role = "admin" if who == "admin member" else "editor"
        for name in ("alpha", "delta"):
            Membership.objects.create(user=user, schema=schemas[name], role=role)
    name = "nosuch" if where == "dropped" else where
    key = session_for(user, name)

    from_session = read_check(key, user, name)
    from_bound_url = read_check(key, user, name, wanted=name)
    from_statement = check_and_enter(user, name)

    assert from_session is not None and from_bound_url is not None
    assert from_session == from_bound_url == from_statement
    assert (from_session.role, from_session.membership_id) == (
        from_statement.role,
        from_statement.membership_id,
    )


def test_the_read_reports_the_path_it_set_to_the_keeper(engine, schemas):
    user = make_member(schemas["alpha"])
    key = session_for(user, "alpha")
    store = SessionStore(key)

    with schema_context("beta"):  # whatever path the connection holds, public's rows
        Membership.objects.count()
        store.load()
    read = store.take_membership_read()
    sets_before = connection.search_path_sets
    with schema_context("alpha"), connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        shown = cursor.fetchone()[0]

    assert read.path_set and read.name == "alpha"
    assert connection.search_path_sets == sets_before  # the keeper knew: no SET
    assert shown == path_value("alpha")


# -- fall-backs and attacks ----------------------------------------------------------------


def test_columns_follow_the_data_through_switch_and_logout(world):
    alpha, beta, gamma, user, client = world
    key = client.cookies["sessionid"].value

    row = SchemaSession.objects.get(session_key=key)
    assert (row.user_id, row.schema_name, row.schema_path) == (
        user.pk,
        "alpha",
        path_value("alpha"),
    )
    client.post(SWITCH_URL, {"schema": ""})
    row.refresh_from_db()
    assert (row.schema_name, row.schema_path) == (None, None)

    client.logout()
    assert not SchemaSession.objects.filter(session_key=key).exists()


def test_a_rotated_key_is_not_trusted(world):
    alpha, beta, gamma, user, client = world
    store = SessionStore(client.cookies["sessionid"].value)
    store.load()

    store.cycle_key()

    assert store.take_membership_read() is None
    row = SchemaSession.objects.get(session_key=store.session_key)
    assert (row.user_id, row.schema_name) == (user.pk, "alpha")


def test_the_read_is_taken_once(world):
    alpha, beta, gamma, user, client = world
    store = SessionStore(client.cookies["sessionid"].value)
    store.load()

    assert checked_by_session(store, user, "alpha", "default").allowed
    assert checked_by_session(store, user, "alpha", "default") is None


def test_the_read_is_not_used_for_another_user_or_name_or_database(world):
    alpha, beta, gamma, user, client = world
    other = make_member(alpha)
    key = client.cookies["sessionid"].value

    for who, name, using in [(other, "alpha", "default"), (user, "beta", "default"),
                             (user, "alpha", "other")]:
        store = SessionStore(key)
        store.load()
        assert checked_by_session(store, who, name, using) is None


def test_a_revoked_membership_takes_effect_on_the_next_request(world):
    alpha, beta, gamma, user, client = world
    Membership.objects.filter(user=user, schema=alpha).delete()

    response = client.get(STATE_URL)

    assert json.loads(response.content)["schema"] is None
    assert session_choice(client) == "<unset>"
    assert messages_of(response) == [
        "You no longer have access to the schema “Alpha”; choose another one."
    ]


def test_a_deactivated_schema_is_left_on_the_next_request(world):
    alpha, beta, gamma, user, client = world
    alpha.delete()

    response = client.get(STATE_URL)

    assert json.loads(response.content)["schema"] is None
    assert messages_of(response) == [
        "The schema “Alpha” has been deactivated; choose another one."
    ]


def test_a_dropped_schema_is_left_on_the_next_request(world):
    alpha, beta, gamma, user, client = world
    drop_schema(alpha)

    response = client.get(STATE_URL)

    assert json.loads(response.content)["schema"] is None
    assert session_choice(client) == "<unset>"
    assert messages_of(response) == ["The schema “alpha” no longer exists; choose another one."]


def test_a_stale_tab_bound_to_a_schema_the_user_left_is_refused(world):
    alpha, beta, gamma, user, client = world
    Membership.objects.filter(user=user, schema=beta).delete()

    response = client.get("/@beta" + PAGE)

    assert response.status_code == 403
    assert b"row-of" not in response.content


@pytest.mark.parametrize("name", ["gamma", "nosuch", "__template__", "Bad-Name", "a\"; --"])
def test_a_url_naming_a_schema_the_user_may_not_use_shows_nothing(world, name):
    alpha, beta, gamma, user, client = world

    response = client.get(PAGE, HTTP_X_CHANGE_SCHEMA=name)

    assert response.status_code == 403
    assert b"row-of" not in response.content
    assert session_choice(client) == "alpha"


def test_a_session_whose_user_column_was_tampered_is_not_trusted(world):
    """The row says a member of gamma, the data says our user: the membership read for the
    column's user must not let our user in."""
    alpha, beta, gamma, user, client = world
    insider = make_member(gamma)
    key = client.cookies["sessionid"].value
    store = SessionStore(key)
    store[SESSION_KEY] = "gamma"
    store.save()
    SchemaSession.objects.filter(session_key=key).update(user_id=insider.pk)

    response, statements, _ = count(client, STATE_URL)

    assert json.loads(response.content)["schema"] is None
    assert session_choice(client) == "<unset>"
    assert any(s.startswith(CHECK_STATEMENT) for s in statements)  # the middleware's own


def test_the_store_keeps_no_read_whose_user_column_disagrees_with_the_data(world):
    alpha, beta, gamma, user, client = world
    insider = make_member(alpha)
    key = client.cookies["sessionid"].value
    SchemaSession.objects.filter(session_key=key).update(user_id=insider.pk)
    store = SessionStore(key)

    assert store[AUTH_USER_KEY] == str(user.pk)
    assert store.take_membership_read() is None


def test_a_tampered_stored_path_runs_in_the_checked_schema_anyway(world, path_knowledge):
    alpha, beta, gamma, user, client = world
    key = client.cookies["sessionid"].value
    SchemaSession.objects.filter(session_key=key).update(schema_path=path_value("gamma"))

    response, statements, sets = count(client, PAGE)

    assert rows_of(response) == {"alpha"}
    assert sets == 1  # the keeper was not told gamma's path was alpha's: it sets alpha's


def test_tampered_session_data_is_an_anonymous_session(world):
    alpha, beta, gamma, user, client = world
    key = client.cookies["sessionid"].value
    SchemaSession.objects.filter(session_key=key).update(session_data="garbage")

    response = client.get(STATE_URL)

    assert json.loads(response.content) == {"active": None, "schema": None, "source": None}
    assert response.wsgi_request.user.is_anonymous


def test_an_expired_session_is_an_anonymous_session(world):
    alpha, beta, gamma, user, client = world
    key = client.cookies["sessionid"].value
    SchemaSession.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = client.get("/@alpha" + PAGE)

    assert response.status_code == 302
    assert b"row-of" not in response.content


def test_logging_in_as_someone_else_drops_the_choice(world):
    alpha, beta, gamma, user, client = world
    stranger = make_member(gamma)

    client.force_login(stranger)
    response = client.get(PAGE)

    assert b"row-of-alpha" not in response.content
    assert session_choice(client) != "alpha"


def test_an_inactive_user_is_refused(world):
    alpha, beta, gamma, user, client = world
    user.is_active = False
    user.save()

    response = client.get("/@alpha" + PAGE)

    assert b"row-of" not in response.content


def test_a_bound_url_opened_after_logout_goes_to_login(engine, schemas, settings):
    anonymous = logged_in(make_member(schemas["alpha"]))
    anonymous.logout()

    response = anonymous.get("/@alpha" + PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL)
    assert b"row-of" not in response.content


# -- system checks -------------------------------------------------------------------------


def engine_messages():
    from schemaswitch_admin.sessions.checks import check_session_engine

    return {m.id: m for m in check_session_engine()}


def test_engine_without_its_app_is_an_error(settings):
    settings.SESSION_ENGINE = ENGINE
    settings.INSTALLED_APPS = [
        a for a in settings.INSTALLED_APPS if a != "schemaswitch_admin.sessions"
    ]

    found = engine_messages()

    assert list(found) == ["schemaswitch_admin.E030"]
    assert found["schemaswitch_admin.E030"].level == checks.ERROR


def test_engine_table_outside_the_shared_apps_is_an_error(settings):
    settings.SESSION_ENGINE = ENGINE
    settings.SCHEMASWITCH_SHARED_APPS = ["auth", "contenttypes", "schemaswitch_admin"]

    assert list(engine_messages()) == ["schemaswitch_admin.E031"]


def test_engine_without_the_middleware_is_a_warning(settings):
    settings.SESSION_ENGINE = ENGINE
    settings.MIDDLEWARE = middleware_without_schemaswitch()

    found = engine_messages()

    assert list(found) == ["schemaswitch_admin.W032"]
    assert found["schemaswitch_admin.W032"].level == checks.WARNING


def test_the_engine_configured_as_documented_passes_its_checks(settings):
    settings.SESSION_ENGINE = ENGINE

    assert engine_messages() == {}


def test_clearsessions_removes_the_engines_expired_rows(world):
    from django.core.management import call_command

    alpha, beta, gamma, user, client = world
    key = client.cookies["sessionid"].value
    SchemaSession.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )

    call_command("clearsessions")

    assert not SchemaSession.objects.filter(session_key=key).exists()


def test_behind_a_transaction_pooler_the_read_sets_the_path_for_its_transaction_only(world):
    alpha, beta, gamma, user, client = world
    keeper = connection.schema_path
    keeper.per_transaction = True  # what SCHEMASWITCH_POOLER = "transaction" sets at connect
    try:
        with CaptureQueriesContext(connection) as queries:
            SessionStore(client.cookies["sessionid"].value).load()
    finally:
        keeper.per_transaction = False
        keeper.forget()

    assert "COALESCE(NULL, ss.\"schema_path\"), true)" in queries[0]["sql"]
