"""Evidenced chains between two nodes, with each trade hop's value in the report currency (the CLI's ``path``)."""

from __future__ import annotations

from diversion.config import Settings
from diversion.engine import Engine
from diversion.graph.paths import PathResult, shortest_chains
from diversion.read.values import converter, monthly_sums


def evidenced_chains(engine: Engine, settings: Settings, start: str, end: str, limit: int = 5,
                     currency: str | None = None) -> PathResult:
    """``graph.shortest_chains`` with ``value`` (report currency, month by month) on every trade edge.

    A commissioning edge states the value its evidence recorded in the report
    currency; registry links carry no value.
    """
    result = shortest_chains(engine, start, end, limit=limit)
    conv = converter(engine, currency or settings.report_currency)
    trade = [e for chain in result.chains for hop in chain.hops for e in hop.edges if e["kind"] == "trade"]
    pairs = sorted({f"{e['source']}>{e['target']}" for e in trade})
    values = monthly_sums(engine, "list_contains(?, se.exporter_entity_id || '>' || se.importer_entity_id)",
                          [pairs], "se.exporter_entity_id || '>' || se.importer_entity_id", conv) if pairs else {}
    for chain in result.chains:
        for hop in chain.hops:
            for e in hop.edges:
                ev = e.get("evidence") or {}
                if e["kind"] == "trade":
                    e["value"] = values.get(f"{e['source']}>{e['target']}")
                elif e["kind"] == "commissioning" and ev.get("currency") == conv.currency:
                    e["value"] = ev.get("value")
                e["currency"] = conv.currency
    return result
