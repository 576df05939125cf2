"""The admin's schema selector in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) driven by Selenium, against pytest-django's live server.

On Django 6+ the pages are served under a strict Content-Security-Policy (scripts and styles
from 'self' only), so the selector's behaviour doubles as proof that it needs no inline code.

``SCHEMASWITCH_SCREENSHOTS=1`` also writes the screenshots under ``docs/screenshots/``
(``python docs/screenshots/make_screenshots.py`` does it).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import django
import pytest

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Membership, Schema
from schemaswitch_admin.testing.factories import SchemaFactory, UserFactory
from tests.tenantapp.models import Note, Project

CHROMIUM = os.environ.get("SCHEMASWITCH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SCHEMASWITCH_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_SECONDS = 15
# Django 6's pictures illustrate the docs; the LTS line's go to a folder of their own.
SCREENSHOTS_DIR = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
if django.VERSION < (6,):
    SCREENSHOTS_DIR /= f"django-{django.VERSION[0]}.{django.VERSION[1]}"
PASSWORD = "password"


def _executable(path: str) -> bool:
    return bool(shutil.which(path)) or (os.path.isfile(path) and os.access(path, os.X_OK))


# Skipped before any fixture runs (no live server, no schemas) when the browser is missing.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (_executable(CHROMIUM) and _executable(CHROMEDRIVER)),
        reason=f"Chromium is not installed ({CHROMIUM}, {CHROMEDRIVER}): "
        "apt-get install chromium chromium-driver",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("selenium") is None,
        reason="Selenium is not installed: pip install -e '.[dev]'",
    ),
]


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def strict_csp(settings) -> bool:
    """A strict policy where Django has the middleware (6.0+); ``False`` on Django 5.2."""
    try:
        from django.utils.csp import CSP
    except ImportError:
        return False
    middleware = "django.middleware.csp.ContentSecurityPolicyMiddleware"
    assert middleware in settings.MIDDLEWARE, "tests/settings.py installs it on Django 6+"
    settings.SECURE_CSP = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF],
        "style-src": [CSP.SELF],
        "img-src": [CSP.SELF, "data:"],
    }
    return True


def _make_schema(name: str, display_name: str, notes: list[str]) -> Any:
    schema = SchemaFactory(name=name, display_name=display_name)
    with schema_context(name):
        project = Project.objects.create(name=f"{display_name} roadmap")
        for title in notes:
            Note.objects.create(project=project, title=title, body=f"About {title}.")
    return schema


@pytest.fixture
def two_schemas(transactional_db) -> Iterator[SimpleNamespace]:
    """Schemas ``bnorth`` and ``bsouth``, each with a note of primary key 1, and a staff user
    who is a member of both. The live server sees committed data, so the schemas are real
    and are dropped afterwards (a flush empties tables, it does not drop schemas)."""
    from django.contrib.auth.models import Permission

    north = _make_schema("bnorth", "Northwind", ["North note"])
    south = _make_schema("bsouth", "Southport", ["South note"])
    user = UserFactory(username="editor", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tenantapp"))
    for schema in (north, south):
        Membership.objects.create(user=user, schema=schema)
    try:
        yield SimpleNamespace(north=north, south=south, user=user)
    finally:
        for schema in (north, south):
            Schema.objects.get(pk=schema.pk).drop()


# -- page helpers ---------------------------------------------------------------------------


def log_in(driver: Any, base_url: str, username: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base_url}/admin/login/?next=/admin/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    with page_load(driver):
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()


class page_load:  # noqa: N801 - reads as a statement: ``with page_load(driver): ...``
    """Wait until the action inside the block has replaced the page."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def __enter__(self) -> None:
        from selenium.webdriver.common.by import By

        self.old = self.driver.find_element(By.TAG_NAME, "html")

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            return
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, WAIT_SECONDS).until(self._replaced)
        WebDriverWait(self.driver, WAIT_SECONDS).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )


    def _replaced(self, _driver: Any) -> bool:
        """Whether the old page's root is gone. Selenium's ``staleness_of`` only knows the
        stale-element error; while the page is being replaced, chromedriver may answer "Node
        with given id does not belong to the document" instead, which means the same."""
        from selenium.common.exceptions import (
            StaleElementReferenceException,
            WebDriverException,
        )

        try:
            self.old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False


