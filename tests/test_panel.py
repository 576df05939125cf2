"""The debug toolbar's schema panel, run by the real toolbar middleware on real requests.

Each test installs the toolbar (it is not part of the test project), requests an example
page through it, then reads the panel back from the toolbar's store, as the toolbar's own
"render panel" view does, so the stats also survive the store's serialization.
"""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import URLResolver, include, path
from django.urls.resolvers import RoutePattern
from projects.demo_data import seed

from schemaswitch_admin.decorators import schema_required
from schemaswitch_admin.selection import SESSION_KEY
from tests.path_support import server_reports_path

pytest.importorskip("debug_toolbar")


@schema_required
def rogue_view(request):
    """User code that changes the path behind the backend's back (the backend puts acme's
    path on before this statement, and does not see what the statement does)."""
    with connection.cursor() as cursor:
        cursor.execute("SET search_path TO public")
    return HttpResponse("<html><body>done</body></html>")


# The example's pages plus the toolbar's views. The toolbar's URL module can only be imported
# once its app is installed (the ``toolbar`` fixture does that), so it is named, not imported.
urlpatterns = [
    path("rogue/", rogue_view),
    path("", include("demo_site.urls")),
    URLResolver(
        RoutePattern("__debug__/"), "debug_toolbar.urls", app_name="djdt", namespace="djdt"
    ),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def toolbar(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "debug_toolbar"]
    settings.MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware", *settings.MIDDLEWARE]
    settings.DEBUG = True
    settings.INTERNAL_IPS = ["127.0.0.1"]
    settings.DEBUG_TOOLBAR_PANELS = ["schemaswitch_admin.panels.SchemaPanel"]
    settings.DEBUG_TOOLBAR_CONFIG = {"RENDER_PANELS": True, "IS_RUNNING_TESTS": False}
    from debug_toolbar.store import get_store

    store = get_store()
    store.clear()
    yield store
    store.clear()


@pytest.fixture
def demo(db, toolbar):
    return seed()


def request_panel(client, toolbar, url, **extra):
    """Request ``url`` and return the schema panel of that request, read from the store,
    with the number of ``SET search_path`` the test saw the connection send meanwhile."""
    from debug_toolbar.toolbar import DebugToolbar

    before = connection.search_path_sets
    response = client.get(url, **extra)
    sent = connection.search_path_sets - before
    request_id = list(toolbar.request_ids())[-1]
    panel = DebugToolbar.fetch(request_id).get_panel_by_id("SchemaPanel")
    return response, panel, sent


def choose(client, name):
    session = client.session
    session[SESSION_KEY] = name
    session.save()


def test_panel_shows_the_session_schema_and_the_path_read_back_from_postgresql(
    client, demo, toolbar
):
    client.login(username="alice", password="alice-demo")
    choose(client, "acme")
    response, panel, sent = request_panel(client, toolbar, "/")
    assert response.status_code == 200
    stats = panel.get_stats()
    assert stats["schema"] == {"name": "acme", "display_name": "Acme Corp", "is_active": True}
    assert stats["source"] == "session"
    (seen,) = stats["in_schema"]
    assert (seen["alias"], seen["schema"]) == ("default", "acme")
    assert seen["effective"] == ["acme", "public"] and seen["matches"] is True
    assert seen["queries"] >= 3  # the dashboard's projects, tasks and clients
    (default,) = stats["connections"]
    assert default["after"]["effective"] == ["acme", "public"]
    # The membership check carries the path: the request itself sends no SET.
    assert (stats["search_path_sets"], default["sets"], sent) == (0, 0, 0)
    assert panel.nav_subtitle == "acme, 0 SETs"


def test_panel_counts_the_set_statements_of_its_own_request_only(client, demo, toolbar):
    client.login(username="alice", password="alice-demo")
    # Two schemas and none chosen: the chooser runs with no schema, so the backend puts public
    # alone on the path. A server that reports the path (PostgreSQL 18+) lets it see that the
    # second request finds public already there; an older one gets a SET on each request.
    expected = [None, 0] if server_reports_path() else [1, 1]
    for wanted in expected:
        response, panel, sent = request_panel(client, toolbar, "/schemas/choose/")
        assert response.status_code == 200
        stats = panel.get_stats()
        assert stats["schema"] is None and stats["source"] is None
        assert stats["in_schema"] == []
        assert stats["search_path_sets"] == sent
        assert sent == wanted if wanted is not None else sent in (0, 1)
        (default,) = stats["connections"]
        assert default["queries_without_schema"] > 0
        assert default["after"]["effective"] == ["public"]
    assert panel.nav_subtitle == ("no schema, 1 SET" if expected[-1] else "no schema, 0 SETs")


def test_panel_reports_a_path_changed_behind_the_backends_back(client, demo, toolbar):
    client.login(username="alice", password="alice-demo")
    choose(client, "acme")
    _, panel, _ = request_panel(client, toolbar, "/rogue/")
    (seen,) = panel.get_stats()["in_schema"]
    assert seen["schema"] == "acme"
    assert seen["effective"] == ["public"] and seen["matches"] is False
    assert "<td>no</td>" in panel.content


@pytest.mark.parametrize(
    ("username", "password", "url", "extra", "source"),
    [
        ("alice", "alice-demo", "/@globex/", {}, "url"),
        ("alice", "alice-demo", "/", {"HTTP_X_CHANGE_SCHEMA": "globex"}, "header"),
        ("bob", "bob-demo", "/", {}, "auto"),
    ],
)
def test_panel_tells_how_the_schema_was_chosen(
    client, demo, toolbar, username, password, url, extra, source
):
    client.login(username=username, password=password)
    _, panel, _ = request_panel(client, toolbar, url, **extra)
    stats = panel.get_stats()
    assert stats["source"] == source
    assert stats["schema"]["name"] == "globex"
    assert [(x["schema"], x["effective"], x["matches"]) for x in stats["in_schema"]] == [
        ("globex", ["globex", "public"], True)
    ]


def test_panel_lists_the_users_memberships(client, demo, toolbar):
    client.login(username="alice", password="alice-demo")
    choose(client, "globex")
    _, panel, _ = request_panel(client, toolbar, "/")
    memberships = panel.get_stats()["memberships"]
    assert [(m["name"], m["role"], m["current"]) for m in memberships] == [
        ("acme", "administrator", False),
        ("globex", "viewer", True),
    ]
    assert panel.get_stats()["superuser_all"] is False


def test_panel_says_a_superuser_may_use_every_schema(client, demo, toolbar):
    client.login(username="admin", password="admin-demo")
    _, panel, _ = request_panel(client, toolbar, "/schemas/choose/")
    stats = panel.get_stats()
    assert stats["superuser_all"] is True and stats["memberships"] == []
    assert "superuser: may use every schema" in panel.content


def test_panel_for_an_anonymous_request(client, demo, toolbar):
    response, panel, _ = request_panel(client, toolbar, "/accounts/login/")
    assert response.status_code == 200
    stats = panel.get_stats()
    assert stats["username"] is None and stats["memberships"] == []
    assert stats["middleware_ran"] is True and stats["schema"] is None
    assert stats["in_schema"] == []


def test_panel_renders_its_template_from_the_store(client, demo, toolbar):
    client.login(username="alice", password="alice-demo")
    choose(client, "acme")
    response, panel, _ = request_panel(client, toolbar, "/")
    content = panel.content
    assert "<code>acme</code> (Acme Corp)" in content
    assert "kept from the session" in content
    assert "<code>acme, public</code>" in content  # the schemas in effect, read back
    assert "<code>globex</code> (Globex Corporation)" in content
    # The toolbar itself, with the panel's title, is in the page.
    assert "SchemaPanel" in response.content.decode()
