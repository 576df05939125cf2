"""Rewrite rules other than views' own, from ``pg_get_ruledef``, after the views and
triggers they may name."""

from __future__ import annotations

from .model import Catalog
from .script import Statement, statement


def render_rules(catalog: Catalog) -> list[Statement]:
    # pg_get_ruledef ends with ';', which the script adds itself.
    return [
        statement("finish", rule.definition.rstrip().removesuffix(";")) for rule in catalog.rules
    ]
