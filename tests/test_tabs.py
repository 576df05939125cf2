"""Tab-safe switching: URLs bound to a schema, the write guard, what may change the session,
redirects that stay on the site, switching that keeps what still makes sense, login resume
and the refusal, conflict and chooser pages.

Every schema of the pool holds one project with primary key 1 named ``row-of-<schema>``, so
a page or a write says which schema it reached.
"""

from __future__ import annotations

import json
import re
import unicodedata
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import pytest
from asgiref.sync import async_to_sync
from django.contrib.admin.models import LogEntry
from django.core import checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from schemaswitch_admin import schema_context
from schemaswitch_admin.admin.pages import filter_means_the_same_elsewhere, next_url_after_switch
from schemaswitch_admin.models import Membership
from tests.admin_support import find, make_staff, selector_form
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
from tests.tenantapp.models import Note, Project

schema_pool = schema_pool_fixture()
schemas = schemas_fixture()

PROJECTS_ADMIN = "/admin/tenantapp/project/"
PROJECT_1_ADMIN = "/admin/tenantapp/project/1/change/"
RENAME_1 = "/tenant/projects/1/rename/"
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none"}


@pytest.fixture
def world(schemas):
    """A staff member of alpha and beta (not gamma), whose session is in alpha."""
    user = make_staff(schemas["alpha"], schemas["beta"], username="tabby")
    client = logged_in(user)
    assert client.post(SWITCH_URL, {"schema": "alpha"}).status_code == 302
    return SimpleNamespace(**schemas, user=user, client=client)


def project_names() -> dict[str, str]:
    found = {}
    for name in ("alpha", "beta", "gamma"):
        with schema_context(name):
            found[name] = Project.objects.get(pk=1).name
    return found


UNTOUCHED = {"alpha": "row-of-alpha", "beta": "row-of-beta", "gamma": "row-of-gamma"}


def last_used(user, schema):
    return Membership.objects.get(user=user, schema=schema).last_used_at


# -- URLs bound to a schema -----------------------------------------------------------------


def test_a_bound_url_runs_in_its_schema_whatever_the_session_says(world):
    response = world.client.get("/@beta" + LIST_URL)

    assert rows_of(response) == {"beta"}
    assert active_in(response) == "beta"
    assert response.wsgi_request.schema_choice_source == "url"
    assert response.wsgi_request.path == "/@beta" + LIST_URL
    assert session_choice(world.client) == "alpha"
    assert rows_of(world.client.get(LIST_URL)) == {"alpha"}


def test_links_and_forms_of_a_bound_page_carry_its_schema_and_static_files_do_not(world):
    response = world.client.get("/@beta" + PROJECTS_ADMIN)

    assert response.status_code == 200
    hrefs = {a.attrs.get("href") for a in find(response, "a")}
    assert "/@beta" + PROJECT_1_ADMIN in hrefs
    assert "/@beta/admin/tenantapp/project/add/" in hrefs
    assert PROJECT_1_ADMIN not in hrefs
    stylesheets = {link.attrs.get("href") for link in find(response, "link")}
    assert "/static/admin/css/base.css" in stylesheets
    assert not any(href.startswith("/@") for href in stylesheets)
    assert selector_form(response).attrs["action"] == "/@beta" + SWITCH_URL


def test_the_script_prefix_is_restored_after_a_bound_response(world):
    world.client.get("/@beta" + LIST_URL)

    assert reverse("project-list") == LIST_URL


def test_a_bound_url_works_under_the_asgi_handler(world):
    async def scenario():
        client = AsyncClient()
        await client.aforce_login(world.user)
        async_view = await client.get("/@beta/tenant/projects/async/")
        sync_view = await client.get("/@beta" + RENAME_1)
        return async_view, sync_view

    async_view, sync_view = async_to_sync(scenario)()

    assert json.loads(async_view.content)["names"] == ["row-of-beta"]
    assert json.loads(async_view.content)["source"] == "url"
    # A sync view under ASGI runs in a worker thread: it still sees the bound prefix.
    assert f'action="/@beta{RENAME_1}" id="bound-form"' in sync_view.content.decode()
    assert reverse("project-list") == LIST_URL


