"""The middleware: session choice, auto-selection, revocation, guards, async, streaming,
messages, context processor and the cost of a request in an already chosen schema."""

import json
import warnings

import pytest
from asgiref.sync import async_to_sync
from django.contrib.messages import get_messages
from django.db import connection
from django.test import AsyncClient, Client, override_settings
from django.test.utils import CaptureQueriesContext

from schemaswitch_admin import get_active_schema, schema_context
from schemaswitch_admin.context_processors import schemas as schemas_context
from schemaswitch_admin.exceptions import SchemaNotActivatedError
from schemaswitch_admin.middleware import SESSION_KEY
from schemaswitch_admin.models import Membership
from tests.switching_support import (
    CHOOSE_URL,
    LIST_URL,
    MIDDLEWARE_PATH,
    SWITCH_URL,
    active_in,
    drop_schema,
    logged_in,
    make_member,
    middleware_without_schemaswitch,
    rows_of,
    schema_pool_fixture,
    schemas_fixture,
    session_choice,
    state_of,
)
from tests.tenantapp.views import Boom

schema_pool = schema_pool_fixture()
schemas = schemas_fixture()


@pytest.fixture
def two(schemas):
    """A user who is a member of alpha and beta, in alpha."""
    alpha, beta = schemas["alpha"], schemas["beta"]
    user = make_member(alpha, beta)
    client = logged_in(user)
    client.post(SWITCH_URL, {"schema": "alpha"})
    return alpha, beta, user, client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- the session's choice ------------------------------------------------------------------


def test_session_choice_is_active_in_the_view_and_left_after_the_response(two):
    alpha, beta, user, client = two

    response = client.get(LIST_URL)

    assert rows_of(response) == {"alpha"}
    assert active_in(response) == "alpha"
    chosen = response.wsgi_request.schema
    assert (chosen.pk, chosen.name, chosen.display_name) == (alpha.pk, "alpha", "Alpha")
    assert chosen.created_at == alpha.created_at  # converted like an ORM instance
    assert response.wsgi_request.schema_choice_source == "session"
    assert get_active_schema() is None


def test_schema_is_left_when_the_view_raises(two):
    *_, client = two

    with pytest.raises(Boom):
        client.get("/tenant/projects/boom/")

    assert get_active_schema() is None


def test_each_user_sees_their_own_schema_on_a_shared_connection(schemas):
    alpha, beta = schemas["alpha"], schemas["beta"]
    in_alpha = logged_in(make_member(alpha))
    in_beta = logged_in(make_member(beta))

    for _ in range(2):
        assert rows_of(in_alpha.get(LIST_URL)) == {"alpha"}
        assert rows_of(in_beta.get(LIST_URL)) == {"beta"}


def test_request_without_schema_after_one_in_a_schema_cannot_read_its_rows(two):
    """The path a previous request left on the connection is never trusted for private
    tables: a request with no schema gets an error, not the previous tenant's rows."""
    alpha, beta, user, client = two
    no_schema = logged_in(make_member(username="loner"))
    assert rows_of(client.get(LIST_URL)) == {"alpha"}
    # Nothing runs between the two requests: the connection still holds alpha's path.

    with pytest.raises(SchemaNotActivatedError):
        no_schema.get("/tenant/projects/plain/")


def test_anonymous_requests_run_without_schema(two):
    state = state_of(Client())

    assert state == {"active": None, "schema": None, "source": None}


def test_anonymous_browser_is_sent_to_login_by_schema_required(two):
    response = Client().get(LIST_URL)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_anonymous_json_client_gets_a_json_error_from_schema_required(two):
    response = Client().get(LIST_URL, headers={"Accept": "application/json"})

    assert response.status_code == 403
    assert json.loads(response.content)["error"] == "login_required"


def test_json_client_without_schema_gets_a_json_error_not_a_redirect(two):
    *_, client = two
    client.post(SWITCH_URL, {"schema": ""})

    response = client.get(LIST_URL, headers={"X-Requested-With": "XMLHttpRequest"})

    assert response.status_code == 403
    body = json.loads(response.content)
    assert body["error"] == "schema_required"
    assert body["choose_url"] == CHOOSE_URL + "?next=%2Ftenant%2Fprojects%2F"


@pytest.mark.parametrize("url", ["/tenant/projects/cbv/", "/tenant/projects/acbv/"])
def test_schema_required_mixin_guards_class_based_views(two, url):
    *_, client = two
    assert rows_of(client.get(url)) == {"alpha"}

    client.post(SWITCH_URL, {"schema": ""})
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(CHOOSE_URL)


# -- auto-selection -----------------------------------------------------------------------


def test_user_with_exactly_one_schema_gets_it_selected(schemas):
    user = make_member(schemas["alpha"])
    client = logged_in(user)

    assert state_of(client) == {"active": "alpha", "schema": "alpha", "source": "auto"}
    assert session_choice(client) == "alpha"
    assert Membership.objects.get(user=user).last_used_at is not None
    assert state_of(client)["source"] == "session"


def test_inactive_schemas_do_not_count_for_auto_selection(schemas):
    client = logged_in(make_member(schemas["alpha"], schemas["delta"]))

    assert state_of(client)["schema"] == "alpha"


