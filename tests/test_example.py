"""The example project (example/): its settings, its commands and its pages for each demo user.

The example's private app is installed in the test project (tests/settings.py), and these
tests route with the example's own URLconf, so its pages run here exactly as in the demo.
"""

import importlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from projects.demo_data import ROWS, SCHEMAS, USERS, seed
from projects.models import Client, Project, Task

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Membership, Schema

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.urls("demo_site.urls")

DEMO_TOOLBAR = "debug_toolbar"
DEMO_TOOLBAR_MIDDLEWARE = "debug_toolbar.middleware.DebugToolbarMiddleware"


@pytest.fixture(scope="module")
def example_settings():
    """The example's settings module, imported as a plain module (not activated)."""
    return importlib.import_module("demo_site.settings")


@pytest.fixture
def demo(db, settings, example_settings):
    """The seeded demo, with the example's login redirects and permissions by role."""
    for name in (
        "LOGIN_URL",
        "LOGIN_REDIRECT_URL",
        "LOGOUT_REDIRECT_URL",
        "AUTHENTICATION_BACKENDS",
    ):
        setattr(settings, name, getattr(example_settings, name))
    return seed()


def log_in(client, username):
    spec = next(u for u in USERS if u.username == username)
    response = client.post(reverse("login"), {"username": spec.username, "password": spec.password})
    assert response.status_code == 302, "the demo login failed"
    return spec


def expected_schemas(spec):
    return sorted(spec.memberships) if spec.memberships else sorted(SCHEMAS)


def switcher_options(html):
    """The schema names offered by the page header's switcher."""
    form = re.search(r'<form[^>]*id="schema-switcher".*?</form>', html, re.S)
    assert form, "no schema switcher in the page header"
    return sorted(v for v in re.findall(r'<option value="([^"]*)"', form.group(0)) if v)


def project_names(schema):
    return {name for projects in ROWS[schema].values() for name in projects}


# -- settings --------------------------------------------------------------------------------


def subsequence(items, of):
    """``items`` in the order they appear in ``of``, keeping only those ``of`` contains."""
    return [x for x in of if x in items]


def test_example_settings_do_not_drift_from_the_test_project(example_settings):
    ours = django_settings
    demo_apps = [a for a in example_settings.INSTALLED_APPS if a != DEMO_TOOLBAR]
    # Same apps in the same order (the test project adds its own test apps), app first.
    assert demo_apps[0] == ours.INSTALLED_APPS[0] == "schemaswitch_admin"
    assert subsequence(demo_apps, ours.INSTALLED_APPS) == demo_apps
    # The middleware both rely on, in the same order.
    demo_middleware = [m for m in example_settings.MIDDLEWARE if m != DEMO_TOOLBAR_MIDDLEWARE]
    shared = [m for m in demo_middleware if m in ours.MIDDLEWARE]
    assert "schemaswitch_admin.middleware.SchemaSwitchMiddleware" in shared
    assert subsequence(shared, ours.MIDDLEWARE) == shared
    assert example_settings.DATABASE_ROUTERS == ours.DATABASE_ROUTERS
    assert example_settings.DATABASES["default"]["ENGINE"] == ours.DATABASES["default"]["ENGINE"]
    demo_processors = example_settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    assert set(demo_processors) <= set(ours.TEMPLATES[0]["OPTIONS"]["context_processors"])
    # No schemaswitch setting differs: a user copying the example gets what the tests prove.
    for name in {n for n in dir(example_settings) if n.startswith("SCHEMASWITCH_")}:
        assert getattr(example_settings, name) == getattr(ours, name, None), name


def test_example_settings_enable_the_schema_panel_when_the_toolbar_is_installed(
    example_settings,
):
    pytest.importorskip("debug_toolbar")
    assert DEMO_TOOLBAR in example_settings.INSTALLED_APPS
    assert "schemaswitch_admin.panels.SchemaPanel" in example_settings.DEBUG_TOOLBAR_PANELS
    assert example_settings.MIDDLEWARE.index(DEMO_TOOLBAR_MIDDLEWARE) < (
        example_settings.MIDDLEWARE.index("schemaswitch_admin.middleware.SchemaSwitchMiddleware")
    )


