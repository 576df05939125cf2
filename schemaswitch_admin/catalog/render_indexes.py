"""Indexes that no constraint owns, as ``pg_get_indexdef`` printed them.

They are built after the rows (one build per index instead of one insert per row each); the
indexes behind keys and exclusion constraints come with their constraints.
"""

from __future__ import annotations

from .model import Catalog
from .script import Statement, statement


def render_indexes(catalog: Catalog) -> list[Statement]:
    return [statement("indexes", index.definition) for index in catalog.indexes]
