"""Switching schemas: every way in (query parameter, header, switch view as form and JSON),
every refusal, deselecting, safe redirects, CSRF and the chooser."""

import json
import re
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.test import Client

from schemaswitch_admin.models import Membership
from tests.switching_support import (
    CHOOSE_URL,
    LIST_URL,
    STATE_URL,
    SWITCH_URL,
    active_in,
    logged_in,
    make_member,
    rows_of,
    schema_pool_fixture,
    schemas_fixture,
    session_choice,
    state_of,
)

schema_pool = schema_pool_fixture()
schemas = schemas_fixture()


@pytest.fixture
def world(schemas):
    """alpha, beta: member; gamma: not a member; delta: member but inactive. The user's
    session starts in alpha."""
    alpha, beta, gamma, delta = (schemas[n] for n in ("alpha", "beta", "gamma", "delta"))
    user = make_member(alpha, beta, delta)
    client = logged_in(user)
    assert client.post(SWITCH_URL, {"schema": "alpha"}).status_code == 302
    assert session_choice(client) == "alpha"
    return SimpleNamespace(
        alpha=alpha, beta=beta, gamma=gamma, delta=delta, user=user, client=client
    )


# -- the ways to choose, as functions of (client, name) -----------------------------------
#
# Two kinds: a session switch changes the default of every unbound page (needs a POST that
# passes CSRF); a binding opens one request (and the tab, through its bound URL) in a schema
# and leaves the session alone.


def via_query_get(client, name, **extra):
    return client.get(LIST_URL + "?" + urlencode({"__schema": name}), **extra)


def via_query_post(client, name, **extra):
    return client.post(LIST_URL + "?" + urlencode({"__schema": name}), **extra)


def via_header_get(client, name, **extra):
    return client.get(LIST_URL, headers={"X-Change-Schema": name}, **extra)


def via_header_post(client, name, **extra):
    return client.post(LIST_URL, headers={"X-Change-Schema": name}, **extra)


def via_marker(client, name, **extra):
    return client.get(f"/@{name}{LIST_URL}", **extra)


def via_switch_form(client, name, **extra):
    return client.post(SWITCH_URL, {"schema": name, "next": LIST_URL}, **extra)


def via_switch_json(client, name, **extra):
    return client.post(
        SWITCH_URL,
        json.dumps({"schema": name, "next": LIST_URL}),
        content_type="application/json",
        **extra,
    )


SESSION_SWITCHES = {
    "header-post": via_header_post,
    "switch-form": via_switch_form,
    "switch-json": via_switch_json,
}
BINDINGS = {
    "query-get": via_query_get,
    "query-post": via_query_post,
    "header-get": via_header_get,
    "marker": via_marker,
}
SWITCH_PATHS = {**SESSION_SWITCHES, **BINDINGS}
JSON_PATHS = {"switch-json"}


def assert_answered_in(path, response, name):
    """The response of ``path`` asked for schema ``name`` (``""``: none)."""
    if path == "switch-form":
        assert response.status_code == 302
        assert response["Location"] == LIST_URL
    elif path == "switch-json":
        assert response.status_code == 200
        assert json.loads(response.content)["schema"] == (name or None)
    elif path == "query-get" and name:
        # Opened bound to the schema: the tab keeps it, the session does not change.
        assert response.status_code == 302
        assert response["Location"] == f"/@{name}{LIST_URL}"
    elif name:
        assert response.status_code == 200
        assert rows_of(response) == {name}
        assert active_in(response) == name
    else:
        # No schema for this request: the guarded view sends the user to the chooser.
        assert response.status_code == 302
        assert response["Location"].startswith(CHOOSE_URL)


@pytest.mark.parametrize("path", SESSION_SWITCHES)
def test_each_session_switch_changes_the_default_schema(world, path):
    response = SWITCH_PATHS[path](world.client, "beta")

    assert_answered_in(path, response, "beta")
    assert session_choice(world.client) == "beta"
    later = world.client.get(LIST_URL)
    assert rows_of(later) == {"beta"}
    assert active_in(later) == "beta"


