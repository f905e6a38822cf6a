"""The one factory of shipments and rates for tests: rows inserted through the Engine (flows, report)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from diversion.engine import Engine
from diversion.engine.schema import columns

_DEFAULTS: dict[str, Any] = {
    "hs_code": "845811",
    "exporter_name": "Exporter",
    "importer_name": "Importer",
    "importer_country": "RU",
    "origin_country": "CN",
    "dispatch_country": "CN",
    "currency": "USD",
}


def add_shipments(engine: Engine, *rows: dict[str, Any]) -> None:
    """Insert shipments; each row needs ``date`` and ``value``, the rest has defaults."""
    cols = columns("shipments")
    records = []
    for i, row in enumerate(rows):
        rec = (
            {c: None for c in cols}
            | _DEFAULTS
            | {"record_id": f"r{i}", "source_id": "fixture", "line": i + 1, "record_hash": f"h{i}"}
            | row
        )
        if isinstance(rec["date"], str):
            rec["date"] = date.fromisoformat(rec["date"])
        if rec["value_usd"] is None and rec["currency"] == "USD":
            rec["value_usd"] = rec["value"]
        records.append(rec)
    schema = engine.fetch_arrow("SELECT * FROM shipments LIMIT 0").schema
    engine.insert_arrow("shipments", pa.Table.from_pylist(records, schema=schema))


def add_rates(engine: Engine, currency: str, per_usd: float, months: list[str]) -> None:
    """One rate per month (``YYYY-MM``) for ``currency``."""
    for i, m in enumerate(months):
        engine.execute(
            "INSERT INTO rates VALUES (?, ?, ?, 'fixture', ?, ?)",
            [date.fromisoformat(m + "-01"), currency, per_usd, i + 1, f"{currency}{m}"],
        )
