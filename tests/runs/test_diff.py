"""The comparison behind ``diversion changes``: what counts as a change, and ids that move."""

from __future__ import annotations

import pyarrow as pa

from diversion.engine import DuckDBEngine
from diversion.runs.diff import compare
from diversion.runs.state import current_ids, translated


def _lead(rank: int, score: float, *flags: str, section: str = "lead") -> dict:
    return {"name": "X", "rank": rank, "score": score, "flags": list(flags), "section": section}


def test_a_rank_moved_by_other_leads_is_not_a_change() -> None:
    before = {("e-a", ""): _lead(3, 0.9, "sanctioned"), ("e-b", ""): _lead(4, 0.8, "transshipment")}
    after = {("e-a", ""): _lead(4, 0.9, "sanctioned"), ("e-b", ""): _lead(3, 0.95, "transshipment", "brand_diversion")}
    [changed] = compare("lead", before, after)
    assert (changed.kind, changed.entity_id) == ("lead_changed", "e-b")
    assert changed.summary == "rank 4 → 3, score 0.80 → 0.95, new flag brand_diversion"


def test_new_removed_and_rounding() -> None:
    before = {("e-a", ""): _lead(1, 0.50001, "x"), ("e-gone", ""): _lead(2, 0.4, "y")}
    after = {("e-a", ""): _lead(1, 0.5, "x"), ("e-new", ""): _lead(2, 0.7, "z", section="context")}
    got = {(c.kind, c.entity_id): c.summary for c in compare("lead", before, after)}
    assert got == {("lead_removed", "e-gone"): "no longer a lead (was rank 2, score 0.40)",
                   ("lead_new", "e-new"): "new at rank 2 (context), score 0.70, flags z"}


def test_a_match_is_new_or_removed_never_rescored() -> None:
    before = {("e-a", "NK-1"): {"name": "A", "score": 0.9}, ("e-a", "NK-2"): {"name": "A", "score": 0.8}}
    after = {("e-a", "NK-1"): {"name": "A", "score": 0.95}, ("e-a", "NK-3"): {"name": "A", "score": 0.8}}
    assert [(c.kind, c.item) for c in compare("match", before, after)] == [
        ("match_removed", "NK-2"), ("match_new", "NK-3")]


def test_ids_follow_their_founding_mention_into_a_merged_entity() -> None:
    with DuckDBEngine(":memory:") as engine:
        engine.insert_arrow("entity_mentions", pa.table({
            "mention_id": ["m-0", "m-1", "m-2"], "entity_id": ["e-0", "e-0", "e-2"],
            "match_probability": [1.0, 0.9, 1.0]}))
        mapping = current_ids(engine, ["e-1", "e-2", "e-gone"])
    assert mapping == {"e-1": "e-0"}  # e-1's mention joined e-0; e-2 kept its id; e-gone has no mention now
    merged = translated({("e-0", ""): _lead(5, 0.6, "a"), ("e-1", ""): _lead(2, 0.8, "b")}, mapping, "lead")
    assert merged == {("e-0", ""): _lead(2, 0.8, "b")}  # the better-ranked of the two entities that merged