def choose_in_header(driver: Any, schema: str) -> None:
    """Pick ``schema`` in the brand-bar selector with the mouse: the script switches at once
    (there is no button to press while the script runs)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    button = driver.find_element(By.CSS_SELECTOR, ".schemaswitch-submit")
    assert not button.is_displayed(), "with the script, the Switch button is hidden"
    with page_load(driver):
        Select(driver.find_element(By.ID, "schemaswitch-schema")).select_by_value(schema)


def header_schema(driver: Any) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    select = Select(driver.find_element(By.ID, "schemaswitch-schema"))
    return select.first_selected_option.get_attribute("value")


def banner(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, ".schemaswitch-banner").text


def listed_titles(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#result_list tbody th a")]


def path_of(driver: Any) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(driver.current_url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def csp_violations(driver: Any) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


# -- the flow --------------------------------------------------------------------------------


def test_switch_edit_and_follow_recent_action_back_into_its_schema(
    browser, live_server, two_schemas, strict_csp
):
    from selenium.webdriver.common.by import By

    driver, base = browser, live_server.url
    log_in(driver, base, "editor")
    assert path_of(driver) == "/admin/"

    # Two memberships and no choice yet: the selector asks; choosing stays on the index.
    assert header_schema(driver) == ""
    choose_in_header(driver, "bnorth")
    # The tab is moved to the index bound to the schema (tab-safe switching, issue 11).
    assert path_of(driver) == "/@bnorth/admin/"
    assert header_schema(driver) == "bnorth"

    driver.get(f"{base}/admin/tenantapp/note/")
    assert path_of(driver) == "/@bnorth/admin/tenantapp/note/"
    assert listed_titles(driver) == ["North note"]
    assert banner(driver) == "Only showing objects from Northwind."

    # Switching on a changelist stays on it, now with the other schema's rows.
    choose_in_header(driver, "bsouth")
    assert path_of(driver) == "/@bsouth/admin/tenantapp/note/"
    assert listed_titles(driver) == ["South note"]
    assert banner(driver) == "Only showing objects from Southport."

    # Edit South's note 1.
    with page_load(driver):
        driver.find_element(By.LINK_TEXT, "South note").click()
    assert path_of(driver) == "/@bsouth/admin/tenantapp/note/1/change/"
    title = driver.find_element(By.ID, "id_title")
    title.clear()
    title.send_keys("South note, edited")
    with page_load(driver):
        driver.find_element(By.NAME, "_save").click()
    assert listed_titles(driver) == ["South note, edited"]

    # Away to North: its note 1 is untouched.
    choose_in_header(driver, "bnorth")
    assert listed_titles(driver) == ["North note"]

    # The recent action still leads to South's note 1, opening it bound to South (this tab).
    driver.get(f"{base}/admin/")
    link = driver.find_element(By.CSS_SELECTOR, "#recent-actions-module a")
    assert link.text == "South note, edited"
    assert link.get_attribute("href").endswith("/admin/tenantapp/note/1/change/?__schema=bsouth")
    with page_load(driver):
        link.click()
    assert path_of(driver) == "/@bsouth/admin/tenantapp/note/1/change/"
    assert driver.find_element(By.ID, "id_title").get_attribute("value") == "South note, edited"
    assert header_schema(driver) == "bsouth"
    assert banner(driver).startswith("This object belongs to Southport.")

    # Switching on a private object's page lands on its model's list in the new schema.
    choose_in_header(driver, "bnorth")
    assert path_of(driver) == "/@bnorth/admin/tenantapp/note/"
    assert listed_titles(driver) == ["North note"]

    if strict_csp:
        assert csp_violations(driver) == []


@pytest.fixture
def roles_world(transactional_db, settings) -> Iterator[SimpleNamespace]:
    """Issue 15: ``alice``, no ``is_staff`` and no global permission, is admin of bnorth and
    viewer of bsouth; permissions come from her role in the active schema."""
    settings.AUTHENTICATION_BACKENDS = ["schemaswitch_admin.auth.SchemaRoleBackend"]
    north = _make_schema("bnorth", "Northwind", ["North note"])
    south = _make_schema("bsouth", "Southport", ["South note"])
    user = UserFactory(username="alice")
    Membership.objects.create(user=user, schema=north, role="admin")
    Membership.objects.create(user=user, schema=south, role="viewer")
    try:
        yield SimpleNamespace(north=north, south=south, user=user)
    finally:
        for schema in (north, south):
            Schema.objects.get(pk=schema.pk).drop()


def test_an_admin_here_edits_and_a_viewer_there_only_reads(
    browser, live_server, roles_world, strict_csp
):
    from selenium.webdriver.common.by import By

    driver, base = browser, live_server.url
    log_in(driver, base, "alice")  # the admin's own login page admits a staff role
    # No schema chosen yet, and without one she is no staff: the chooser, not a login loop.
    assert path_of(driver).startswith("/schemas/choose/")
    with page_load(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Northwind']").click()
    assert path_of(driver).endswith("/admin/")

    driver.get(f"{base}/admin/tenantapp/note/1/change/")
    title = driver.find_element(By.ID, "id_title")
    title.clear()
    title.send_keys("North note, edited")
    with page_load(driver):
        driver.find_element(By.NAME, "_save").click()
    assert listed_titles(driver) == ["North note, edited"]
    assert driver.find_elements(By.CSS_SELECTOR, "a.addlink")

    choose_in_header(driver, "bsouth")
    assert path_of(driver) == "/@bsouth/admin/tenantapp/note/"
    assert listed_titles(driver) == ["South note"]
    assert not driver.find_elements(By.CSS_SELECTOR, "a.addlink")
    with page_load(driver):
        driver.find_element(By.LINK_TEXT, "South note").click()
    assert path_of(driver) == "/@bsouth/admin/tenantapp/note/1/change/"
    assert not driver.find_elements(By.ID, "id_title"), "a viewer gets no input"
    assert not driver.find_elements(By.NAME, "_save")
    readonly = driver.find_element(By.CSS_SELECTOR, ".field-title .readonly").text
    assert readonly == "South note"
    # The selector still lists both schemas.
    assert header_schema(driver) == "bsouth"
    options = driver.find_elements(By.CSS_SELECTOR, "#schemaswitch-schema option")
    assert {o.get_attribute("value") for o in options} >= {"bnorth", "bsouth"}

    if strict_csp:
        assert csp_violations(driver) == []


@pytest.fixture
def many_schemas(transactional_db) -> SimpleNamespace:
    """A staff user with twenty schemas: enough for the filter box. Rows only: the index
    page used here reads no schema's tables."""
    names = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
        "sierra", "tango",
    ]  # fmt: skip
    schemas = Schema.objects.bulk_create(
        [Schema(name=f"fx_{name}", display_name=name.title()) for name in names]
    )
    user = UserFactory(username="many", is_staff=True)
    Membership.objects.bulk_create([Membership(user=user, schema=s) for s in schemas])
    return SimpleNamespace(user=user, schemas=schemas)


