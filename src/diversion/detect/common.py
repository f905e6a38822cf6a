"""Small helpers the detectors share: entity labels, value scaling, id samples."""

from __future__ import annotations

import math
from typing import Any

from diversion.engine import Engine


def entity_labels(engine: Engine, ids: set[str] | None = None) -> dict[str, tuple[str, str | None]]:
    """``entity_id → (name, country)`` from the network's nodes (all entities, or just ``ids``)."""
    rows = engine.fetch_all("SELECT node_id, label, country FROM nodes WHERE kind = 'entity'")
    return {r[0]: (r[1], r[2]) for r in rows if ids is None or r[0] in ids}


def value_factor(value: float | None, full_at: float) -> float:
    """0.2..1 on a log scale: 1 at ``full_at`` dollars or more, 0.2 for trivial amounts."""
    v = float(value or 0.0)
    if v <= 1 or full_at <= 1:
        return 0.2
    return max(0.2, min(1.0, math.log10(v) / math.log10(full_at)))


def split_tags(text: str) -> list[str]:
    """A comma-separated setting as a clean list of lower-case tags."""
    return [t.strip().lower() for t in text.split(",") if t.strip()]


def sql_list(values: list[str]) -> str:
    """A SQL list literal of strings (quotes doubled), ``(NULL)`` when empty."""
    if not values:
        return "(NULL)"
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def top(items: list[Any], n: int = 10) -> list[Any]:
    """The first ``n`` items (evidence lists stay readable)."""
    return list(items[:n])