def test_a_copied_object_url_opens_that_schemas_object_for_a_member(world):
    response = world.client.get("/@beta" + PROJECT_1_ADMIN)

    assert response.status_code == 200
    assert response.context["original"].name == "row-of-beta"
    assert session_choice(world.client) == "alpha"


def test_a_copied_object_url_is_refused_to_a_non_member_and_shows_nothing(world):
    response = world.client.get("/@gamma" + PROJECT_1_ADMIN)
    followed = world.client.get("/@gamma" + PROJECT_1_ADMIN, follow=True)

    for answer in (response, followed):
        assert answer.status_code == 403
        assert "row-of-gamma" not in answer.content.decode()
    assert session_choice(world.client) == "alpha"


def test_append_slash_keeps_the_binding(world):
    response = world.client.get("/@beta/tenant/projects")

    assert response.status_code == 301
    assert response["Location"] == "/@beta/tenant/projects/"


def test_a_bound_request_costs_the_same_statements_as_one_in_the_sessions_schema(world):
    url = "/tenant/projects/plain/"
    world.client.get(url)
    world.client.get("/@alpha" + url)

    with CaptureQueriesContext(connection) as session_request:
        assert rows_of(world.client.get(url)) == {"alpha"}
    with CaptureQueriesContext(connection) as bound_request:
        assert rows_of(world.client.get("/@beta" + url)) == {"beta"}

    assert len(bound_request) == len(session_request)
    assert not any("SET search_path" in q["sql"] for q in bound_request.captured_queries)


@override_settings(SCHEMASWITCH_URL_MARKER=None)
def test_without_markers_a_query_get_binds_that_request_only_and_markers_are_plain_paths(
    world,
):
    response = world.client.get(LIST_URL + "?__schema=beta")

    assert rows_of(response) == {"beta"}
    assert session_choice(world.client) == "alpha"
    assert world.client.get("/@beta" + LIST_URL).status_code == 404


# -- browsers are moved to bound URLs --------------------------------------------------------


def test_a_page_opened_unbound_in_a_browser_tab_moves_to_its_bound_url(world):
    response = world.client.get(LIST_URL + "?x=1", headers=NAVIGATION)

    assert response.status_code == 302
    assert response["Location"] == "/@alpha" + LIST_URL + "?x=1"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
        {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image", "Accept": "text/html"},
        {"Accept": "text/html", "X-Requested-With": "XMLHttpRequest"},
    ],
    ids=["test-client", "fetch", "image", "xhr"],
)
def test_scripts_and_api_clients_stay_on_unbound_urls(world, headers):
    response = world.client.get(LIST_URL, headers=headers)

    assert response.status_code == 200
    assert rows_of(response) == {"alpha"}


def test_browsers_without_fetch_metadata_are_moved_too(world):
    response = world.client.get(LIST_URL, headers={"Accept": "text/html,*/*;q=0.8"})

    assert response["Location"] == "/@alpha" + LIST_URL


def test_a_page_opened_with_no_schema_stays_unbound(schemas):
    client = logged_in(make_member(schemas["alpha"], schemas["beta"], username="undecided"))

    response = client.get(STATE_URL, headers=NAVIGATION)

    assert response.status_code == 200


# -- the write guard: the other tab switched, this tab saves ---------------------------------


def admin_save(client, url, name):
    return client.post(url, {"name": name, "owner": "", "_save": "Save"})


def test_an_admin_form_from_a_bound_page_saves_into_its_schema_after_another_tab_switched(
    world,
):
    form_page = world.client.get("/@alpha" + PROJECT_1_ADMIN)
    assert form_page.context["original"].name == "row-of-alpha"
    # Another tab switches the session to beta.
    assert world.client.post(SWITCH_URL, {"schema": "beta"}).status_code == 302

    response = admin_save(world.client, "/@alpha" + PROJECT_1_ADMIN, "alpha, renamed")

    assert response.status_code == 302
    assert response["Location"] == "/@alpha" + PROJECTS_ADMIN
    assert project_names() == {**UNTOUCHED, "alpha": "alpha, renamed"}
    entry = LogEntry.objects.get(object_repr="alpha, renamed")
    assert entry.schemaswitch.schema_name == "alpha"
    assert session_choice(world.client) == "beta"


