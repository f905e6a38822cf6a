"""A summary of what the warehouse holds (for ``diversion status`` and reports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from diversion.engine import Engine
from diversion.engine.schema import STAGE_TABLES, TABLES
from diversion.sources.integrity import Problem, check_warehouse


@dataclass
class WarehouseStatus:
    """Counts per table, sources, date range and quarantine reasons."""

    tables: dict[str, int] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    date_range: tuple[date, date] | None = None
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    #: Orphan rows and files whose counts do not add up (``sources.integrity``); empty when all is well.
    problems: list[Problem] = field(default_factory=list)


def warehouse_status(engine: Engine) -> WarehouseStatus:
    """Summarise the warehouse behind ``engine``."""
    out = WarehouseStatus()
    for name in list(TABLES) + list(STAGE_TABLES):
        if engine.table_exists(name):
            out.tables[name] = engine.count(name)
    out.sources = engine.fetch_dicts(
        "SELECT path, kind, format, rows_read, rows_loaded, rows_quarantined, loaded_at "
        "FROM sources ORDER BY loaded_at, path"
    )
    row = engine.fetch_all("SELECT min(date), max(date) FROM shipments")
    if row and row[0][0] is not None:
        out.date_range = (row[0][0], row[0][1])
    out.quarantine = engine.fetch_dicts(
        "SELECT kind, field, reason, count(*) AS n FROM quarantine "
        "GROUP BY ALL ORDER BY n DESC, kind, reason LIMIT 50"
    )
    out.problems = check_warehouse(engine)
    return out
