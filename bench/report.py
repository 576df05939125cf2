"""Formatting: Markdown tables, figures, and the verdict on each target."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Target:
    """One goal of issue 8 and where this run stands."""

    goal: str
    measured: str
    met: bool | None
    #: How far off, shown when the target is missed ("by ...").
    shortfall: str = ""
    #: Why it is missed, when it is: listed under the table of targets.
    why: str = ""

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "not measured"
        return "met" if self.met else f"missed by {self.shortfall}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_ms(value: float | None) -> str:
    if _missing(value):
        return "–"
    assert value is not None
    return f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms"


def fmt_s(value: float | None) -> str:
    if _missing(value):
        return "–"
    assert value is not None
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def fmt_ratio(value: float | None) -> str:
    if _missing(value):
        return "–"
    assert value is not None
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"


def fmt_mb(value: float | None) -> str:
    return "–" if _missing(value) else f"{value:.0f} MB"


def targets_table(targets: list[Target]) -> str:
    text = table(
        ["target", "measured", "verdict"], [[t.goal, t.measured, t.verdict] for t in targets]
    )
    # One line per reason, naming every target it explains.
    goals_by_why: dict[str, list[str]] = {}
    for t in targets:
        if t.met is False and t.why:
            goals_by_why.setdefault(t.why, []).append(t.goal)
    reasons = [f"* {'; '.join(goals)}: {why}" for why, goals in goals_by_why.items()]
    if reasons:
        text += "\n\nWhy the misses:\n\n" + "\n".join(reasons)
    return text