def test_a_project_form_with_a_reversed_action_saves_into_its_schema(world):
    page = world.client.get("/@alpha" + RENAME_1).content.decode()
    assert f'action="/@alpha{RENAME_1}" id="bound-form"' in page
    world.client.post(SWITCH_URL, {"schema": "beta"})

    response = world.client.post("/@alpha" + RENAME_1, {"name": "alpha, renamed"})

    assert response["Location"] == "/@alpha" + LIST_URL
    assert project_names() == {**UNTOUCHED, "alpha": "alpha, renamed"}


def test_a_project_form_with_a_fixed_action_is_refused_with_409_after_a_switch(world):
    page = world.client.get("/@alpha" + RENAME_1).content.decode()
    assert 'name="__page_schema" value="alpha"' in page
    world.client.post(SWITCH_URL, {"schema": "beta"})

    response = world.client.post(RENAME_1, {"name": "lost", "__page_schema": "alpha"})

    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-form-schema="alpha"' in html and 'data-active-schema="beta"' in html
    assert "This form belongs to the schema “alpha”" in html
    assert "“Beta”" in html
    assert project_names() == UNTOUCHED


def test_a_project_form_whose_schema_is_still_active_is_accepted(world):
    response = world.client.post(RENAME_1, {"name": "kept", "__page_schema": "alpha"})

    assert response.status_code == 302
    assert project_names() == {**UNTOUCHED, "alpha": "kept"}


def test_scripts_name_their_pages_schema_in_a_header_and_get_a_json_409(world):
    response = world.client.post(
        RENAME_1,
        {"name": "lost"},
        headers={"X-Page-Schema": "beta", "Accept": "application/json"},
    )

    assert response.status_code == 409
    assert json.loads(response.content) == {
        "error": "schema_conflict",
        "detail": "This form belongs to the schema “beta”, but this request would act in "
        "“Alpha”. Nothing was saved.",
        "form_schema": "beta",
        "active_schema": "alpha",
    }
    assert project_names() == UNTOUCHED


def test_a_bound_url_and_a_form_of_another_schema_conflict(world):
    response = world.client.post("/@beta" + RENAME_1, {"name": "lost", "__page_schema": "alpha"})

    assert response.status_code == 409
    assert project_names() == UNTOUCHED


def test_the_conflict_page_reopens_the_form_where_it_belongs(world):
    response = world.client.post(
        RENAME_1,
        {"name": "lost", "__page_schema": "beta"},
        headers={"Referer": "http://testserver/@beta" + RENAME_1 + "?from=1"},
    )

    links = {a.attrs.get("class"): a.attrs.get("href") for a in find(response, "a")}
    assert links["schemaswitch-reopen-form"] == "/@beta" + RENAME_1 + "?from=1"
    assert links["schemaswitch-reopen-active"] == "/@alpha" + RENAME_1 + "?from=1"


def test_an_exempt_view_keeps_its_raw_body_and_is_guarded_by_the_header_only(world):
    body = {"__page_schema": "beta", "file": SimpleUploadedFile("x.txt", b"12345")}

    unread = world.client.post("/tenant/raw/", body)
    guarded = world.client.post("/tenant/raw/", {"a": "1"}, headers={"X-Page-Schema": "beta"})

    assert unread.status_code == 200
    assert json.loads(unread.content)["schema"] == "alpha"
    assert guarded.status_code == 409


def test_safe_requests_are_never_guarded(world):
    response = world.client.get(LIST_URL, headers={"X-Page-Schema": "beta"})

    assert rows_of(response) == {"alpha"}


# -- what may change the session -------------------------------------------------------------