def test_user_with_several_schemas_gets_none_selected(two, settings):
    settings.SCHEMASWITCH_RESUME_LAST_SCHEMA = False  # login would resume alpha
    alpha, beta, user, _ = two
    client = logged_in(user)

    assert state_of(client)["schema"] is None
    assert session_choice(client) == "<unset>"


def test_deliberately_leaving_the_only_schema_is_respected(schemas):
    client = logged_in(make_member(schemas["alpha"]))
    assert state_of(client)["schema"] == "alpha"

    client.post(SWITCH_URL, {"schema": ""})

    assert state_of(client)["schema"] is None
    assert state_of(client)["schema"] is None


def test_auto_selection_can_be_turned_off(schemas, settings):
    settings.SCHEMASWITCH_AUTO_SELECT = False
    client = logged_in(make_member(schemas["alpha"]))

    assert state_of(client)["schema"] is None


# -- revocation, dropping, deactivation ----------------------------------------------------


def test_revoked_membership_clears_the_choice_on_the_next_request_with_a_message(two):
    alpha, beta, user, client = two
    Membership.objects.filter(user=user, schema=alpha).delete()

    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(CHOOSE_URL)
    assert session_choice(client) == "<unset>"
    assert messages_of(response) == [
        "You no longer have access to the schema “Alpha”; choose another one."
    ]
    chooser = client.get(response["Location"])
    assert "You no longer have access" in chooser.content.decode()
    assert "value=\"alpha\"" not in chooser.content.decode()


def test_revoked_user_left_with_one_schema_gets_it_on_the_request_after(two):
    alpha, beta, user, client = two
    Membership.objects.filter(user=user, schema=alpha).delete()

    assert state_of(client)["schema"] is None
    assert state_of(client) == {"active": "beta", "schema": "beta", "source": "auto"}


def test_dropped_schema_clears_the_choice_with_a_message(two):
    alpha, beta, user, client = two
    drop_schema(alpha)

    response = client.get("/tenant/state/")

    assert json.loads(response.content)["schema"] is None
    assert session_choice(client) == "<unset>"
    assert messages_of(response) == ["The schema “alpha” no longer exists; choose another one."]


def test_deactivated_schema_clears_a_members_choice(two):
    alpha, beta, user, client = two
    alpha.delete()  # deactivates

    response = client.get("/tenant/state/")

    assert json.loads(response.content)["schema"] is None
    assert messages_of(response) == [
        "The schema “Alpha” has been deactivated; choose another one."
    ]


def test_message_reaches_the_user_whatever_the_middleware_order(two, settings):
    alpha, beta, user, _ = two
    order = middleware_without_schemaswitch()
    order.append(MIDDLEWARE_PATH)  # after MessageMiddleware this time
    settings.MIDDLEWARE = order
    client = logged_in(user)
    client.post(SWITCH_URL, {"schema": "alpha"})
    Membership.objects.filter(user=user, schema=alpha).delete()

    response = client.get("/tenant/state/")

    assert messages_of(response) == [
        "You no longer have access to the schema “Alpha”; choose another one."
    ]


# -- superusers ---------------------------------------------------------------------------


@pytest.fixture
def root(schemas):
    return make_member(username="root", is_superuser=True, is_staff=True)


def test_superuser_may_use_any_schema_without_membership(root):
    client = logged_in(root)

    assert client.post(SWITCH_URL, {"schema": "alpha"}).status_code == 302
    assert rows_of(client.get(LIST_URL)) == {"alpha"}


def test_superuser_may_use_an_inactive_schema(root):
    client = logged_in(root)

    client.post(SWITCH_URL, {"schema": "delta"})

    assert rows_of(client.get(LIST_URL)) == {"delta"}


def test_superusers_are_members_like_others_when_configured(root, settings):
    settings.SCHEMASWITCH_SUPERUSER_ALL_SCHEMAS = False
    client = logged_in(root)

    assert client.post(SWITCH_URL, {"schema": "alpha"}).status_code == 403


def test_superusers_lose_inactive_schemas_when_configured(root, settings):
    settings.SCHEMASWITCH_SUPERUSER_INACTIVE_SCHEMAS = False
    client = logged_in(root)

    response = client.post(SWITCH_URL, {"schema": "delta"}, headers={"Accept": "application/json"})

    assert response.status_code == 403
    assert json.loads(response.content)["error"] == "schema_inactive"


def test_inactive_user_is_refused(two):
    alpha, beta, user, client = two
    user.is_active = False
    user.save()

    assert state_of(client)["schema"] is None
    assert client.get(LIST_URL + "?__schema=alpha").status_code == 403


# -- async and streaming ------------------------------------------------------------------


