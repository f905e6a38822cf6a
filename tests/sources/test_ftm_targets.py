"""OpenSanctions exports: only ``target: true`` entities are listed (real yente fixture)."""

from __future__ import annotations

from pathlib import Path

from diversion.engine import DuckDBEngine
from diversion.sources import ingest_file

ZALA = Path(__file__).parents[1] / "data" / "sanctions" / "yente_zala.ftm.json"


def test_non_targets_are_registry_records_not_listings(engine: DuckDBEngine) -> None:
    result = ingest_file(engine, "sanctions", ZALA)
    assert result.rows_quarantined == 0
    assert result.rows_read == result.rows_loaded + result.rows_duplicate
    listed = {r[0] for r in engine.fetch_all("SELECT entity_id FROM sanctions")}
    registry = {r[0] for r in engine.fetch_all("SELECT entity_id FROM registry_entities")}
    # the three ext_ru_egrul companies shipped with "target": false
    assert registry == {"NK-56Edov9bas9puzaChH5pBy", "NK-9Xa4Kg7Y7nfccE7VcZt6Q6", "ru-inn-5920040846"}
    assert not listed & registry
    assert "NK-abdzbEBkqyT29GyREbiURZ" in listed  # LLC CST, a target
    # their ownership links stay, pointing at both kinds
    assert engine.scalar("SELECT count(*) FROM registry_links WHERE target_entity_id = 'ru-inn-5920040846' "
                         "OR source_entity_id = 'ru-inn-5920040846'") >= 1


def test_export_without_target_flag_lists_everything(engine: DuckDBEngine, tmp_path: Path) -> None:
    plain = tmp_path / "aleph.ftm.json"
    plain.write_text('{"id": "c1", "schema": "Company", "properties": {"name": ["Kometa"]}}\n', encoding="utf-8")
    ingest_file(engine, "sanctions", plain)
    assert engine.count("sanctions") == 1 and engine.count("registry_entities") == 0