def test_a_cross_site_get_never_changes_the_session(world):
    """``<img src="https://app/any/page/?__schema=beta">`` on another site."""
    before = last_used(world.user, world.beta)
    cross_site = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}

    response = world.client.get(LIST_URL + "?__schema=beta", headers=cross_site)
    followed = world.client.get(response["Location"], headers=cross_site)
    header = world.client.get(LIST_URL, headers={"X-Change-Schema": "beta"})

    assert response.status_code == 302
    assert rows_of(followed) == rows_of(header) == {"beta"}
    assert session_choice(world.client) == "alpha"
    assert last_used(world.user, world.beta) == before
    assert rows_of(world.client.get(LIST_URL)) == {"alpha"}


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (LIST_URL + "?__schema=beta", {}),
        (LIST_URL, {"X-Change-Schema": "beta"}),
        (LIST_URL, {"X-Change-Schema": ""}),
        (SWITCH_URL, {}),
        ("/@beta" + RENAME_1, {"X-Change-Schema": "beta"}),
    ],
    ids=["query", "header", "header-empty", "switch-view", "bound-with-header"],
)
def test_a_csrf_rejected_post_changes_nothing(world, url, headers):
    strict = logged_in(world.user, enforce_csrf_checks=True)
    session_before = session_choice(strict)
    used_before = last_used(world.user, world.beta)

    response = strict.post(url, {"schema": "beta", "name": "forged"}, headers=headers)

    assert response.status_code == 403
    assert session_choice(strict) == session_before == "alpha"
    assert last_used(world.user, world.beta) == used_before
    assert project_names() == UNTOUCHED


def test_a_header_switch_needs_csrf_even_on_an_exempt_view(world):
    strict = logged_in(world.user, enforce_csrf_checks=True)

    refused = strict.post("/tenant/state/exempt/", headers={"X-Change-Schema": "beta"})
    plain = strict.post("/tenant/state/exempt/")

    assert refused.status_code == 403
    assert json.loads(plain.content)["schema"] == "alpha"  # the view itself is exempt
    assert session_choice(strict) == "alpha"


def test_a_header_switch_needs_csrf_whatever_the_middleware_order(world, settings):
    ours = "schemaswitch_admin.middleware.SchemaSwitchMiddleware"
    csrf = "django.middleware.csrf.CsrfViewMiddleware"
    order = [m for m in settings.MIDDLEWARE if m not in (ours, csrf)]
    order.insert(order.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1, ours)
    order.append(csrf)  # after ours: our process_view runs before Django's CSRF check
    settings.MIDDLEWARE = order
    strict = logged_in(world.user, enforce_csrf_checks=True)

    response = strict.post(STATE_URL, headers={"X-Change-Schema": "beta"})

    assert response.status_code == 403
    assert session_choice(strict) == "alpha"


def test_a_csrf_rejected_post_does_not_store_an_automatic_choice(schemas):
    user = make_member(schemas["alpha"], username="single")
    strict = logged_in(user, enforce_csrf_checks=True)

    assert strict.post(LIST_URL).status_code == 403

    assert session_choice(strict) == "<unset>"
    assert Membership.objects.get(user=user).last_used_at is None


def test_a_header_switch_with_a_valid_token_changes_the_default(world):
    strict = logged_in(world.user, enforce_csrf_checks=True)
    token = strict.get(CHOOSE_URL).cookies["csrftoken"].value

    response = strict.post(STATE_URL, headers={"X-Change-Schema": "beta", "X-CSRFToken": token})

    assert json.loads(response.content)["schema"] == "beta"
    assert session_choice(strict) == "beta"


def test_switching_from_a_bound_page_moves_that_tab_to_the_new_schema(world):
    response = world.client.post(
        "/@alpha" + SWITCH_URL, {"schema": "beta", "next": "/@alpha" + PROJECTS_ADMIN + "?q=x"}
    )

    assert response["Location"] == "/@beta" + PROJECTS_ADMIN + "?q=x"
    assert session_choice(world.client) == "beta"


