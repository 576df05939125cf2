"""Figures the hardening tests measured, printed at the end of the run (see conftest)."""

from __future__ import annotations

from .load import TABLE_HEADER, Outcome

RESULTS: list[tuple[str, Outcome]] = []
NOTES: list[str] = []


def record(label: str, outcome: Outcome) -> None:
    RESULTS.append((label, outcome))


def note(text: str) -> None:
    NOTES.append(text)


def table() -> str:
    lines = [TABLE_HEADER, *(outcome.row(label) for label, outcome in RESULTS)]
    return "\n".join(lines)
