"""The pages that list schemas stay bounded with thousands of them: the header selector, the
chooser, the Schema and Membership admins. Their statement counts do not depend on the number
of schemas, and no page renders more options than its limit.

These pages read the ``Schema`` and ``Membership`` rows only, never a schema's tables, so rows
made with ``bulk_create`` (no ``CREATE SCHEMA``, no clone) stand in for real schemas; the
schemas a test enters are real ones (``build_world``).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone

from schemaswitch_admin.admin import SchemaAdmin
from schemaswitch_admin.models import Membership, Schema
from tests.admin_support import (
    NOTES_URL,
    build_world,
    descendants,
    find,
    logged_in,
    make_staff,
    make_superuser,
    selector_form,
    selector_options,
    switch,
)

CHOOSE_URL = "/schemas/choose/"
SCHEMA_CHANGELIST = "/admin/schemaswitch_admin/schema/"
JSON = {"Accept": "application/json"}
SchemaAdminColumns = list(SchemaAdmin.list_display)


def add_rows(count: int, prefix: str = "bulk", start: int = 0) -> list[Schema]:
    """Schema rows without PostgreSQL schemas: enough for pages that only list rows."""
    return Schema.objects.bulk_create(
        [
            Schema(name=f"{prefix}_{i:05d}", display_name=f"{prefix.title()} branch {i}")
            for i in range(start, start + count)
        ]
    )


def statements(client, url: str, **kwargs) -> tuple[int, object]:
    client.get(url, **kwargs)  # once first: session and caches settle
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.content[:500]
    return len(queries), response


def chooser_names(response) -> list[str]:
    return [
        i.attrs["value"]
        for i in find(response, "input")
        if i.attrs.get("name") == "schema" and i.attrs.get("value")
    ]


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def superuser_client(world):
    return logged_in(make_superuser())


# -- the header selector ------------------------------------------------------------------


def test_selector_lists_no_more_than_the_limit_and_links_to_the_chooser(
    superuser_client, settings
):
    settings.SCHEMASWITCH_SELECTOR_LIMIT = 5
    add_rows(12)

    response = superuser_client.get("/admin/")

    options = [value for value, _selected in selector_options(response) if value]
    assert len(options) == 5
    assert options == sorted(options)
    links = descendants(selector_form(response), "a")
    assert [a.attrs["href"] for a in links] == [CHOOSE_URL + "?next=%2Fadmin%2F"]


def test_selector_within_the_limit_lists_every_schema_and_no_chooser_link(
    superuser_client, settings
):
    settings.SCHEMASWITCH_SELECTOR_LIMIT = 15
    add_rows(12)

    response = superuser_client.get("/admin/")

    assert len([v for v, _s in selector_options(response) if v]) == 15  # 12 + the world's 3
    assert descendants(selector_form(response), "a") == []


def test_selector_always_lists_the_active_schema_even_last_by_name(world, settings):
    settings.SCHEMASWITCH_SELECTOR_LIMIT = 3
    add_rows(10, prefix="aaa")
    client = logged_in(make_superuser())
    switch(client, "south")

    options = selector_options(client.get(f"/@south{NOTES_URL}"))

    assert ("south", True) in options
    assert ("", True) not in options  # no "choose a schema" prompt: the active one is there
    assert len(options) == 3


def test_selector_lists_the_users_most_recently_used_schemas_first(world, settings):
    settings.SCHEMASWITCH_SELECTOR_LIMIT = 3
    rows = add_rows(10)
    user = make_staff(*rows, username="many")
    now = timezone.now()
    for age, name in enumerate(["bulk_00009", "bulk_00007"]):
        Membership.objects.filter(user=user, schema__name=name).update(
            last_used_at=now - timedelta(minutes=age)
        )

    options = selector_options(logged_in(user).get("/admin/"))

    assert [v for v, _s in options if v] == ["bulk_00000", "bulk_00007", "bulk_00009"]


def test_selector_fills_its_limit_with_the_active_then_the_latest_used(world, settings):
    settings.SCHEMASWITCH_SELECTOR_LIMIT = 3
    rows = add_rows(10)
    user = make_staff(world.south, *rows, username="busy")
    now = timezone.now()
    for age, index in enumerate([3, 8, 1, 5, 0]):  # newest first
        Membership.objects.filter(user=user, schema=rows[index]).update(
            last_used_at=now - timedelta(minutes=age)
        )
    client = logged_in(user)
    switch(client, "south")  # also the newest use now
    Membership.objects.filter(user=user, schema=world.south).update(last_used_at=None)

    options = selector_options(client.get(f"/@south{NOTES_URL}"))

    assert options == [("bulk_00003", False), ("bulk_00008", False), ("south", True)]


def test_selector_never_lists_schemas_the_user_may_not_use(world, settings):
    settings.SCHEMASWITCH_SELECTOR_LIMIT = 3
    add_rows(10)

    options = selector_options(logged_in(world.outsider).get("/admin/"))

    assert [v for v, _s in options if v] == ["south"]


def test_selector_costs_one_query_with_3_or_60_schemas(world, settings):
    settings.SCHEMASWITCH_SELECTOR_LIMIT = 20
    request = RequestFactory().get(NOTES_URL)
    request.user = get_user_model().objects.get(pk=make_superuser().pk)
    request.resolver_match = resolve(NOTES_URL)
    request.schema = None
    template = Template("{% load schemaswitch_admin %}{% schema_selector %}")

    def render() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = template.render(Context({"request": request, "has_permission": True}))
        return len(queries), html

    few, few_html = render()
    add_rows(57)
    many, many_html = render()

    assert few == many == 1
    assert few_html.count("<option") == 3 + 1  # and the prompt
    assert many_html.count("<option") == 20 + 1


def test_admin_index_costs_the_same_statements_with_3_or_60_schemas(superuser_client, settings):
    settings.SCHEMASWITCH_SELECTOR_LIMIT = 20
    few, _response = statements(superuser_client, "/admin/")
    add_rows(57)
    many, response = statements(superuser_client, "/admin/")

    assert few == many
    assert response.content.decode().count("<option") <= 20 + 1


# -- the chooser ----------------------------------------------------------------------------


def test_chooser_pages_through_every_usable_schema(superuser_client, settings):
    settings.SCHEMASWITCH_CHOOSER_PAGE_SIZE = 10
    add_rows(22)  # and the world's 3: 25 in all

    pages = [
        json.loads(superuser_client.get(CHOOSE_URL, {"page": n}, headers=JSON).content)
        for n in (1, 2, 3)
    ]

    assert [len(p["schemas"]) for p in pages] == [10, 10, 5]
    assert {p["count"] for p in pages} == {25} and {p["num_pages"] for p in pages} == {3}
    names = [s["name"] for p in pages for s in p["schemas"]]
    assert len(set(names)) == 25
    html = superuser_client.get(CHOOSE_URL, {"page": 2}).content.decode()
    assert 'href="?page=3"' in html and 'href="?page=1"' in html
    assert len(chooser_names(superuser_client.get(CHOOSE_URL, {"page": 2}))) == 10


def test_chooser_searches_names_and_display_names(superuser_client):
    add_rows(30)
    Schema.objects.filter(name="bulk_00007").update(display_name="Wayne Enterprises")

    by_display = json.loads(superuser_client.get(CHOOSE_URL, {"q": "wayne"}, headers=JSON).content)
    by_name = json.loads(superuser_client.get(CHOOSE_URL, {"q": "LK_0001"}, headers=JSON).content)

    assert [s["name"] for s in by_display["schemas"]] == ["bulk_00007"]
    assert [s["name"] for s in by_name["schemas"]] == [f"bulk_{i:05d}" for i in range(10, 20)]
    html = superuser_client.get(CHOOSE_URL, {"q": "wayne"}).content.decode()
    assert chooser_names(superuser_client.get(CHOOSE_URL, {"q": "wayne"})) == ["bulk_00007"]
    assert 'name="q" id="schemaswitch-q" value="wayne"' in html


def test_chooser_search_keeps_the_search_and_next_in_its_page_links(superuser_client, settings):
    settings.SCHEMASWITCH_CHOOSER_PAGE_SIZE = 5
    add_rows(12)

    html = superuser_client.get(
        CHOOSE_URL, {"q": "bulk", "page": 2, "next": "/admin/?o=1"}
    ).content.decode()

    assert 'href="?page=3&amp;q=bulk&amp;next=%2Fadmin%2F%3Fo%3D1"' in html
    assert 'href="?page=1&amp;q=bulk&amp;next=%2Fadmin%2F%3Fo%3D1"' in html
    assert 'name="next" value="/admin/?o=1"' in html


def test_chooser_search_never_returns_schemas_the_user_may_not_use(world):
    add_rows(5)
    Schema.objects.filter(name="south").update(display_name="Southern Cross")
    client = logged_in(world.member)  # member of north and south only

    for q in ("bulk", "east", "e", "", "_", "%"):
        listing = json.loads(client.get(CHOOSE_URL, {"q": q}, headers=JSON).content)
        names = {s["name"] for s in listing["schemas"]}
        assert names <= {"north", "south"}, q
        assert listing["count"] == len(names)
        assert not {"east"} & set(chooser_names(client.get(CHOOSE_URL, {"q": q})))


def test_chooser_search_hides_deactivated_schemas_from_members(world):
    Schema.objects.filter(name="south").update(is_active=False)

    listing = json.loads(
        logged_in(world.member).get(CHOOSE_URL, {"q": "south"}, headers=JSON).content
    )

    assert listing["schemas"] == []


def test_chooser_search_treats_wildcards_as_text(superuser_client):
    add_rows(3)

    for q in ("%", "_", "bulk_%", "\\"):
        listing = json.loads(superuser_client.get(CHOOSE_URL, {"q": q}, headers=JSON).content)
        expected = [s for s in Schema.objects.values_list("name", flat=True) if q in s]
        assert sorted(s["name"] for s in listing["schemas"]) == sorted(expected), q


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-1"},
        {"page": "0"},
        {"page": "99999999999999999999"},
        {"page": "1e3"},
        {"page": ""},
        {"q": "\x00"},
        {"q": "bulk\x00_0"},
        {"q": "x" * 10_000},
        {"q": "' OR 1=1 --"},
        "q=%ED%A0%80&page=%FF",  # not UTF-8
        "q=%00&page=2%00",
        "q=a&q=b&page=1&page=2",
    ],
)
def test_chooser_answers_tampered_input_with_a_clean_page(superuser_client, params):
    add_rows(60)

    if isinstance(params, str):
        response = superuser_client.get(f"{CHOOSE_URL}?{params}")
    else:
        response = superuser_client.get(CHOOSE_URL, params)

    assert response.status_code == 200
    assert len(chooser_names(response)) <= 50


def test_chooser_out_of_range_page_shows_the_last_page(superuser_client, settings):
    settings.SCHEMASWITCH_CHOOSER_PAGE_SIZE = 10
    add_rows(17)  # 20 with the world's

    listing = json.loads(superuser_client.get(CHOOSE_URL, {"page": 7}, headers=JSON).content)

    assert listing["page"] == 2 and len(listing["schemas"]) == 10


def test_chooser_page_links_drop_an_unsafe_next(superuser_client, settings):
    settings.SCHEMASWITCH_CHOOSER_PAGE_SIZE = 5
    add_rows(12)

    html = superuser_client.get(
        CHOOSE_URL, {"next": "https://evil.example/", "q": "bulk"}
    ).content.decode()

    assert "evil.example" not in html
    assert 'href="?page=2&amp;q=bulk"' in html


def test_chooser_costs_the_same_statements_with_3_or_60_schemas(superuser_client):
    few, _response = statements(superuser_client, CHOOSE_URL)
    add_rows(57)
    many, response = statements(superuser_client, CHOOSE_URL)
    searched, _response = statements(superuser_client, CHOOSE_URL + "?q=bulk&page=2")

    assert few == many == searched
    assert len(chooser_names(response)) == 50


def test_chooser_marks_the_last_used_schema_first(world):
    switch(logged_in(world.member), "south")  # another session: last_used_at is set
    client = logged_in(world.member)

    html = client.get(CHOOSE_URL).content.decode()

    assert html.index('value="south"') < html.index('value="north"')
    south = html[html.index('value="south"') - 600 : html.index('value="south"')]
    assert "schemaswitch-last-used" in south


# -- the Schema and Membership admins -----------------------------------------------------


def test_schema_changelist_costs_the_same_statements_with_3_or_150_schemas(superuser_client):
    few, _response = statements(superuser_client, SCHEMA_CHANGELIST)
    rows = add_rows(147)
    user = make_staff(*rows[:4], username="member_of_four")
    make_staff(rows[0], username="member_of_one")
    many, response = statements(superuser_client, SCHEMA_CHANGELIST)

    assert few == many
    html = response.content.decode()
    listed = [
        a for a in find(response, "a") if a.attrs.get("href", "").startswith(SCHEMA_CHANGELIST)
        and a.attrs["href"].endswith("/change/")
    ]
    assert len(listed) == 100  # Django's page size, not 150
    # The filter sidebar is a <nav> up to Django 5.2, a <search> from Django 6.
    sidebar = re.split(r"</(?:nav|search)>", html.split('id="changelist-filter"')[-1])[0]
    assert "Filter" in sidebar and "<select" not in sidebar
    assert user.schema_memberships.count() == 4


def test_schema_changelist_annotates_member_counts(superuser_client):
    rows = add_rows(3, prefix="aaa")
    make_staff(*rows[:2], username="two")
    make_staff(rows[0], username="one")

    response = superuser_client.get(SCHEMA_CHANGELIST, {"q": "aaa"})

    cells = {
        row.children[1].text.strip(): row  # the name's cell
        for row in find(response, "tr")
        if len(row.children) > 4 and row.children[1].text.strip().startswith("aaa_")
    }
    counts = {name: row.children[4].text.strip() for name, row in cells.items()}
    assert counts == {"aaa_00000": "2", "aaa_00001": "1", "aaa_00002": "0"}


def test_schema_changelist_search_and_filter_stay_on_a_page(superuser_client):
    add_rows(120)
    Schema.objects.filter(name__endswith="7").update(is_active=False)

    searched = superuser_client.get(SCHEMA_CHANGELIST, {"q": "branch 11"})
    inactive = superuser_client.get(SCHEMA_CHANGELIST, {"is_active__exact": "0"})

    assert searched.status_code == inactive.status_code == 200
    assert searched.context["cl"].result_count == 11  # 11, 110..119
    assert inactive.context["cl"].result_count == 12


def test_membership_pages_pick_schemas_by_raw_id_not_a_list(superuser_client):
    add_rows(30)

    response = superuser_client.get("/admin/schemaswitch_admin/membership/add/")

    [field] = [e for e in find(response, "input") if e.attrs.get("name") == "schema"]
    assert "vForeignKeyRawIdAdminField" in field.attrs["class"]
    assert [e for e in find(response, "select") if e.attrs.get("name") == "schema"] == [
        descendants(selector_form(response), "select")[0]
    ]  # the header's, bounded; the form has none


def test_schema_changelist_sorted_by_members_orders_every_schema(superuser_client):
    rows = add_rows(150)
    few_members, many_members = rows[140], rows[7]
    make_staff(many_members, few_members, username="both")
    make_staff(many_members, username="one")
    make_staff(many_members, username="two")  # 3: more than the world's south (2)
    members_column = SchemaAdminColumns.index("member_count") + 1

    descending = superuser_client.get(SCHEMA_CHANGELIST, {"o": f"-{members_column}"})
    ascending = superuser_client.get(SCHEMA_CHANGELIST, {"o": str(members_column)})

    shown = descending.context["cl"].result_list
    counts = [s.member_count for s in shown]
    assert shown[0].name == many_members.name and counts[:4] == [3, 2, 1, 1]
    assert few_members.name in {s.name for s in shown[:4]}
    assert counts == sorted(counts, reverse=True)
    assert many_members.name not in {s.name for s in ascending.context["cl"].result_list}
    assert descending.context["cl"].result_count == 153


def test_schema_changelist_counts_members_for_its_page_only(superuser_client):
    """The member counts are a correlated subquery: neither the list's counts nor its page
    aggregate over every schema (``GROUP BY``), unless the list is sorted by them."""
    add_rows(150)

    _count, response = statements(superuser_client, SCHEMA_CHANGELIST)
    with CaptureQueriesContext(connection) as queries:
        superuser_client.get(SCHEMA_CHANGELIST, {"q": "branch", "is_active__exact": "1"})

    assert len(response.context["cl"].result_list) == 100
    every_schema = re.compile(r'GROUP BY (1\b|"schemaswitch_admin_schema")')
    assert not [q["sql"] for q in queries if every_schema.search(q["sql"])]
    assert [q["sql"] for q in queries if "GROUP BY" in q["sql"]]  # the per-row count


def test_schema_changelist_sorted_by_members_costs_the_same_statements(superuser_client):
    members_column = SchemaAdminColumns.index("member_count") + 1
    url = f"{SCHEMA_CHANGELIST}?o=-{members_column}"
    few, _response = statements(superuser_client, url)
    add_rows(147)
    many, _response = statements(superuser_client, url)

    assert few == many


def test_schema_changelist_ignores_a_tampered_sort(superuser_client):
    add_rows(5)

    for o in ("99", "-99", "x", "4.4.-4", "-0"):
        response = superuser_client.get(SCHEMA_CHANGELIST, {"o": o})
        assert response.status_code == 200, o


# -- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -5, "30", 2.5, None, True])
@pytest.mark.parametrize("name", ["SCHEMASWITCH_SELECTOR_LIMIT", "SCHEMASWITCH_CHOOSER_PAGE_SIZE"])
def test_a_limit_that_is_not_a_positive_integer_is_reported(settings, name, value):
    setattr(settings, name, value)

    found = [m for m in checks.run_checks(tags=["admin"]) if m.id == "schemaswitch_admin.E103"]

    assert len(found) == 1 and name in found[0].msg


def test_the_default_limits_pass_the_check():
    found = [m for m in checks.run_checks(tags=["admin"]) if m.id == "schemaswitch_admin.E103"]

    assert found == []