def test_type_to_filter_narrows_the_list_and_enter_switches(
    browser, live_server, many_schemas, strict_csp
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    log_in(driver, live_server.url, "many")
    box = driver.find_element(By.ID, "schemaswitch-filter")
    assert box.is_displayed()

    box.send_keys("ec")
    select = driver.find_element(By.ID, "schemaswitch-schema")
    shown = [
        o.text for o in select.find_elements(By.TAG_NAME, "option") if not o.get_property("hidden")
    ]
    assert shown == ["Echo", "Quebec"]
    with page_load(driver):
        box.send_keys(Keys.ENTER)

    assert path_of(driver) == "/@fx_echo/admin/"
    assert header_schema(driver) == "fx_echo"
    if strict_csp:
        assert csp_violations(driver) == []


def visible_options(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    select = driver.find_element(By.ID, "schemaswitch-schema")
    return [
        o.text for o in select.find_elements(By.TAG_NAME, "option") if not o.get_property("hidden")
    ]


def test_one_arrow_down_from_the_filter_box_reaches_the_first_match(
    browser, live_server, many_schemas, strict_csp
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    log_in(driver, live_server.url, "many")
    box = driver.find_element(By.ID, "schemaswitch-filter")
    box.send_keys("o")
    assert visible_options(driver)[:3] == ["Bravo", "Echo", "Foxtrot"]

    box.send_keys(Keys.ARROW_DOWN)

    select = driver.find_element(By.ID, "schemaswitch-schema")
    assert driver.switch_to.active_element == select
    assert select.get_property("value") == "fx_bravo"
    # The next press moves on through the matches only; Enter switches to the one reached.
    select.send_keys(Keys.ARROW_DOWN)
    assert select.get_property("value") == "fx_echo"
    with page_load(driver):
        select.send_keys(Keys.ENTER)
    assert header_schema(driver) == "fx_echo"
    if strict_csp:
        assert csp_violations(driver) == []


def test_a_filter_that_matches_nothing_says_so_instead_of_an_empty_list(
    browser, live_server, many_schemas, strict_csp
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    log_in(driver, live_server.url, "many")
    box = driver.find_element(By.ID, "schemaswitch-filter")
    message = driver.find_element(By.ID, "schemaswitch-no-match")
    select = driver.find_element(By.ID, "schemaswitch-schema")
    assert not message.is_displayed()

    box.send_keys("zz")

    assert message.is_displayed()
    assert message.text == "No schema matches"
    assert not select.is_displayed(), "no empty list box under the filter"
    box.send_keys(Keys.ARROW_DOWN, Keys.ENTER)  # nothing to reach, nothing to submit
    assert driver.switch_to.active_element == box
    assert path_of(driver) == "/admin/"

    box.send_keys(Keys.BACKSPACE, Keys.BACKSPACE, "ang")
    assert not message.is_displayed()
    assert visible_options(driver) == ["Tango"]
    if strict_csp:
        assert csp_violations(driver) == []


def test_beyond_the_selector_limit_the_filter_searches_every_schema_in_the_chooser(
    browser, live_server, many_schemas, strict_csp, settings
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    settings.SCHEMASWITCH_SELECTOR_LIMIT = 5
    driver = browser
    log_in(driver, live_server.url, "many")
    assert len(visible_options(driver)) == 5 + 1  # and the "choose a schema" prompt
    box = driver.find_element(By.ID, "schemaswitch-filter")
    more = driver.find_element(By.CSS_SELECTOR, "a.schemaswitch-more")

    box.send_keys("tan")

    assert driver.find_element(By.ID, "schemaswitch-no-match").is_displayed()
    assert more.get_attribute("href").endswith("/schemas/choose/?next=%2Fadmin%2F&q=tan")
    with page_load(driver):
        box.send_keys(Keys.ENTER)
    assert path_of(driver) == "/schemas/choose/?next=%2Fadmin%2F&q=tan"
    buttons = driver.find_elements(By.CSS_SELECTOR, ".schemaswitch-item button")
    assert [b.text for b in buttons] == ["Tango"]
    with page_load(driver):
        buttons[0].click()
    assert path_of(driver) == "/@fx_tango/admin/"
    assert header_schema(driver) == "fx_tango"
    if strict_csp:
        assert csp_violations(driver) == []


INFO_BG = {"light": "rgb(204, 239, 255)", "dark": "rgb(38, 88, 149)"}


def banner_style(driver: Any) -> tuple[str, str]:
    return tuple(
        driver.execute_script(
            "const li = document.querySelector('.schemaswitch-banner li');"
            "const style = getComputedStyle(li);"
            "return [style.backgroundColor, style.backgroundImage];"
        )
    )


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_schema_banners_have_the_info_style_not_the_success_one(
    browser, live_server, two_schemas, strict_csp, theme
):
    """Django 5.2 shows a plain message as a green success; the banners only inform."""
    driver, base = browser, live_server.url
    log_in(driver, base, "editor")
    driver.execute_script(f"localStorage.setItem('theme', '{theme}')")
    driver.refresh()
    assert banner(driver).startswith("No schema is active.")
    background, icon = banner_style(driver)
    assert background == INFO_BG[theme]
    assert "info" in icon and "icon-yes" not in icon

    choose_in_header(driver, "bnorth")
    driver.get(f"{base}/admin/tenantapp/note/")
    assert banner(driver) == "Only showing objects from Northwind."
    assert banner_style(driver) == (background, icon)
    if strict_csp:
        assert csp_violations(driver) == []


# -- the demo site ---------------------------------------------------------------------------


PHONE_WIDTH = 375


def emulate_phone(driver: Any) -> None:
    """A 375 px wide viewport (headless Chromium's windows are at least 500 px wide)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE_WIDTH, "height": 800, "deviceScaleFactor": 1, "mobile": True},
    )


@pytest.fixture
def demo_site(transactional_db, settings) -> Iterator[None]:
    """The example project's pages and seeded schemas on the live server."""
    from projects.demo_data import SCHEMAS, seed

    settings.ROOT_URLCONF = "demo_site.urls"
    settings.LOGIN_URL = "login"
    settings.LOGIN_REDIRECT_URL = "projects:dashboard"
    seed()
    try:
        yield
    finally:
        for schema in Schema.objects.filter(name__in=SCHEMAS):
            schema.drop()


def test_demo_dashboard_fits_a_375_px_screen(browser, live_server, demo_site):
    from selenium.webdriver.common.by import By

    driver, base = browser, live_server.url
    emulate_phone(driver)
    driver.get(f"{base}/accounts/login/")
    assert page_width(driver) == PHONE_WIDTH, "the login page, demo logins included"
    driver.find_element(By.ID, "id_username").send_keys("alice")
    driver.find_element(By.ID, "id_password").send_keys("alice-demo")
    with page_load(driver):
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    with page_load(driver):  # alice has two schemas: the chooser asks first
        driver.find_element(By.XPATH, "//button[normalize-space()='Acme Corp']").click()
    assert driver.find_element(By.ID, "dashboard").get_attribute("data-schema") == "acme"

    assert page_width(driver) == PHONE_WIDTH


def test_the_chooser_leads_back_to_the_site_and_logs_out(browser, live_server, demo_site):
    """Issue 19, item 6: the chooser page has a way back to the site and a logout."""
    from selenium.webdriver.common.by import By

    driver, base = browser, live_server.url
    driver.get(f"{base}/accounts/login/")
    driver.find_element(By.ID, "id_username").send_keys("alice")
    driver.find_element(By.ID, "id_password").send_keys("alice-demo")
    with page_load(driver):
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert "/schemas/choose/" in path_of(driver)  # two schemas: the chooser asks first

    back = driver.find_element(By.CSS_SELECTOR, "a.schemaswitch-site")
    assert back.is_displayed() and back.get_attribute("href").startswith(base)
    logout = driver.find_element(By.CSS_SELECTOR, "form.schemaswitch-logout button")
    assert logout.is_displayed()
    with page_load(driver):
        logout.click()
    driver.get(f"{base}/schemas/choose/")
    assert "/login/" in path_of(driver), "logged out: the chooser asks to log in again"


def page_width(driver: Any) -> int:
    return driver.execute_script("return document.documentElement.scrollWidth")


# -- screenshots -----------------------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("SCHEMASWITCH_SCREENSHOTS"),
    reason="writes docs/screenshots/ only when SCHEMASWITCH_SCREENSHOTS=1",
)
def test_screenshots(browser, live_server, transactional_db, strict_csp):
    from django.contrib.auth.models import Permission
    from selenium.webdriver.common.by import By

    made = [
        _make_schema("acme", "Acme Corporation", ["Launch plan", "Quarterly review"]),
        _make_schema("globex", "Globex", ["Hiring"]),
    ]
    extra = Schema.objects.bulk_create(
        [Schema(name=f"shot_{i:02d}", display_name=f"Initech branch {i}") for i in range(1, 18)]
    )
    user = UserFactory(username="ada", first_name="Ada", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tenantapp"))
    few, many = UserFactory(username="bob", is_staff=True), user
    few.user_permissions.set(user.user_permissions.all())
    Membership.objects.bulk_create(
        [Membership(user=many, schema=s) for s in [*made, *extra]]
        + [Membership(user=few, schema=s) for s in made]
    )
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    driver, base = browser, live_server.url
    try:
        log_in(driver, base, "bob")
        driver.set_window_size(1200, 560)
        driver.save_screenshot(str(SCREENSHOTS_DIR / "admin-no-schema.png"))
        choose_in_header(driver, "acme")
        driver.get(f"{base}/admin/tenantapp/note/")
        driver.set_window_size(1200, 520)
        driver.save_screenshot(str(SCREENSHOTS_DIR / "selector-light.png"))

        driver.execute_script("localStorage.setItem('theme', 'dark')")
        driver.refresh()
        driver.save_screenshot(str(SCREENSHOTS_DIR / "selector-dark.png"))
        driver.execute_script("localStorage.setItem('theme', 'light')")

        emulate_phone(driver)
        driver.refresh()
        driver.save_screenshot(str(SCREENSHOTS_DIR / "selector-narrow.png"))
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        driver.delete_all_cookies()
        driver.set_window_size(1200, 520)
        log_in(driver, base, "ada")
        choose_in_header(driver, "acme")
        driver.get(f"{base}/admin/tenantapp/note/")
        box = driver.find_element(By.ID, "schemaswitch-filter")
        box.send_keys("init")
        driver.save_screenshot(str(SCREENSHOTS_DIR / "selector-filter.png"))
        box.clear()
        box.send_keys("umbrella")
        driver.save_screenshot(str(SCREENSHOTS_DIR / "selector-no-match.png"))
    finally:
        for schema in made:
            schema.drop()
