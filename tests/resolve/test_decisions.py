"""Analyst decisions are honoured by every later resolve; review and explain."""

from __future__ import annotations

import pytest

from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.errors import DiversionError
from diversion.resolve import resolve
from diversion.resolve.decisions import record_decision, require_mention
from diversion.resolve.explain import explain_pair
from diversion.resolve.review import review_queue


def _entity(engine: DuckDBEngine, mention_id: str) -> str:
    return engine.scalar("SELECT entity_id FROM entity_mentions WHERE mention_id = ?", [mention_id])


def test_different_splits_and_survives_reruns(resolved: DuckDBEngine, settings: Settings) -> None:
    a, b = require_mention(resolved, "Amegino FZCO"), require_mention(resolved, "AMEGINO F.Z.E.")
    assert _entity(resolved, a) == _entity(resolved, b)
    d = record_decision(resolved, a, b, "different", "analyst", "different licence numbers")
    assert d.author == "analyst" and d.reason == "different licence numbers"
    for _ in range(2):
        resolve(resolved, settings)
        assert _entity(resolved, a) != _entity(resolved, b)
    assert resolved.count("decisions") == 1


def test_same_merges_what_the_model_keeps_apart(resolved: DuckDBEngine, settings: Settings) -> None:
    a = require_mention(resolved, "Shenzhen ELE Technology Co Ltd")
    b = require_mention(resolved, "ELE Technology")
    assert _entity(resolved, a) != _entity(resolved, b)
    record_decision(resolved, a, b, "same", "analyst", "same Shenzhen address on invoices")
    resolve(resolved, settings)
    assert _entity(resolved, a) == _entity(resolved, b)
    # the latest decision wins
    record_decision(resolved, b, a, "different", "lead")
    resolve(resolved, settings)
    assert _entity(resolved, a) != _entity(resolved, b)


def test_decide_accepts_entity_ids_and_rejects_unknown(resolved: DuckDBEngine) -> None:
    eid = _entity(resolved, require_mention(resolved, "OOO AMG"))
    assert require_mention(resolved, eid).startswith("m-")
    with pytest.raises(DiversionError, match="no mention"):
        record_decision(resolved, "No Such Firm", "OOO AMG", "same")
    with pytest.raises(DiversionError, match="judgement"):
        record_decision(resolved, "OOO AMG", "AMG LLC", "maybe")


def test_review_lists_uncertain_pairs_by_value(resolved: DuckDBEngine, settings: Settings) -> None:
    items = review_queue(resolved, settings.resolve.review_low, settings.resolve.review_high)
    assert items, "the mini case has uncertain pairs"
    assert all(settings.resolve.review_low <= i.probability < settings.resolve.review_high for i in items)
    values = [i.traded_value for i in items]
    assert values == sorted(values, reverse=True)
    first = items[0]
    record_decision(resolved, first.left_id, first.right_id, "same")
    again = review_queue(resolved, settings.resolve.review_low, settings.resolve.review_high)
    assert (first.left_id, first.right_id) not in {(i.left_id, i.right_id) for i in again}


def test_explain_gives_weights_per_comparison(resolved: DuckDBEngine) -> None:
    ex = explain_pair(resolved, "OOO AMG", "AMG LLC")
    by_name = {c.comparison: c for c in ex.contributions}
    assert set(by_name) == {"name", "country", "address", "identifiers", "domain"}
    # the same-name level says how many other parties are expected to bear the name (issue #14)
    assert by_name["name"].level.startswith("same name (") and by_name["name"].weight > 0
    assert by_name["identifiers"].level == "an identifier in common"
    assert ex.total_weight == pytest.approx(ex.prior_weight + sum(c.weight for c in ex.contributions), abs=0.05)
    assert ex.probability > 0.99 and ex.same_entity is True
    text = "\n".join(ex.lines())
    assert "same name" in text and "probability" in text


def test_explain_kometas_shows_what_counts_against(resolved: DuckDBEngine) -> None:
    ids = [r[0] for r in resolved.fetch_all(
        "SELECT mention_id FROM mentions WHERE source_table = 'registry_entities' AND name_norm = 'kometa' "
        "ORDER BY source_key")]
    ex = explain_pair(resolved, ids[0], ids[1])
    by_name = {c.comparison: c for c in ex.contributions}
    assert by_name["identifiers"].weight < 0 and by_name["address"].weight <= 0
    assert ex.same_entity is False


def test_explain_unusable_name(resolved: DuckDBEngine) -> None:
    ex = explain_pair(resolved, "!!!", "AMG LLC")
    assert ex.unresolved and "no letters" in ex.unresolved