def test_leaving_every_schema_from_a_bound_page_unbinds_it(world):
    response = world.client.post("/@alpha" + SWITCH_URL, {"schema": "", "next": "/@alpha/x/"})

    assert response["Location"] == "/x/"


# -- redirects never leave the site ----------------------------------------------------------

TRICKS = [
    "//evil.example/",
    "///evil.example/",
    "////evil.example/",
    "/\\evil.example/",
    "\\/evil.example/",
    "\\\\evil.example/",
    "/%2F/evil.example/",
    "%2F%2Fevil.example/",
    "https://evil.example/",
    "http:evil.example",
    "https:/evil.example",
    "HTTPS://evil.example/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " //evil.example/",
    "\t//evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "//evil.example\\@testserver/",
    "http://testserver@evil.example/",
    "http://evil.example\\@testserver/",
    "／／evil.example/",
    "/\u2215\u2215evil.example/",
    "//ｅｖｉｌ.example/",
    "\x00//evil.example/",
]


def stays_on_site(location: str) -> bool:
    """What a browser would follow: leading C0 controls and spaces dropped, tabs and
    newlines removed, backslashes read as slashes."""
    if not url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"}):
        return False
    followed = location.lstrip("".join(chr(c) for c in range(0x21)))
    followed = re.sub(r"[\t\n\r]", "", followed).replace("\\", "/")
    followed = unicodedata.normalize("NFKC", followed)
    parts = urlsplit(followed)
    return followed.startswith("/") and not followed.startswith("//") and not parts.netloc


def wsgi_path(path: str) -> str:
    """A path as a WSGI server hands it over: UTF-8 bytes, decoded as latin-1."""
    return path.encode().decode("latin-1")


def test_the_trick_table_is_large_and_each_trick_is_really_off_site():
    assert len(TRICKS) >= 15
    # Sanity of the oracle: used as a Location as is (or once a server decoded the path),
    # each leaves the site; the division slash only looks like one, and must stay a path.
    lookalike = "/\u2215\u2215evil.example/"
    assert [t for t in TRICKS if stays_on_site(t) and stays_on_site(unquote(t))] == [lookalike]


@pytest.mark.parametrize("trick", TRICKS)
def test_switch_view_next_never_leaves_the_site(world, trick):
    response = world.client.post(SWITCH_URL, {"schema": "beta", "next": trick})

    assert response.status_code == 302
    assert stays_on_site(response["Location"]), response["Location"]


@pytest.mark.parametrize("trick", TRICKS)
def test_chooser_next_never_leaves_the_site(world, trick):
    response = world.client.get(CHOOSE_URL, {"next": trick})

    hrefs = [a.attrs.get("href") for a in find(response, "a")]
    nexts = [i.attrs.get("value") for i in find(response, "input") if i.attrs.get("name") == "next"]
    for url in hrefs + nexts:
        assert stays_on_site(url), url


@pytest.mark.parametrize("trick", TRICKS)
@pytest.mark.parametrize("value", ["beta", ""])
def test_a_query_get_on_a_tricky_path_never_redirects_off_site(world, trick, value):
    response = world.client.get("/", {"__schema": value}, PATH_INFO=wsgi_path("/" + trick))
    double = world.client.get("/", {"__schema": value}, PATH_INFO=wsgi_path(trick))

    for answer in (response, double):
        if answer.status_code in (301, 302):
            assert stays_on_site(answer["Location"]), answer["Location"]


@pytest.mark.parametrize("trick", TRICKS)
def test_moving_a_tab_to_its_bound_url_never_leaves_the_site(world, trick):
    response = world.client.get("/", PATH_INFO=wsgi_path(trick), headers=NAVIGATION)

    if response.status_code in (301, 302):
        assert stays_on_site(response["Location"]), response["Location"]