def test_async_view_runs_in_the_chosen_schema_under_the_asgi_handler(two):
    alpha, beta, user, _ = two

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(user)
        switched = await client.post(SWITCH_URL, {"schema": "beta"})
        in_beta = await client.get("/tenant/projects/async/")
        header = await client.get(
            "/tenant/projects/async/", headers={"X-Change-Schema": "alpha"}
        )
        refused = await client.get(
            "/tenant/projects/async/?__schema=nosuch", headers={"Accept": "application/json"}
        )
        after_refusal = await client.get("/tenant/projects/async/")
        return switched, in_beta, header, refused, after_refusal

    switched, in_beta, header, refused, after_refusal = async_to_sync(scenario)()

    assert switched.status_code == 302
    assert json.loads(in_beta.content) == {
        "active": "beta",
        "schema": "beta",
        "source": "session",
        "names": ["row-of-beta"],
    }
    assert json.loads(header.content)["names"] == ["row-of-alpha"]
    assert json.loads(header.content)["source"] == "header"
    assert refused.status_code == 403
    # The header on a GET bound that request only: the session is still in beta.
    assert json.loads(after_refusal.content)["names"] == ["row-of-beta"]
    assert get_active_schema() is None


def test_async_view_without_schema_is_sent_to_the_chooser(two, settings):
    settings.SCHEMASWITCH_RESUME_LAST_SCHEMA = False  # login would resume alpha
    alpha, beta, user, _ = two

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(user)
        return await client.get("/tenant/projects/async/")

    response = async_to_sync(scenario)()

    assert response.status_code == 302
    assert response["Location"].startswith(CHOOSE_URL)


def test_streaming_body_is_produced_inside_the_schema(two):
    *_, client = two

    response = client.get("/tenant/projects/stream/")

    body = b"".join(response.streaming_content).decode()
    assert body == "active=alpha\nrow-of-alpha\n"
    assert get_active_schema() is None


@pytest.mark.parametrize("url", ["/tenant/projects/stream/", "/tenant/projects/astream/"])
def test_streaming_body_under_asgi_is_produced_inside_the_schema(two, url):
    alpha, beta, user, _ = two

    async def scenario():
        client = AsyncClient()
        await client.aforce_login(user)
        await client.post(SWITCH_URL, {"schema": "beta"})
        response = await client.get(url)
        return b"".join([chunk async for chunk in response])

    with warnings.catch_warnings():
        # Django warns that it consumes a sync iterator for an async server: expected here.
        warnings.simplefilter("ignore", Warning)
        body = async_to_sync(scenario)()

    assert body.decode() == "active=beta\nrow-of-beta\n"
    assert get_active_schema() is None


# -- context processor --------------------------------------------------------------------


def test_context_processor_exposes_the_active_schema_and_lazily_the_users_schemas(two):
    *_, client = two
    request = client.get(LIST_URL).wsgi_request

    with CaptureQueriesContext(connection) as untouched:
        context = schemas_context(request)
    assert len(untouched) == 0

    assert context["active_schema"].name == "alpha"
    assert [s.name for s in context["user_schemas"]] == ["alpha", "beta"]


# -- cost ---------------------------------------------------------------------------------


def _count(client, url, *, schema=None):
    sets_before = connection.search_path_sets
    with schema_context(schema), CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    statements = [q["sql"] for q in queries.captured_queries]
    return response, statements, connection.search_path_sets - sets_before


def test_request_in_a_chosen_schema_costs_one_statement_more_than_plain_django(two):
    """The same view, once behind the middleware (schema from the session) and once without
    it (the test activates the schema itself). Plain Django would send the same statements
    minus our backend's SET, so the baseline counts only the non-SET ones."""
    alpha, beta, user, client = two
    url = "/tenant/projects/plain/"
    client.get(url)  # warm up: nothing below may depend on a first-request effect

    chosen, with_mw, sets_with_mw = _count(client, url)

    with override_settings(MIDDLEWARE=middleware_without_schemaswitch()):
        plain_client = logged_in(user)
        plain, without_mw, sets_without_mw = _count(plain_client, url, schema="alpha")

    plain_django = [s for s in without_mw if not s.startswith("SET search_path")]
    assert rows_of(chosen) == rows_of(plain) == {"alpha"}
    assert len(with_mw) - len(plain_django) <= 1, (with_mw, plain_django)
    assert sets_with_mw == 0
    assert not any("SET search_path" in s for s in with_mw)
    assert sets_without_mw == 1  # the backend alone sends its SET; the middleware carries it
    print(
        f"\nstatements: plain Django {len(plain_django)}, backend without middleware "
        f"{len(without_mw)}, with middleware {len(with_mw)}"
    )


def test_async_request_in_a_chosen_schema_sends_no_separate_set(two):
    alpha, beta, user, _ = two
    client = AsyncClient()
    async_to_sync(client.aforce_login)(user)
    async_to_sync(client.post)(SWITCH_URL, {"schema": "alpha"})
    async_to_sync(client.get)("/tenant/projects/async/")
    sets_before = connection.search_path_sets

    with CaptureQueriesContext(connection) as queries:
        response = async_to_sync(client.get)("/tenant/projects/async/")

    assert json.loads(response.content)["names"] == ["row-of-alpha"]
    assert connection.search_path_sets == sets_before
    assert len(queries) == 4  # session, user, check-and-enter, the view's query


def test_session_key_is_the_documented_constant(two):
    *_, client = two

    assert client.session[SESSION_KEY] == "alpha"