@pytest.mark.parametrize("path", BINDINGS)
def test_each_binding_opens_a_member_schema_and_leaves_the_session_alone(world, path):
    response = SWITCH_PATHS[path](world.client, "beta")

    assert_answered_in(path, response, "beta")
    if path == "query-get":
        assert rows_of(world.client.get(response["Location"])) == {"beta"}
    assert session_choice(world.client) == "alpha"
    assert rows_of(world.client.get(LIST_URL)) == {"alpha"}


@pytest.mark.parametrize("path", SESSION_SWITCHES)
def test_each_session_switch_deselects_with_an_empty_value(world, path):
    response = SWITCH_PATHS[path](world.client, "")

    assert_answered_in(path, response, "")
    assert session_choice(world.client) == ""
    assert state_of(world.client)["schema"] is None
    later = world.client.get(LIST_URL)
    assert later.status_code == 302
    assert later["Location"].startswith(CHOOSE_URL)


@pytest.mark.parametrize("path", ["query-get", "query-post", "header-get"])
def test_an_empty_binding_runs_that_request_without_schema_only(world, path):
    response = SWITCH_PATHS[path](world.client, "")

    assert_answered_in(path, response, "")
    assert session_choice(world.client) == "alpha"
    assert rows_of(world.client.get(LIST_URL)) == {"alpha"}


REFUSED = {
    "not-a-member": ("gamma", "schema_forbidden"),
    "unknown": ("nosuchschema", "schema_forbidden"),
    "template": ("__template__", "schema_forbidden"),
    "invalid-name": ('x"; DROP SCHEMA alpha CASCADE; --', "schema_forbidden"),
    "uppercase-name": ("Alpha", "schema_forbidden"),
    "inactive": ("delta", "schema_inactive"),
}


@pytest.mark.parametrize("reason", REFUSED)
@pytest.mark.parametrize("path", SWITCH_PATHS)
def test_each_way_refuses_with_403_and_keeps_the_previous_choice(world, path, reason):
    name, code = REFUSED[reason]
    if path == "marker":
        name = name.replace("/", "%2F")  # a marker is one path segment

    response = SWITCH_PATHS[path](world.client, name)

    assert response.status_code == 403
    if path in JSON_PATHS:
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content)["error"] == code
    else:
        assert response["Content-Type"].startswith("text/html")
        assert f'data-error="{code}"' in response.content.decode()
    assert session_choice(world.client) == "alpha"
    later = world.client.get(LIST_URL)
    assert rows_of(later) == {"alpha"}


@pytest.mark.parametrize("path", sorted(set(SWITCH_PATHS) - {"marker"}))
def test_anonymous_users_are_refused_on_every_path(world, path):
    anonymous = Client()

    response = SWITCH_PATHS[path](anonymous, "alpha")

    assert response.status_code == 403
    assert "alpha" not in anonymous.session.get("_schemaswitch_schema", "")


def test_anonymous_visitor_of_a_bound_url_logs_in_and_comes_back_to_it(world):
    anonymous = Client()

    response = via_marker(anonymous, "alpha")

    assert response.status_code == 302
    assert response["Location"].endswith("?next=/%40alpha/tenant/projects/")


def test_refusal_does_not_tell_unknown_schemas_from_other_tenants(world):
    outsider_tenant = via_switch_json(world.client, "gamma")
    no_such_schema = via_switch_json(world.client, "nosuchschema")

    assert outsider_tenant.status_code == no_such_schema.status_code == 403
    assert outsider_tenant.content == no_such_schema.content


def test_refusal_pages_differ_only_by_the_name_asked_for(world):
    def page(name):
        html = via_marker(world.client, name).content.decode().replace(name, "X")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    outsider_tenant, no_such_schema = page("gamma"), page("nosuchschema")

    assert outsider_tenant == no_such_schema
    assert "Gamma" not in outsider_tenant  # the display name would say the schema exists


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},
        {"Accept": "application/problem+json;q=0.9, text/plain;q=0.1"},
        {"X-Requested-With": "XMLHttpRequest"},
    ],
    ids=["accept", "accept-suffix", "x-requested-with"],
)
def test_json_clients_get_json_refusals(world, headers):
    response = via_query_get(world.client, "gamma", headers=headers)

    assert response.status_code == 403
    assert json.loads(response.content) == {
        "error": "schema_forbidden",
        "detail": "You cannot use this schema.",
    }