@pytest.mark.parametrize("trick", TRICKS)
def test_refusal_and_conflict_links_never_leave_the_site(world, trick):
    referer = {"Referer": trick}
    refused = world.client.get("/@gamma" + LIST_URL, headers=referer)
    conflict = world.client.post(RENAME_1, {"__page_schema": "beta"}, headers=referer)
    tricky_claim = world.client.post(RENAME_1, {"__page_schema": trick.strip() or "x"})

    assert (refused.status_code, conflict.status_code, tricky_claim.status_code) == (
        403,
        409,
        409,
    )
    for page in (refused, conflict, tricky_claim):
        for a in find(page, "a"):
            assert stays_on_site(a.attrs["href"]), a.attrs["href"]


# -- switching keeps what still makes sense --------------------------------------------------


@pytest.mark.parametrize(
    ("lookup", "kept"),
    [
        ("priority", True),
        ("priority__exact", True),
        ("priority__gte", True),
        ("title__icontains", True),
        ("project__name__icontains", True),  # a plain field through a relation
        ("project__owner__id__exact", True),  # users are shared: same id everywhere
        ("project__owner", True),
        ("project__isnull", True),
        ("project", False),
        ("project__exact", False),
        ("project__id__exact", False),
        ("project__pk", False),
        ("project_id", False),
        ("project__in", False),
        ("id__in", False),
        ("pk", False),
        ("tags__id__exact", False),
        ("decade", False),  # a custom filter's parameter: cannot be judged
    ],
)
def test_filters_on_private_keys_are_dropped_and_plain_ones_kept(lookup, kept):
    assert filter_means_the_same_elsewhere(Note, lookup) is kept


def request_for(url: str):
    request = RequestFactory().get(url)
    request.resolver_match = resolve(urlsplit(url).path)
    return request


def test_switching_on_a_changelist_keeps_search_ordering_and_plain_filters(db):
    url = (
        "/admin/tenantapp/note/?q=plan&o=2&priority__exact=3&project__id__exact=1"
        "&p=2&id__in=1%2C2&project__owner__id__exact=7"
    )

    assert next_url_after_switch(request_for(url)) == (
        "/admin/tenantapp/note/?q=plan&o=2&priority__exact=3&project__owner__id__exact=7"
    )


def test_switching_on_a_private_objects_page_keeps_the_portable_preserved_filters(db):
    url = "/admin/tenantapp/note/1/change/?_changelist_filters=project__id__exact%3D1%26q%3Dx"

    assert next_url_after_switch(request_for(url)) == "/admin/tenantapp/note/?q=x"


def test_switching_on_an_add_page_cleans_its_preserved_filters(db):
    url = "/admin/tenantapp/note/add/?_changelist_filters=project__id__exact%3D1%26priority%3D2"

    assert next_url_after_switch(request_for(url)) == (
        "/admin/tenantapp/note/add/?_changelist_filters=priority%3D2"
    )


def test_switching_on_a_shared_objects_page_keeps_its_filters(db):
    url = "/admin/auth/user/1/change/?_changelist_filters=is_staff__exact%3D1"

    assert next_url_after_switch(request_for(url)) == url


# -- login resumes the last schema -----------------------------------------------------------


def log_in(client, user):
    return client.post(
        "/admin/login/?next=/admin/", {"username": user.username, "password": "password"}
    )


@pytest.fixture
def returning(world):
    """The member used beta last, then logged out."""
    world.client.post(SWITCH_URL, {"schema": "beta"})
    return world.user


def test_login_resumes_the_last_used_schema(returning):
    client = Client()

    assert log_in(client, returning).status_code == 302

    assert session_choice(client) == "beta"
    assert state_of(client) == {"active": "beta", "schema": "beta", "source": "session"}


def test_login_resume_skips_schemas_the_user_may_no_longer_use(returning, schemas):
    Membership.objects.filter(user=returning, schema=schemas["beta"]).delete()
    client = Client()

    log_in(client, returning)

    assert session_choice(client) == "alpha"


def test_login_resume_can_be_turned_off(returning, settings):
    settings.SCHEMASWITCH_RESUME_LAST_SCHEMA = False
    client = Client()

    log_in(client, returning)

    assert session_choice(client) == "<unset>"
    assert client.get(LIST_URL)["Location"].startswith(CHOOSE_URL)


