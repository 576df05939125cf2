"""Shared helpers of the admin integration tests.

``north`` and ``south`` each hold a project and a note with primary key 1 but different
content, so a page that shows a note says which schema it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.models import Permission
from django.test import Client

from schemaswitch_admin import schema_context
from schemaswitch_admin.models import Membership
from schemaswitch_admin.testing.factories import SchemaFactory, SuperUserFactory, UserFactory
from tests.tenantapp.models import Note, Project

SWITCH_URL = "/schemas/switch/"
NOTES_URL = "/admin/tenantapp/note/"
NOTE_1_URL = "/admin/tenantapp/note/1/change/"


def make_schema_with_note(name: str, title: str, **fields: Any):
    schema = SchemaFactory(name=name, display_name=name.title(), **fields)
    with schema_context(name):
        project = Project.objects.create(name=f"{name} project")
        note = Note.objects.create(project=project, title=title, body=f"body of {title}")
    assert note.pk == 1, "each schema numbers its rows from 1"
    return schema


def make_staff(*schemas, username: str | None = None):
    """A staff user (not a superuser) who may use the tenant app and the given schemas."""
    kwargs = {"username": username} if username else {}
    user = UserFactory(is_staff=True, **kwargs)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tenantapp"))
    for schema in schemas:
        Membership.objects.create(user=user, schema=schema)
    return user


def make_superuser():
    return SuperUserFactory()


def logged_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def switch(client: Client, name: str, next_url: str = "/admin/") -> None:
    response = client.post(SWITCH_URL, {"schema": name, "next": next_url})
    assert response.status_code == 302, response.content[:300]


def build_world() -> SimpleNamespace:
    north = make_schema_with_note("north", "North note")
    south = make_schema_with_note("south", "South note")
    east = make_schema_with_note("east", "East note")
    member = make_staff(north, south, username="member")
    outsider = make_staff(south, username="outsider")
    return SimpleNamespace(north=north, south=south, east=east, member=member, outsider=outsider)


def text_of(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(strong|em|code|span|a)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class _Collector(HTMLParser):
    """Collects elements (with their text) matching a predicate; enough for assertions on
    forms, options and links without a third-party parser."""

    VOID = {"input", "link", "meta", "br", "img", "hr", "source", "use"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = []
        self.all: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        if self.stack:
            self.stack[-1].children.append(element)
        self.all.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data


def elements(response_or_html: Any) -> list[Element]:
    html = response_or_html
    if not isinstance(html, str):
        html = response_or_html.content.decode()
    parser = _Collector()
    parser.feed(html)
    return parser.all


def find(response_or_html: Any, tag: str, **attrs: str) -> list[Element]:
    found = []
    for element in elements(response_or_html):
        if element.tag != tag:
            continue
        if all(_attr_matches(element, key, value) for key, value in attrs.items()):
            found.append(element)
    return found


def _attr_matches(element: Element, key: str, value: str) -> bool:
    key = key.rstrip("_").replace("_", "-")
    actual = element.attrs.get(key)
    if key == "class":
        return actual is not None and value in actual.split()
    return actual == value


def descendants(element: Element, tag: str) -> list[Element]:
    found = []
    for child in element.children:
        if child.tag == tag:
            found.append(child)
        found.extend(descendants(child, tag))
    return found


def selector_form(response) -> Element:
    forms = find(response, "form", class_="schemaswitch-selector")
    assert len(forms) == 1, f"expected one selector, found {len(forms)}"
    return forms[0]


def selector_options(response) -> list[tuple[str, bool]]:
    """(value, selected) of each option of the header selector."""
    select = descendants(selector_form(response), "select")[0]
    return [
        (option.attrs.get("value") or "", "selected" in option.attrs)
        for option in descendants(select, "option")
    ]


def selector_fields(response) -> dict[str, str]:
    """The hidden fields the selector posts (csrf token, next)."""
    return {
        i.attrs["name"]: i.attrs.get("value") or ""
        for i in descendants(selector_form(response), "input")
        if i.attrs.get("type") == "hidden"
    }