def test_browsers_get_an_html_refusal_page(world):
    response = via_query_get(
        world.client, "gamma", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert "You cannot use this schema." in response.content.decode()


# -- query parameter ----------------------------------------------------------------------


def test_query_get_redirects_to_the_same_url_bound_to_the_schema_keeping_other_parameters(
    world,
):
    response = world.client.get(
        LIST_URL, {"page": "2", "__schema": "beta", "tag": ["a", "b"], "q": "x y&z"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/@beta" + LIST_URL + "?page=2&tag=a&tag=b&q=x+y%26z"
    assert session_choice(world.client) == "alpha"


def test_query_on_post_runs_that_request_in_the_schema_without_switching(world):
    response = world.client.post(STATE_URL + "?__schema=beta&keep=1")

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "active": "beta",
        "schema": "beta",
        "source": "query",
    }
    assert session_choice(world.client) == "alpha"


def test_query_parameter_takes_precedence_over_the_header(world):
    response = world.client.post(
        STATE_URL + "?__schema=beta", headers={"X-Change-Schema": "alpha"}
    )

    assert json.loads(response.content)["schema"] == "beta"


# -- header -------------------------------------------------------------------------------


def test_header_on_a_safe_method_binds_that_request_only(world):
    state = state_of(world.client, headers={"X-Change-Schema": "beta"})

    assert state == {"active": "beta", "schema": "beta", "source": "header"}
    assert state_of(world.client) == {"active": "alpha", "schema": "alpha", "source": "session"}


def test_header_on_an_unsafe_method_is_kept_for_later_requests_without_redirect(world):
    response = world.client.post(STATE_URL, headers={"X-Change-Schema": "beta"})

    assert json.loads(response.content) == {"active": "beta", "schema": "beta", "source": "header"}
    assert state_of(world.client) == {"active": "beta", "schema": "beta", "source": "session"}


def test_header_naming_the_current_schema_writes_nothing(world):
    before = Membership.objects.get(user=world.user, schema=world.alpha).last_used_at

    state = state_of(world.client, headers={"X-Change-Schema": "alpha"})

    assert state["schema"] == "alpha"
    assert Membership.objects.get(user=world.user, schema=world.alpha).last_used_at == before


# -- switch view --------------------------------------------------------------------------


def test_switch_records_when_the_membership_was_last_used(world):
    assert Membership.objects.get(user=world.user, schema=world.beta).last_used_at is None

    via_switch_form(world.client, "beta")

    assert Membership.objects.get(user=world.user, schema=world.beta).last_used_at is not None


def test_switch_view_redirects_to_a_safe_next_with_its_query(world):
    response = world.client.post(SWITCH_URL, {"schema": "beta", "next": "/tenant/projects/?x=1"})

    assert response.status_code == 302
    assert response["Location"] == "/tenant/projects/?x=1"


def test_switch_view_without_next_redirects_to_the_configured_default(world, settings):
    settings.SCHEMASWITCH_SWITCH_REDIRECT_URL = "/tenant/state/"

    response = world.client.post(SWITCH_URL, {"schema": "beta"})

    assert response["Location"] == "/tenant/state/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "http://testserver@evil.example/",
        "https:evil.example",
        "javascript:alert(1)",
        " https://evil.example/",
        "http://evil.example\\@testserver/",
        "ftp://testserver/",
    ],
)
def test_switch_view_refuses_open_redirects(world, target):
    response = world.client.post(SWITCH_URL, {"schema": "beta", "next": target})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert session_choice(world.client) == "beta"


