"""Two tabs of one browser (one session, one cookie jar) in two schemas: the scenario of
issue 11, in headless Chromium. Tab A opens a form in Northwind, tab B switches the session to
Southport, tab A saves: the save must land in Northwind (or be refused), never in Southport.

Reuses the browser, the schemas and the page helpers of ``tests/test_admin_browser.py``.
"""

from __future__ import annotations

from typing import Any

from schemaswitch_admin import schema_context
from tests.tenantapp.models import Note, Project
from tests.test_admin_browser import (  # noqa: F401  (fixtures are used by name)
    browser,
    choose_in_header,
    header_schema,
    listed_titles,
    log_in,
    page_load,
    path_of,
    pytestmark,
    strict_csp,
    two_schemas,
)


def note_1_titles() -> dict[str, str]:
    titles = {}
    for name in ("bnorth", "bsouth"):
        with schema_context(name):
            titles[name] = Note.objects.get(pk=1).title
    return titles


def project_1_names() -> dict[str, str]:
    names = {}
    for name in ("bnorth", "bsouth"):
        with schema_context(name):
            names[name] = Project.objects.get(pk=1).name
    return names


class Tabs:
    """The two tabs of one browser window set; ``a`` and ``b`` bring a tab to the front."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.first = driver.current_window_handle
        driver.switch_to.new_window("tab")
        self.second = driver.current_window_handle

    def a(self) -> Any:
        self.driver.switch_to.window(self.first)
        return self.driver

    def b(self) -> Any:
        self.driver.switch_to.window(self.second)
        return self.driver


def test_saving_an_admin_form_after_another_tab_switched_lands_in_the_forms_schema(
    browser, live_server, two_schemas, strict_csp  # noqa: F811
):
    from selenium.webdriver.common.by import By

    base = live_server.url
    log_in(browser, base, "editor")
    choose_in_header(browser, "bnorth")
    tabs = Tabs(browser)

    # Tab A opens Northwind's note 1 at its plain address: the tab is moved to its bound URL.
    tab_a = tabs.a()
    with page_load(tab_a):
        tab_a.get(f"{base}/admin/tenantapp/note/1/change/")
    assert path_of(tab_a) == "/@bnorth/admin/tenantapp/note/1/change/"
    assert tab_a.find_element(By.ID, "id_title").get_attribute("value") == "North note"

    # Tab B switches the session to Southport with the header selector.
    tab_b = tabs.b()
    tab_b.get(f"{base}/admin/tenantapp/note/")
    assert header_schema(tab_b) == "bnorth"
    choose_in_header(tab_b, "bsouth")
    assert listed_titles(tab_b) == ["South note"]

    # Tab A saves its form: Northwind's note changes, Southport's note 1 does not.
    tab_a = tabs.a()
    title = tab_a.find_element(By.ID, "id_title")
    title.clear()
    title.send_keys("North note, saved from tab A")
    with page_load(tab_a):
        tab_a.find_element(By.NAME, "_save").click()
    assert note_1_titles() == {"bnorth": "North note, saved from tab A", "bsouth": "South note"}
    assert path_of(tab_a) == "/@bnorth/admin/tenantapp/note/"
    assert listed_titles(tab_a) == ["North note, saved from tab A"]
    assert header_schema(tab_a) == "bnorth"

    # Tab B is still in Southport, whose note is untouched.
    tab_b = tabs.b()
    tab_b.refresh()
    assert listed_titles(tab_b) == ["South note"]
    assert header_schema(tab_b) == "bsouth"

    if strict_csp:
        from tests.test_admin_browser import csp_violations

        assert csp_violations(browser) == []


def test_saving_a_project_form_after_another_tab_switched_lands_in_its_schema_or_is_refused(
    browser, live_server, two_schemas  # noqa: F811
):
    from selenium.webdriver.common.by import By

    base = live_server.url
    log_in(browser, base, "editor")
    choose_in_header(browser, "bnorth")
    tabs = Tabs(browser)

    tab_a = tabs.a()
    with page_load(tab_a):
        tab_a.get(f"{base}/tenant/projects/1/rename/")
    assert path_of(tab_a) == "/@bnorth/tenant/projects/1/rename/"
    assert tab_a.find_element(By.ID, "name").text == "Northwind roadmap"

    tab_b = tabs.b()
    tab_b.get(f"{base}/admin/")
    choose_in_header(tab_b, "bsouth")

    # The form whose action was reversed on the bound page posts to Northwind.
    tab_a = tabs.a()
    field = tab_a.find_element(By.ID, "bound-name")
    field.clear()
    field.send_keys("Northwind roadmap, renamed in tab A")
    with page_load(tab_a):
        tab_a.find_element(By.ID, "bound-save").click()
    assert path_of(tab_a) == "/@bnorth/tenant/projects/"
    assert project_1_names() == {
        "bnorth": "Northwind roadmap, renamed in tab A",
        "bsouth": "Southport roadmap",
    }

    # The form with a fixed, unbound action carries {% schema_token %}: refused with 409.
    with page_load(tab_a):
        tab_a.get(f"{base}/@bnorth/tenant/projects/1/rename/")
    field = tab_a.find_element(By.ID, "tokened-name")
    field.clear()
    field.send_keys("lost")
    with page_load(tab_a):
        tab_a.find_element(By.ID, "tokened-save").click()
    conflict = tab_a.find_element(By.ID, "schemaswitch-conflict")
    assert conflict.get_attribute("data-form-schema") == "bnorth"
    assert conflict.get_attribute("data-active-schema") == "bsouth"
    assert project_1_names() == {
        "bnorth": "Northwind roadmap, renamed in tab A",
        "bsouth": "Southport roadmap",
    }

    # "Reopen the page in bnorth" leads back to the form, bound to Northwind.
    with page_load(tab_a):
        tab_a.find_element(By.CLASS_NAME, "schemaswitch-reopen-form").click()
    assert path_of(tab_a) == "/@bnorth/tenant/projects/1/rename/"
    assert tab_a.find_element(By.ID, "name").text == "Northwind roadmap, renamed in tab A"
