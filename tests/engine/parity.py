"""Comparing two warehouses table by table: what "the same results" means across engines.

Exact, except: load times; floats (sums whose last bits depend on the order an
engine adds rows in) compared to a relative 1e-9; and Splink's pair scores,
which its DuckDB and Spark backends compute with slightly different string
functions, so the scores are compared through what they decide (the clusters
and their ids), not row by row.
"""

from __future__ import annotations

import json
import math
from typing import Any

from diversion.engine import Engine
from diversion.engine.schema import STAGE_TABLES, TABLES, columns

#: Columns that differ by design: when a row was written, and Splink's scores.
VOLATILE = {
    "sources": {"loaded_at"},
    "entity_mentions": {"match_probability"},
    "resolve_model": {"trained_at", "model_json"},
    "stage_runs": {"finished_at"},
    "pipeline_runs": {"started_at", "finished_at"},
}
#: Tables compared through what they decide, not row by row (see ``clusters``).
NOT_ROW_BY_ROW = {"resolve_pairs"}
#: Tables only one engine fills: the digests of the rows DuckDB's findings were made from (Spark, whose deletes
#: rewrite a table, never carries findings over: ``detect.carry``), and what DuckDB's network was built from
#: (``graph.carry``) and its lead rows were made from (``leads.carry``).
ONE_ENGINE_ONLY = {"finding_digests", "graph_basis", "lead_basis"}
#: Every contract table compared row by row.
ROW_BY_ROW = [t for t in [*TABLES, *STAGE_TABLES] if t not in NOT_ROW_BY_ROW | ONE_ENGINE_ONLY]


def comparable(v: Any) -> Any:
    """A fetched value as nested tuples (lists and dicts from either engine compare alike).

    JSON text (findings' evidence) is compared as what it holds: an amount in it is a sum
    whose last digits depend on the engine's order of adding, like any float column.
    """
    if isinstance(v, str) and v[:1] in "{[":
        try:
            v = json.loads(v)
        except ValueError:
            return v
    if isinstance(v, list | tuple):
        return tuple(comparable(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, comparable(x)) for k, x in v.items()))
    return v


def _key(v: Any) -> Any:
    """A sort key that lines rows up although their floats differ in the last digits."""
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, tuple):
        return tuple(_key(x) for x in v)
    return repr(v)


def same(a: Any, b: Any) -> bool:
    """Equal, with floats to a relative and absolute 1e-9."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def table_rows(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    """``table``'s rows without its volatile columns, in an order both engines agree on."""
    keep = [c for c in columns(table) if c not in VOLATILE.get(table, set())]
    rows = engine.fetch_all(f"SELECT {', '.join(keep)} FROM {table}")
    return sorted((tuple(comparable(v) for v in row) for row in rows), key=_key)


def table_difference(expected: Engine, actual: Engine, table: str) -> str | None:
    """Why ``table`` differs between two warehouses (``None``: the same rows)."""
    a, b = table_rows(expected, table), table_rows(actual, table)
    if len(a) != len(b):
        return f"{table}: {len(a)} rows on {expected.name}, {len(b)} on {actual.name}"
    differing = [(x, y) for x, y in zip(a, b, strict=True) if not same(x, y)]
    if not differing:
        return None
    names = [c for c in columns(table) if c not in VOLATILE.get(table, set())]
    lines = [f"{table}: {len(differing)} of {len(a)} rows differ; the first ones, column by column:"]
    for x, y in differing[:3]:
        lines.append(f"  row {x[0]!r}:")
        lines += [f"    {c}: {expected.name} {p!r}\n    {' ' * len(c)}  {actual.name} {q!r}"
                  for c, p, q in zip(names, x, y, strict=True) if not same(p, q)]
    return "\n".join(lines)


def clusters(engine: Engine) -> set[frozenset[str]]:
    """The resolved entities as sets of mention ids (what Splink's scores decided)."""
    groups: dict[str, set[str]] = {}
    for entity_id, mention_id in engine.fetch_all("SELECT entity_id, mention_id FROM entity_mentions"):
        groups.setdefault(entity_id, set()).add(mention_id)
    return {frozenset(g) for g in groups.values()}


def top_leads(engine: Engine, n: int = 50) -> tuple[Any, ...]:
    """The first ``n`` leads in rank order: (entity id, name, score); context entries are ranked apart."""
    return comparable(engine.fetch_all(
        f"SELECT entity_id, name, score FROM leads WHERE section = 'lead' ORDER BY rank LIMIT {n}"))