def test_switch_view_json_answer_names_the_new_schema_and_safe_next(world):
    response = world.client.post(
        SWITCH_URL,
        json.dumps({"schema": "beta", "next": "https://evil.example/"}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "schema": "beta",
        "display_name": "Beta",
        "next": "/",
    }


def test_switch_view_accepts_get_never(world):
    response = world.client.get(SWITCH_URL + "?schema=beta")

    assert response.status_code == 405
    assert session_choice(world.client) == "alpha"


@pytest.mark.parametrize(
    "body",
    ["{not json", "[1, 2]", json.dumps({"next": "/"}), json.dumps({"schema": 3})],
    ids=["malformed", "not-an-object", "missing-schema", "not-a-string"],
)
def test_switch_view_rejects_unreadable_json_with_400(world, body):
    response = world.client.post(SWITCH_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "bad_request"
    assert session_choice(world.client) == "alpha"


def test_switch_view_rejects_a_form_without_schema_with_400(world):
    response = world.client.post(SWITCH_URL, {"next": "/"})

    assert response.status_code == 400
    assert session_choice(world.client) == "alpha"


def test_switch_view_is_csrf_protected(world):
    strict = logged_in(world.user, enforce_csrf_checks=True)

    refused = strict.post(SWITCH_URL, {"schema": "beta"})
    assert refused.status_code == 403
    assert session_choice(strict) == "alpha"  # resumed at login, unchanged by the forgery

    chooser = strict.get(CHOOSE_URL)
    token = chooser.cookies["csrftoken"].value
    accepted = strict.post(
        SWITCH_URL, json.dumps({"schema": "beta"}), content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 200
    assert session_choice(strict) == "beta"


# -- chooser ------------------------------------------------------------------------------


def test_view_needing_a_schema_sends_a_user_with_several_to_the_chooser_and_back(schemas):
    client = logged_in(make_member(schemas["alpha"], schemas["beta"]))

    first = client.get(LIST_URL + "?page=3")
    assert first.status_code == 302
    assert first["Location"] == CHOOSE_URL + "?next=%2Ftenant%2Fprojects%2F%3Fpage%3D3"

    chooser = client.get(first["Location"])
    assert chooser.status_code == 200
    html = chooser.content.decode()
    assert 'name="schema" value="alpha"' in html
    assert 'name="schema" value="beta"' in html
    assert 'name="next" value="/tenant/projects/?page=3"' in html

    switched = client.post(SWITCH_URL, {"schema": "beta", "next": "/tenant/projects/?page=3"})
    assert switched["Location"] == "/tenant/projects/?page=3"
    assert rows_of(client.get(switched["Location"])) == {"beta"}


def test_chooser_lists_only_usable_schemas_with_the_last_used_first(world):
    via_switch_form(world.client, "beta")
    via_switch_form(world.client, "alpha")
    via_switch_form(world.client, "beta")

    response = world.client.get(CHOOSE_URL, headers={"Accept": "application/json"})

    listing = json.loads(response.content)
    names = [s["name"] for s in listing["schemas"]]
    assert names == ["beta", "alpha"]  # gamma: not a member; delta: inactive
    assert listing["current"] == "beta"
    assert [s["current"] for s in listing["schemas"]] == [True, False]


def test_chooser_page_marks_the_last_used_schema(world):
    via_switch_form(world.client, "beta")
    via_switch_form(world.client, "")

    html = world.client.get(CHOOSE_URL).content.decode()

    beta_item = html[html.index('value="beta"') - 600 : html.index('value="beta"')]
    assert "schemaswitch-last-used" in beta_item
    assert html.index('value="beta"') < html.index('value="alpha"')
    assert 'value="gamma"' not in html
    assert 'value="delta"' not in html


def test_chooser_shows_superusers_every_schema_including_inactive(world):
    admin = make_member(username="root", is_superuser=True, is_staff=True)
    client = logged_in(admin)

    response = client.get(CHOOSE_URL, headers={"Accept": "application/json"})

    names = {s["name"] for s in json.loads(response.content)["schemas"]}
    assert names == {"alpha", "beta", "gamma", "delta"}


def test_chooser_drops_an_unsafe_next(world):
    html = world.client.get(CHOOSE_URL + "?next=https://evil.example/").content.decode()

    assert "evil.example" not in html


def test_chooser_tells_a_user_without_schemas_to_ask_for_one(schemas):
    client = logged_in(make_member())

    html = client.get(CHOOSE_URL).content.decode()

    assert "You are not a member of any schema yet" in html
    assert 'name="schema"' not in html


def test_chooser_requires_login(db):
    response = Client().get(CHOOSE_URL)

    assert response.status_code == 302
    assert "/login/" in response["Location"]
