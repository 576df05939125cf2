"""The admin in schemas: the brand-bar selector, where a switch lands, banners, private models
with no schema active, the same primary key in two schemas, and a strict CSP."""

from __future__ import annotations

import re

import django
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Schema
from schemaswitch_admin.templatetags.schemaswitch_admin import FILTER_THRESHOLD
from tests.admin_support import (
    NOTE_1_URL,
    NOTES_URL,
    SWITCH_URL,
    build_world,
    descendants,
    find,
    logged_in,
    make_schema_with_note,
    make_staff,
    make_superuser,
    selector_fields,
    selector_form,
    selector_options,
    switch,
    text_of,
)
from tests.tenantapp.models import Note


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def member_in_north(world):
    client = logged_in(world.member)
    switch(client, "north")
    return client


# -- the selector -------------------------------------------------------------------------


def test_selector_lists_the_users_schemas_with_the_active_one_selected(world, member_in_north):
    response = member_in_north.get("/admin/")

    assert response.status_code == 200
    assert selector_options(response) == [("north", True), ("south", False)]


def test_selector_offers_a_choice_prompt_when_no_schema_is_active(world):
    client = logged_in(world.member)

    response = client.get("/admin/")

    assert selector_options(response) == [("", True), ("north", False), ("south", False)]


def test_selector_is_on_every_admin_page_but_not_on_the_login_page(world, member_in_north):
    for url in ["/admin/", NOTES_URL, NOTE_1_URL, "/admin/tenantapp/", "/admin/password_change/"]:
        assert selector_form(member_in_north.get(url)), url

    assert not find(Client().get("/admin/login/"), "form", class_="schemaswitch-selector")


def test_selector_posts_to_the_switch_view_with_a_csrf_token(world):
    client = logged_in(world.member, enforce_csrf_checks=True)
    page = client.get(NOTES_URL)
    form = selector_form(page)
    fields = selector_fields(page)

    assert form.attrs["method"] == "post"
    assert form.attrs["action"] == SWITCH_URL
    assert fields["csrfmiddlewaretoken"]

    without_token = client.post(SWITCH_URL, {"schema": "south", "next": fields["next"]})
    assert without_token.status_code == 403

    switched = client.post(SWITCH_URL, {**fields, "schema": "south"})
    assert switched.status_code == 302
    assert switched["Location"] == NOTES_URL
    assert text_of(client.get(NOTES_URL)).count("South note") == 1


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/tenantapp/",
        NOTES_URL,
        NOTES_URL + "?priority__exact=0&q=note",
        "/admin/tenantapp/note/add/",
        "/admin/password_change/",
    ],
)
def test_selector_returns_to_the_same_page_from_lists_and_indexes(world, member_in_north, url):
    assert selector_fields(member_in_north.get(url))["next"] == url


def test_selector_forgets_the_page_number_of_a_changelist(world, member_in_north):
    url = NOTES_URL + "?q=note&p=3"

    response = member_in_north.get(url)

    assert selector_fields(response)["next"] == NOTES_URL + "?q=note"


@pytest.mark.parametrize(
    "url",
    [NOTE_1_URL, "/admin/tenantapp/note/1/history/", "/admin/tenantapp/note/1/delete/"],
)
def test_selector_goes_from_a_private_object_to_its_models_list(world, member_in_north, url):
    response = member_in_north.get(url)

    assert response.status_code == 200
    assert selector_fields(response)["next"] == NOTES_URL


def test_selector_stays_on_a_shared_objects_page(world, member_in_north):
    url = f"/admin/auth/user/{world.member.pk}/change/"
    superuser_client = logged_in(make_superuser())
    switch(superuser_client, "north")

    response = superuser_client.get(url)

    assert selector_fields(response)["next"] == url


def test_switching_on_a_changelist_shows_the_other_schemas_rows_on_the_same_list(
    world, member_in_north
):
    page = member_in_north.get(NOTES_URL)
    assert "North note" in text_of(page)

    response = member_in_north.post(
        SWITCH_URL, {**selector_fields(page), "schema": "south"}, follow=True
    )

    assert response.redirect_chain[-1][0] == NOTES_URL
    text = text_of(response)
    assert "South note" in text and "North note" not in text