def test_example_debug_toolbar_starts_collapsed(example_settings):
    """Open, the toolbar covers a fifth of the page a newcomer sees first."""
    pytest.importorskip("debug_toolbar")
    assert example_settings.DEBUG_TOOLBAR_CONFIG["SHOW_COLLAPSED"] is True


def test_example_manage_py_runs_from_the_repository_root_and_passes_the_checks():
    env = {
        k: v
        for k, v in os.environ.items()
        # PYTEST_VERSION would make the debug toolbar refuse to run ("running tests").
        if k not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "PYTEST_VERSION"}
    }
    result = subprocess.run(
        [sys.executable, "example/manage.py", "check", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_example_migrations_are_committed_and_current():
    # Raises SystemExit(1) when the models have changes without a migration.
    call_command("makemigrations", "projects", check=True, dry_run=True, verbosity=0)


# -- seed_demo and rundemo -------------------------------------------------------------------


def demo_counts():
    counts = {
        "schemas": Schema.objects.count(),
        "memberships": Membership.objects.count(),
    }
    for name in SCHEMAS:
        with schema_context(name):
            counts[name] = (
                Client.objects.count(),
                Project.objects.count(),
                Task.objects.count(),
                Task.assignees.through.objects.count(),
            )
    return counts


@pytest.mark.django_db
def test_seed_demo_creates_three_schemas_and_prints_the_logins():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert sorted(Schema.objects.values_list("name", flat=True)) == sorted(SCHEMAS)
    for spec in USERS:
        assert f"{spec.username}  " in out.getvalue()
        assert spec.password in out.getvalue()
    with schema_context("acme"):
        assert set(Project.objects.values_list("name", flat=True)) == project_names("acme")


@pytest.mark.django_db
def test_seed_demo_run_again_changes_nothing():
    call_command("seed_demo", verbosity=0)
    before = demo_counts()
    call_command("seed_demo", verbosity=0)
    assert demo_counts() == before
    assert before["schemas"] == 3 and before["memberships"] == 3


@pytest.mark.django_db
def test_seed_demo_puts_the_logins_back_and_keeps_edited_rows():
    seed()
    Membership.objects.filter(user__username="bob").delete()
    alice = get_user_model().objects.get(username="alice")
    alice.set_password("changed")
    alice.save()
    Schema.objects.filter(name="initech").update(is_active=False)
    with schema_context("globex"):
        Project.objects.filter(name="Monorail study").update(name="Monorail, phase 2")
    seed()
    assert Membership.objects.filter(user__username="bob", schema__name="globex").exists()
    assert get_user_model().objects.get(username="alice").check_password("alice-demo")
    assert Schema.objects.get(name="initech").is_active
    with schema_context("globex"):
        names = set(Project.objects.values_list("name", flat=True))
    assert names == project_names("globex") - {"Monorail study"} | {"Monorail, phase 2"}


def test_rundemo_refuses_an_address_without_a_port():
    with pytest.raises(CommandError, match="port"):
        call_command("rundemo", "localhost")


def test_rundemo_refuses_a_busy_port_before_migrating_and_names_a_free_one():
    import socket

    from projects.management.commands.rundemo import port_is_taken

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # No database access is allowed in this test: the refusal comes before migrate.
        with pytest.raises(CommandError, match=rf"Port {port} on 127.0.0.1 is already in use"):
            try:
                call_command("rundemo", str(port))
            except CommandError as exc:
                suggested = int(re.search(r"make demo PORT=(\d+) ", str(exc)).group(1))
                assert f"rundemo {suggested})" in str(exc)
                raise
    assert suggested > port
    assert not port_is_taken("127.0.0.1", suggested)


@pytest.mark.parametrize(
    ("addrport", "expected"),
    [
        ("8001", ("127.0.0.1", 8001)),
        ("0.0.0.0:8002", ("0.0.0.0", 8002)),
        ("[::1]:8003", ("::1", 8003)),
    ],
)
def test_rundemo_reads_a_port_or_an_address_and_port(addrport, expected):
    from projects.management.commands.rundemo import split_addrport

    assert split_addrport(addrport) == expected


# -- pages for each demo user ----------------------------------------------------------------


@pytest.mark.parametrize("username", [u.username for u in USERS])
def test_each_demo_user_sees_exactly_their_schemas(client, demo, username):
    spec = log_in(client, username)
    expected = expected_schemas(spec)

    chooser = client.get(reverse("schemaswitch_admin:choose"))
    assert chooser.status_code == 200
    assert sorted(s.name for s in chooser.context["schemas"]) == expected

    for name in expected:
        response = client.post(reverse("schemaswitch_admin:switch"), {"schema": name, "next": "/"})
        assert response.status_code == 302
        page = client.get("/")
        assert page.status_code == 200
        html = page.content.decode()
        assert f'data-schema="{name}"' in html
        assert switcher_options(html) == expected
        shown = {p.name for p in page.context["projects"]}
        assert shown == project_names(name)
        for other in set(SCHEMAS) - {name}:
            assert not [p for p in project_names(other) if p in html], other

    for name in sorted(set(SCHEMAS) - set(expected)):
        refused = client.post(reverse("schemaswitch_admin:switch"), {"schema": name})
        assert refused.status_code == 403


def test_a_user_with_one_schema_lands_on_its_dashboard(client, demo):
    log_in(client, "bob")
    page = client.get("/")
    assert page.status_code == 200
    assert page.context["active_schema"].name == "globex"
    assert switcher_options(page.content.decode()) == ["globex"]


def test_a_user_with_two_schemas_is_asked_to_choose_first(client, demo):
    log_in(client, "alice")
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("schemaswitch_admin:choose"))


def test_anonymous_visitors_are_sent_to_the_login_page(client, demo):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"
    assert client.get(reverse("login")).status_code == 200


def test_the_login_page_shows_every_demo_login_and_its_schemas(client, demo):
    html = client.get(reverse("login")).content.decode()
    table = re.search(r'<table class="demo-logins">.*?</table>', html, re.S)
    assert table, "the login page has the demo logins"
    rows = re.findall(
        r"<tr>\s*<td><code>(.*?)</code></td>\s*<td><code>(.*?)</code></td>"
        r"\s*<td>(.*?)<br>",
        table.group(0),
        re.S,
    )
    assert rows == [
        (
            u.username,
            u.password,
            ", ".join(expected_schemas(u) if not u.memberships else u.memberships),
        )
        for u in USERS
    ]
    # ... and each of them logs in.
    for spec in USERS:
        log_in(client, spec.username)
        client.logout()


def test_the_same_project_id_shows_each_schemas_own_project(client, demo):
    log_in(client, "alice")
    shown = {}
    for name in ("acme", "globex"):
        client.post(reverse("schemaswitch_admin:switch"), {"schema": name})
        page = client.get(reverse("projects:project", args=[1]))
        assert page.status_code == 200
        with schema_context(name):
            assert page.context["project"].name == Project.objects.get(pk=1).name
        shown[name] = page.context["project"].name
        # Switching from a project's page returns to the dashboard, not to this pk.
        assert 'name="next" value="/"' in page.content.decode()
    assert shown == {"acme": "Rocket skates", "globex": "Monorail study"}


def test_my_open_tasks_lists_the_users_tasks_of_the_active_schema(client, demo):
    log_in(client, "bob")
    page = client.get("/")
    assert sorted(t.title for t in page.context["my_tasks"]) == [
        "Cost estimate",
        "Survey the route",
    ]


def test_dashboard_lists_projects_by_client_then_name(client, demo):
    log_in(client, "alice")
    client.post(reverse("schemaswitch_admin:switch"), {"schema": "acme"})
    page = client.get("/")
    assert [(p.client.name, p.name) for p in page.context["projects"]] == [
        ("Coyote & Sons", "Catalogue relaunch"),
        ("Road Runner Logistics", "Giant magnet"),
        ("Road Runner Logistics", "Rocket skates"),
    ]
    assert [c.name for c in page.context["clients"]] == ["Coyote & Sons", "Road Runner Logistics"]
