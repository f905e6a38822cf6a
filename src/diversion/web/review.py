"""The review queue: uncertain entity matches an analyst marks same or different.

A pair is uncertain when the resolve stage scored it (``resolve_pairs``) with a
match probability between ``resolve.review_low`` and ``resolve.review_high``.
Decisions are written by the resolve stage's ``record_decision`` into the
``decisions`` table, which every later ``diversion resolve`` honours.
"""

from __future__ import annotations

from typing import Any

from diversion.config import ResolveSettings
from diversion.errors import DiversionError, WarehouseError
from diversion.resolve import decisions as resolve_decisions
from diversion.web.models import Decision
from diversion.web.warehouse import WebWarehouse

_MENTION_COLUMNS = "m.mention_id, m.source_table, m.role, m.name, m.country, m.address, m.identifiers, m.domain"


def queue(
    wh: WebWarehouse, settings: ResolveSettings, offset: int = 0, limit: int = 25
) -> tuple[int, list[dict[str, Any]]]:
    """Undecided uncertain pairs from ``resolve_pairs``, closest to 50/50 first, and how many there are."""
    if not (wh.has("resolve_pairs") and wh.has("mentions")):
        return 0, []
    decided = (
        "AND NOT EXISTS (SELECT 1 FROM decisions d WHERE (d.left_id = p.mention_id_l AND d.right_id = p.mention_id_r)"
        " OR (d.left_id = p.mention_id_r AND d.right_id = p.mention_id_l))"
        if wh.has("decisions")
        else ""
    )
    where = f"FROM resolve_pairs p WHERE p.match_probability >= ? AND p.match_probability < ? {decided}"
    params = [settings.review_low, settings.review_high]
    total = int(wh.value(f"SELECT count(*) {where}", params) or 0)
    rows = wh.rows(
        f"SELECT p.mention_id_l AS left_id, p.mention_id_r AS right_id, p.match_probability, p.match_weight {where} "
        "ORDER BY abs(p.match_probability - 0.5), p.mention_id_l, p.mention_id_r LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    ids = [r["left_id"] for r in rows] + [r["right_id"] for r in rows]
    mentions = mentions_by_id(wh, ids)
    entity_of = _entities_of(wh, ids)
    for row in rows:
        row["left"] = mentions.get(row["left_id"], {})
        row["right"] = mentions.get(row["right_id"], {})
        row["left_entity"] = entity_of.get(row["left_id"])
        row["right_entity"] = entity_of.get(row["right_id"])
    return total, rows


def _entities_of(wh: WebWarehouse, ids: list[str]) -> dict[str, str]:
    if not ids or not wh.has("entity_mentions"):
        return {}
    rows = wh.rows("SELECT mention_id, entity_id FROM entity_mentions WHERE list_contains(?, mention_id)", [ids])
    return {r["mention_id"]: r["entity_id"] for r in rows}


def mentions_by_id(wh: WebWarehouse, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Mentions keyed by id (what the analyst compares)."""
    if not ids or not wh.has("mentions"):
        return {}
    rows = wh.rows(f"SELECT {_MENTION_COLUMNS} FROM mentions m WHERE list_contains(?, m.mention_id)", [ids])
    return {r["mention_id"]: r for r in rows}


def recent_decisions(wh: WebWarehouse, limit: int = 10) -> list[dict[str, Any]]:
    """The latest decisions, newest first."""
    if not wh.has("decisions") and not wh.writable:
        return []
    names = (
        "(SELECT name FROM mentions m WHERE m.mention_id = d.left_id) AS left_name, "
        "(SELECT name FROM mentions m WHERE m.mention_id = d.right_id) AS right_name, "
        if wh.has("mentions")
        else "NULL AS left_name, NULL AS right_name, "
    )
    return wh.rows(
        f"SELECT d.left_id, d.right_id, {names} d.judgement, d.author, d.decided_at, d.reason FROM decisions d "
        "ORDER BY d.decided_at DESC LIMIT ?",
        [limit],
    )


class UnknownMention(LookupError):
    """A decision names a mention the warehouse does not hold, or the same one twice."""


def record_decision(wh: WebWarehouse, decision: Decision) -> dict[str, Any]:
    """Write one analyst decision with the resolve stage's own ``record_decision``; returns the row.

    Raises ``UnknownMention`` when an id is not a known mention (or both are
    the same), and ``WarehouseError`` when the app was started read-only.
    """
    with wh.engine() as engine:
        try:
            stored = resolve_decisions.record_decision(
                engine, decision.left_id, decision.right_id, decision.judgement, decision.author, decision.reason
            )
        except DiversionError as exc:
            if isinstance(exc, WarehouseError):
                raise
            raise UnknownMention(str(exc)) from exc
    return {
        "left_id": stored.left_id,
        "right_id": stored.right_id,
        "judgement": stored.judgement,
        "author": stored.author,
        "decided_at": stored.decided_at,
        "reason": stored.reason,
    }
