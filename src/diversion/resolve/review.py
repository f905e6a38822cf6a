"""The review queue: uncertain pairs, most valuable first.

A pair is uncertain when its match probability lies between
``resolve.review_low`` and ``resolve.review_high``. Pairs are ranked by the
traded value (USD where known) of the shipments naming either mention, then by
how close the model is to a coin toss (probability near 0.5). Pairs already
decided are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from diversion.engine import Engine
from diversion.errors import DiversionError
from diversion.resolve.mentions import PARTY_COLUMNS, mention_id_sql


@dataclass(frozen=True)
class ReviewItem:
    """One pair for an analyst to judge."""

    left_id: str
    right_id: str
    left_name: str
    right_name: str
    left_role: str
    right_role: str
    probability: float
    traded_value: float


def _value_sql() -> str:
    parts = []
    for role, cols in PARTY_COLUMNS.items():
        mid = mention_id_sql("shipments", role, *cols)
        parts.append(f"SELECT {mid} AS mention_id, coalesce(value_usd, value) AS v FROM shipments")
    return "SELECT mention_id, sum(v) AS traded FROM (" + " UNION ALL ".join(parts) + ") t GROUP BY mention_id"


def review_queue(engine: Engine, low: float, high: float, limit: int = 20) -> list[ReviewItem]:
    """Uncertain, undecided pairs of the last resolve, most valuable first."""
    if not engine.table_exists("resolve_pairs") or not engine.table_exists("mentions"):
        raise DiversionError("no scored pairs yet: run `diversion resolve` first")
    rows = engine.fetch_all(
        f"""
        WITH value AS ({_value_sql()})
        SELECT p.mention_id_l, p.mention_id_r, ml.name, mr.name, ml.role, mr.role, p.match_probability,
               coalesce(vl.traded, 0) + coalesce(vr.traded, 0) AS traded
        FROM resolve_pairs p
        JOIN mentions ml ON ml.mention_id = p.mention_id_l
        JOIN mentions mr ON mr.mention_id = p.mention_id_r
        LEFT JOIN value vl ON vl.mention_id = p.mention_id_l
        LEFT JOIN value vr ON vr.mention_id = p.mention_id_r
        LEFT JOIN decisions d ON d.left_id = p.mention_id_l AND d.right_id = p.mention_id_r
        WHERE p.match_probability >= ? AND p.match_probability < ? AND d.left_id IS NULL
        ORDER BY traded DESC, abs(p.match_probability - 0.5), p.mention_id_l, p.mention_id_r
        LIMIT {int(limit)}
        """,
        [low, high],
    )
    return [ReviewItem(r[0], r[1], r[2] or "", r[3] or "", r[4], r[5], float(r[6]), float(r[7])) for r in rows]