def test_switching_on_a_private_object_lands_on_the_models_list_in_the_new_schema(
    world, member_in_north
):
    page = member_in_north.get(NOTE_1_URL)

    response = member_in_north.post(
        SWITCH_URL, {**selector_fields(page), "schema": "south"}, follow=True
    )

    assert response.redirect_chain[-1][0] == NOTES_URL
    assert "South note" in text_of(response)


def test_selector_offers_a_filter_only_above_the_threshold(db):
    superuser_client = logged_in(make_superuser())
    # Rows are enough for a list: the selector reads the schema table, never a schema.
    Schema.objects.bulk_create(
        [Schema(name=f"s{i:02d}", display_name=f"Schema {i}") for i in range(FILTER_THRESHOLD)]
    )
    at_threshold = superuser_client.get("/admin/")
    Schema.objects.bulk_create([Schema(name="s99", display_name="One more")])
    above = superuser_client.get("/admin/")

    assert len(selector_options(at_threshold)) == FILTER_THRESHOLD + 1  # and the prompt
    assert search_boxes(at_threshold) == []
    filters = search_boxes(above)
    assert len(filters) == 1
    assert filters[0].attrs["aria-controls"] == "schemaswitch-schema"


def search_boxes(response) -> list:
    inputs = descendants(selector_form(response), "input")
    return [i for i in inputs if i.attrs.get("type") == "search"]


def test_the_selector_costs_one_query(world):
    request = RequestFactory().get(NOTES_URL)
    request.user = get_user_model().objects.get(pk=world.member.pk)
    request.resolver_match = resolve(NOTES_URL)
    request.schema = None
    template = Template("{% load schemaswitch_admin %}{% schema_selector %}")

    with CaptureQueriesContext(connection) as queries:
        html = template.render(Context({"request": request, "has_permission": True}))

    assert len(queries) == 1
    assert 'value="south"' in html


# -- banners ------------------------------------------------------------------------------


def test_private_changelist_says_which_schema_its_rows_come_from(world, member_in_north):
    assert "Only showing objects from North." in text_of(member_in_north.get(NOTES_URL))


@pytest.mark.parametrize("suffix", ["change/", "history/", "delete/"])
def test_private_object_pages_say_which_schema_the_object_belongs_to(
    world, member_in_north, suffix
):
    response = member_in_north.get(f"/admin/tenantapp/note/1/{suffix}")

    assert "This object belongs to North." in text_of(response)
    links = find(response, "a", class_="schemaswitch-permalink")
    assert [a.attrs["href"] for a in links] == [NOTE_1_URL + "?__schema=north"]


def test_private_add_page_says_where_the_object_will_be_added(world, member_in_north):
    response = member_in_north.get("/admin/tenantapp/note/add/")

    assert "The new object will be added to North." in text_of(response)


def test_shared_model_pages_have_no_schema_banner(world):
    client = logged_in(make_superuser())
    switch(client, "north")

    for url in ["/admin/auth/user/", "/admin/schemaswitch_admin/schema/"]:
        assert not find(client.get(url), "ul", class_="schemaswitch-banner"), url


# -- no schema active ---------------------------------------------------------------------


def test_without_a_schema_the_index_lists_private_models_without_links(world):
    client = logged_in(world.member)  # two memberships, none chosen

    response = client.get("/admin/")

    assert response.status_code == 200
    row = find(response, "th", id="tenantapp-note")
    assert row and not descendants(row[0], "a"), "Notes must be listed, without a link"
    assert not find(response, "a", href="/admin/tenantapp/note/add/")
    assert "No schema is active." in text_of(response)


def test_with_a_schema_the_index_links_private_models(world, member_in_north):
    response = member_in_north.get("/admin/")

    row = find(response, "th", id="tenantapp-note")
    assert [a.attrs["href"] for a in descendants(row[0], "a")] == [NOTES_URL]
    assert "No schema is active." not in text_of(response)


@pytest.mark.parametrize(
    "url",
    [
        NOTES_URL,
        "/admin/tenantapp/note/add/",
        NOTE_1_URL,
        "/admin/tenantapp/note/1/history/",
        "/admin/tenantapp/note/1/delete/",
    ],
)
def test_without_a_schema_private_pages_explain_that_one_must_be_chosen(world, url):
    client = logged_in(world.member)

    response = client.get(url)

    assert response.status_code == 200
    text = text_of(response)
    assert "Notes are kept separately in each schema, and no schema is active." in text
    assert "schema chooser page" in text
    # The sidebar lists the private models too, without links.
    sidebar_row = find(response, "th", id="tenantapp-note")
    assert sidebar_row and not descendants(sidebar_row[0], "a")


