"""A smoke test of the example's whole flow, as a visitor clicks through it, so the demo cannot
rot: log in, choose a schema, switch from the header, edit in the admin, switch by URL, log out.
"""

import datetime
import importlib

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from projects.demo_data import ROWS, USERS, seed
from projects.models import Project

from schemaswitch_admin import schema_context

pytestmark = pytest.mark.urls("demo_site.urls")


@pytest.fixture
def demo(db, settings):
    example = importlib.import_module("demo_site.settings")
    for name in (
        "LOGIN_URL",
        "LOGIN_REDIRECT_URL",
        "LOGOUT_REDIRECT_URL",
        "AUTHENTICATION_BACKENDS",
    ):
        setattr(settings, name, getattr(example, name))
    return seed()


def password_of(username):
    return next(u.password for u in USERS if u.username == username)


def admin_form_data(response):
    """What a browser would post back from an admin change page, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(getattr(v, "pk", v)) for v in value]
            elif isinstance(value, datetime.date):
                data[key] = value.isoformat()
            else:
                data[key] = str(getattr(value, "pk", value))
    return data


def test_login_choose_switch_edit_in_admin_and_log_out(client, demo):
    # Anonymous: the dashboard asks for a login.
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))

    # Log in on the site's login page; two schemas, so the chooser comes first.
    response = client.post(
        reverse("login"), {"username": "alice", "password": password_of("alice")}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith(reverse("schemaswitch_admin:choose"))
    assert [s.name for s in response.context["schemas"]] == ["acme", "globex"]

    # Choose acme on the chooser page; back on the dashboard, in acme.
    response = client.post(
        reverse("schemaswitch_admin:switch"), {"schema": "acme", "next": "/"}, follow=True
    )
    assert response.context["active_schema"].name == "acme"
    assert "Rocket skates" in response.content.decode()

    # Edit an acme project in the admin (alice is acme's admin), tasks inline included.
    with schema_context("acme"):
        project = Project.objects.get(name="Rocket skates")
    assert client.get(reverse("admin:index")).status_code == 200
    changelist = client.get(reverse("admin:projects_project_changelist"))
    assert changelist.status_code == 200
    assert {p.name for p in changelist.context["cl"].result_list} == {
        "Rocket skates",
        "Giant magnet",
        "Catalogue relaunch",
    }
    change_url = reverse("admin:projects_project_change", args=[project.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    data = admin_form_data(page)
    data["name"] = "Rocket skates, phase 2"
    data["status"] = Project.Status.DONE
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with schema_context("acme"):
        edited = Project.objects.get(pk=project.pk)
        assert (edited.name, edited.status) == ("Rocket skates, phase 2", "done")
        seeded_tasks = ROWS["acme"]["Road Runner Logistics"]["Rocket skates"][3]
        assert edited.tasks.count() == len(seeded_tasks)
    with schema_context("globex"):
        # The same pk in globex is another project, untouched.
        assert Project.objects.get(pk=project.pk).name != "Rocket skates, phase 2"
    assert LogEntry.objects.filter(object_id=str(project.pk), user__username="alice").exists()

    # Switch to globex from the page header's form: alice is a viewer there.
    response = client.post(
        reverse("schemaswitch_admin:switch"), {"schema": "globex", "next": "/"}, follow=True
    )
    names = {p.name for p in response.context["projects"]}
    assert response.context["active_schema"].name == "globex"
    assert "Monorail study" in names and not any(n.startswith("Rocket") for n in names)
    assert "(viewer)" in response.content.decode()  # the header names her role here
    with schema_context("globex"):
        monorail = Project.objects.get(name="Monorail study")
    change_url = reverse("admin:projects_project_change", args=[monorail.pk])
    page = client.get(change_url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert client.post(change_url, admin_form_data(client.get(change_url))).status_code == 403
    with schema_context("globex"):
        assert Project.objects.get(pk=monorail.pk).name == "Monorail study"

    # Open acme by URL: this tab is bound to acme (/@acme/), the session stays in globex.
    response = client.get("/?__schema=acme")
    assert response.status_code == 302 and response.url == "/@acme/"
    assert client.get(response.url).context["active_schema"].name == "acme"
    assert client.get("/").context["active_schema"].name == "globex"

    # A schema alice is not a member of is refused, and nothing changes.
    assert client.get("/?__schema=initech").status_code == 403
    assert client.get("/@initech/").status_code == 403
    assert client.get("/").context["active_schema"].name == "globex"

    # Log out from the header; the dashboard asks for a login again.
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert client.get("/").status_code == 302