def test_login_without_any_used_schema_still_goes_to_the_chooser(schemas):
    newcomer = make_staff(schemas["alpha"], schemas["beta"], username="newcomer")
    client = Client()

    assert log_in(client, newcomer).status_code == 302

    assert session_choice(client) == "<unset>"
    assert client.get(LIST_URL)["Location"].startswith(CHOOSE_URL)


# -- refusal, conflict and chooser pages -----------------------------------------------------


def test_the_refusal_names_the_schema_shows_the_one_still_active_and_leads_away(world):
    response = world.client.get(
        "/@gamma" + LIST_URL, headers={"Referer": "http://testserver/@alpha/tenant/state/"}
    )

    assert response.status_code == 403
    html = response.content.decode()
    assert "Schema “gamma”" in html
    assert "Your schema is still <strong>Alpha</strong>." in html
    assert "Django administration" not in html  # outside the admin: the package's own page
    links = {a.attrs.get("class"): a.attrs.get("href") for a in find(response, "a")}
    assert links["schemaswitch-back"] == "/@alpha/tenant/state/"
    assert links["schemaswitch-site"] == "/"
    assert links["schemaswitch-choose-link"] == CHOOSE_URL
    (logout,) = find(response, "form", class_="schemaswitch-logout")
    assert logout.attrs["action"] == "/admin/logout/" and logout.attrs["method"] == "post"


def test_a_refused_admin_url_gets_the_admins_layout_without_a_choose_prompt(world):
    response = world.client.get("/@gamma/admin/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "Django administration" in html
    assert "— choose a schema —" not in html
    assert not find(response, "form", class_="schemaswitch-selector")
    assert "Your schema is still <strong>Alpha</strong>." in html


def test_a_refusal_on_a_bound_page_shows_the_pages_schema_as_still_active(world):
    html = world.client.get("/@beta" + LIST_URL + "?__schema=gamma").content.decode()

    assert "Your schema is still <strong>Beta</strong>." in html


def test_the_refusal_says_so_when_no_schema_is_active(schemas):
    client = logged_in(make_member(schemas["alpha"], schemas["beta"], username="fresh"))

    html = client.get("/@gamma" + LIST_URL).content.decode()

    assert "No schema is active." in html


def test_refusal_pages_extend_the_projects_base_template(world, settings):
    settings.SCHEMASWITCH_BASE_TEMPLATE = "tenantapp/site_base.html"

    response = world.client.get("/@gamma" + LIST_URL)
    chooser = world.client.get(CHOOSE_URL)

    for page in (response, chooser):
        assert 'id="project-site-base"' in page.content.decode()


def test_the_chooser_leads_back_and_to_logging_out(world):
    response = world.client.get(CHOOSE_URL, {"next": "/@alpha/tenant/state/"})

    links = {a.attrs.get("class"): a.attrs.get("href") for a in find(response, "a")}
    assert links["schemaswitch-back"] == "/@alpha/tenant/state/"
    assert links["schemaswitch-site"] == "/"
    assert find(response, "form", class_="schemaswitch-logout")
    assert "Django administration" not in response.content.decode()


# -- settings checks -------------------------------------------------------------------------


def run_marker_check():
    from schemaswitch_admin.checks import check_url_marker

    return [(m.id, m.level) for m in check_url_marker()]


def test_a_relative_static_url_is_reported_with_markers_on(settings):
    settings.STATIC_URL = "static/"

    assert run_marker_check() == [("schemaswitch_admin.W016", checks.WARNING)]


def test_absolute_static_urls_and_markers_off_pass_the_check(settings):
    assert run_marker_check() == []
    settings.STATIC_URL = "static/"
    settings.SCHEMASWITCH_URL_MARKER = None
    assert run_marker_check() == []


def test_a_marker_that_needs_escaping_is_an_error(settings):
    settings.SCHEMASWITCH_URL_MARKER = "s/"

    assert run_marker_check() == [("schemaswitch_admin.E015", checks.ERROR)]