def test_without_a_schema_posting_to_a_private_add_page_changes_nothing(world):
    client = logged_in(world.member)

    response = client.post("/admin/tenantapp/note/add/", {"title": "x", "project": "1"})

    assert response.status_code == 200
    for name in ("north", "south"):
        with schema_context(name):
            assert Note.objects.count() == 1


def test_user_without_any_schema_is_told_to_ask_for_one(db):
    make_schema_with_note("north", "North note")
    client = logged_in(make_staff())

    response = client.get(NOTES_URL)

    assert response.status_code == 200
    assert "You are not a member of any schema yet." in text_of(response)


# -- the same primary key in two schemas --------------------------------------------------


def test_admin_always_shows_the_active_schemas_object_with_a_shared_primary_key(
    world, member_in_north
):
    client = member_in_north
    for name, mine, other in [
        ("north", "North note", "South note"),
        ("south", "South note", "North note"),
        ("north", "North note", "South note"),
    ]:
        switch(client, name)
        listing = text_of(client.get(NOTES_URL))
        change = client.get(NOTE_1_URL)
        assert mine in listing and other not in listing
        assert change.context["original"].title == mine
        assert other not in text_of(change)


def test_editing_pk_1_in_one_schema_leaves_the_other_schemas_pk_1_alone(
    world, member_in_north
):
    page = member_in_north.get(NOTE_1_URL)
    form = page.context["adminform"].form
    data = {**form.initial, "title": "North note, edited", "project": 1, "tags": []}

    response = member_in_north.post(NOTE_1_URL, {k: v for k, v in data.items() if k != "id"})

    assert response.status_code == 302
    with schema_context("north"):
        assert Note.objects.get(pk=1).title == "North note, edited"
    with schema_context("south"):
        assert Note.objects.get(pk=1).title == "South note"


# -- Content-Security-Policy --------------------------------------------------------------

CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


@pytest.mark.parametrize(
    "url", ["/admin/", NOTES_URL, NOTE_1_URL, "/admin/tenantapp/note/1/history/"]
)
def test_admin_pages_carry_no_inline_script_or_style_of_ours(world, member_in_north, url):
    response = member_in_north.get(url)
    html = response.content.decode()

    ours = [
        *find(response, "script"),
        *find(response, "link"),
    ]
    our_assets = [
        e.attrs.get("src") or e.attrs.get("href")
        for e in ours
        if "schemaswitch_admin" in (e.attrs.get("src") or e.attrs.get("href") or "")
    ]
    assert "/static/schemaswitch_admin/admin/selector.js" in our_assets
    assert "/static/schemaswitch_admin/admin/schemaswitch-admin.css" in our_assets
    assert not INLINE_SCRIPT.search(html)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either


@pytest.mark.skipif(django.VERSION < (6, 0), reason="ContentSecurityPolicyMiddleware: Django 6+")
def test_admin_under_a_strict_content_security_policy(world, settings):
    from django.utils.csp import CSP

    if CSP_MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, CSP_MIDDLEWARE]
    settings.SECURE_CSP = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF],
        "style-src": [CSP.SELF],
    }
    client = logged_in(world.member)
    switch(client, "north")

    response = client.get(NOTES_URL)

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "North note" in text_of(response)
    assert not INLINE_SCRIPT.search(response.content.decode())


# -- system check -------------------------------------------------------------------------


def test_a_private_model_with_a_plain_model_admin_is_reported():
    from django.contrib import admin
    from django.core import checks

    from tests.tenantapp.models import Tag

    site = admin.AdminSite(name="plain_site")
    site.register(Tag, admin.ModelAdmin)
    try:
        found = [
            m for m in checks.run_checks(tags=["admin"]) if m.id == "schemaswitch_admin.W101"
        ]
    finally:
        site.unregister(Tag)

    assert len(found) == 1
    assert "tenantapp.Tag" in found[0].msg and "'plain_site'" in found[0].msg


def test_the_test_projects_admins_are_all_schema_aware():
    from django.core import checks

    assert [m for m in checks.run_checks(tags=["admin"]) if m.id.startswith("schemaswitch")] == []
