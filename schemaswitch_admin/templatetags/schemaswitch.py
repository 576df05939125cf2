"""Template tags for project templates (no dependency on the admin).

``{% schema_token %}`` goes next to ``{% csrf_token %}`` in a form whose ``action`` is not
bound to a schema (a hard-coded path, another site section): it records the schema the page
was rendered in, and the request layer refuses the post with 409 when it would act in
another one (another tab switched the session since)::

    {% load schemaswitch %}
    <form method="post" action="/invoices/new/">{% csrf_token %}{% schema_token %} ...
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..selection import PAGE_FIELD
from ..state import get_active_schema

register = template.Library()


@register.simple_tag
def schema_token() -> SafeString:
    """A hidden ``__page_schema`` field naming the active schema; nothing without one."""
    name = get_active_schema()
    if name is None:
        return SafeString("")
    return format_html('<input type="hidden" name="{}" value="{}">', PAGE_FIELD, name)
