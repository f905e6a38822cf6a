"""The ordering party a declaration names, found among the resolved entities."""

from __future__ import annotations

from diversion.engine import Engine
from diversion.graph.commissioning import _resolve_names


def _mention(engine: Engine, mention: str, name: str, norm: str, entity: str, country: str) -> None:
    engine.execute("INSERT INTO mentions (mention_id, source_table, source_key, role, name, name_norm) "
                   "VALUES (?, 'shipments', ?, 'exporter', ?, ?)", [mention, mention, name, norm])
    engine.execute("INSERT INTO entity_mentions VALUES (?, ?, 1.0)", [mention, entity])
    if not engine.scalar("SELECT count(*) FROM entities WHERE entity_id = ?", [entity]):
        engine.execute("INSERT INTO entities VALUES (?, ?, [?], [?], [], 'Company', 1)", [entity, name, name, country])


def test_a_named_party_is_found_by_its_normalised_or_its_written_name_most_mentioned_first(engine: Engine) -> None:
    _mention(engine, "m1", "Gulf Bridge FZE", "gulf bridge", "e-gulf", "AE")
    _mention(engine, "m2", "GULF BRIDGE F.Z.E.", "gulf bridge", "e-gulf", "AE")
    _mention(engine, "m3", "Gulf Bridge Trading", "gulf bridge", "e-other", "CN")  # another entity, same key
    # Normalised otherwise when resolved (another normaliser's version): found by the name as written.
    _mention(engine, "m4", "Pearl River Co", "pearl river company", "e-pearl", "CN")
    _mention(engine, "m5", "Unrelated Ltd", "unrelated", "e-unrelated", "DE")
    got = _resolve_names(engine, {"GULF BRIDGE FZE": "gulf bridge", "PEARL RIVER CO": "pearl river"})
    assert got == {"gulf bridge": [("e-gulf", "AE", 2), ("e-other", "CN", 1)],
                   "pearl river": [("e-pearl", "CN", 1)]}
