"""Caches keep each schema's entries apart: page, low-level and fragment caches, the site-wide
cache middleware, and a member whose access was revoked."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.cache import cache
from django.test import override_settings

from schemaswitch_admin import schema_context
from schemaswitch_admin.cache import SHARED_MARKER, make_key
from schemaswitch_admin.models import Membership
from tests.switching_support import (
    SWITCH_URL,
    logged_in,
    make_member,
    rows_of,
    schema_pool_fixture,
    schemas_fixture,
)

schema_pool = schema_pool_fixture()
schemas = schemas_fixture()


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def carol_and_bob(schemas):
    alpha, beta = schemas["alpha"], schemas["beta"]
    carol, bob = make_member(alpha, username="carol"), make_member(beta, username="bob")
    carol_client, bob_client = logged_in(carol), logged_in(bob)
    carol_client.post(SWITCH_URL, {"schema": "alpha"})
    bob_client.post(SWITCH_URL, {"schema": "beta"})
    return carol, carol_client, bob, bob_client


@pytest.mark.parametrize("url", ["/tenant/cached/page/", "/tenant/cached/value/",
                                 "/tenant/cached/fragment/"])
def test_two_users_in_two_schemas_never_get_each_others_cached_rows(carol_and_bob, url):
    _carol, carol_client, _bob, bob_client = carol_and_bob

    first = carol_client.get(url)
    second = bob_client.get(url)
    again = carol_client.get(url)

    assert rows_of(first) == {"alpha"}
    assert rows_of(second) == {"beta"}
    assert rows_of(again) == {"alpha"}


@pytest.mark.parametrize("url", ["/tenant/cached/page/", "/tenant/cached/value/",
                                 "/tenant/cached/fragment/"])
def test_a_revoked_member_no_longer_gets_the_schemas_cached_page(carol_and_bob, url):
    carol, carol_client, *_ = carol_and_bob
    assert rows_of(carol_client.get(url)) == {"alpha"}

    Membership.objects.filter(user=carol).delete()
    response = carol_client.get(url)

    assert b"row-of-alpha" not in response.content


def test_the_key_function_puts_the_active_schema_into_every_key(db):
    assert make_key("k", "p", 1) == f"p:1:{SHARED_MARKER}:k"
    with schema_context("alpha"):
        assert make_key("k", "p", 1) == "p:1:alpha:k"
        cache.set("same-key", "alpha's")
    with schema_context("beta"):
        assert cache.get("same-key") is None
        cache.set("same-key", "beta's")
    with schema_context("alpha"):
        assert cache.get("same-key") == "alpha's"
    assert cache.get("same-key") is None


SITE_CACHE = [
    "schemaswitch_admin.cache.UpdateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "schemaswitch_admin.middleware.SchemaSwitchMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.cache.FetchFromCacheMiddleware",
]


def test_the_site_wide_cache_stores_each_page_in_its_own_schema(carol_and_bob, settings):
    carol, _, bob, _ = carol_and_bob
    settings.MIDDLEWARE = SITE_CACHE
    settings.CACHE_MIDDLEWARE_SECONDS = 300
    # New clients: a client builds its middleware chain on its first request. Each user has
    # one schema, chosen for them automatically.
    carol_client, bob_client = logged_in(carol), logged_in(bob)
    url = "/tenant/projects/plain/"

    # The first request chooses the schema and so sets the session cookie: Django does not
    # cache a response that sets a cookie. The second one is cacheable.
    carol_client.get("/tenant/state/")
    bob_client.get("/tenant/state/")
    assert rows_of(carol_client.get(url)) == {"alpha"}
    assert rows_of(bob_client.get(url)) == {"beta"}
    # The pages were stored under their own schema's keys, none under the shared marker.
    page_keys = [k for k in _stored_keys() if "views.decorators.cache.cache_page" in k]
    assert page_keys, _stored_keys()
    assert {k.split(":")[2] for k in page_keys} == {"alpha", "beta"}
    assert rows_of(carol_client.get(url)) == {"alpha"}


def _stored_keys() -> list[str]:
    from django.core.cache import caches

    return list(caches["default"]._cache)  # LocMemCache's own store, read-only here


def test_a_cache_without_the_key_function_is_warned_about():
    caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=caches):
        ids = {m.id for m in checks.run_checks(tags=["caches"])}
    assert "schemaswitch_admin.W011" in ids


def test_djangos_update_cache_middleware_is_warned_about(settings):
    settings.MIDDLEWARE = ["django.middleware.cache.UpdateCacheMiddleware", *settings.MIDDLEWARE]
    ids = {m.id for m in checks.run_checks(tags=["caches"])}
    assert "schemaswitch_admin.W012" in ids
