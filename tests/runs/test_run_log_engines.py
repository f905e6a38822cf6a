"""The run log works through the ``Engine`` contract: the same changes on DuckDB and on Spark."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from diversion.config import Settings
from diversion.engine import Engine, open_engine
from diversion.read.changes import changes_since, list_runs
from diversion.runs import recorded_run


def _lead(rank: int, entity_id: str, score: float, flags: str) -> dict:
    return {"rank": rank, "entity_id": entity_id, "name": entity_id.upper(), "country": "RU", "score": score,
            "flags": flags, "evidence": "-", "section": "lead"}


def _scenario(engine: Engine) -> list[tuple[int, str, str, str, str]]:
    engine.insert_arrow("entity_mentions", pa.table({
        "mention_id": ["m-a", "m-b", "m-0b"], "entity_id": ["e-a", "e-b", "e-b"], "match_probability": [1.0] * 3}))
    engine.insert_arrow("leads", pa.Table.from_pylist([_lead(1, "e-a", 0.9, "sanctioned"),
                                                        _lead(2, "e-b", 0.7, "transshipment")]))
    with recorded_run(engine, "run") as log, log.stage("resolve"), log.stage("leads"):
        pass  # the baseline: nothing changes
    with recorded_run(engine, "run") as log:
        with log.stage("resolve"):  # a listed mention joins e-b, whose entity takes the listed mention's id
            engine.reset_table("entity_mentions")
            engine.insert_arrow("entity_mentions", pa.table({
                "mention_id": ["m-a", "m-b", "m-0b"], "entity_id": ["e-a", "e-0b", "e-0b"],
                "match_probability": [1.0] * 3}))
            engine.insert_arrow("sanctions_matches", pa.Table.from_pylist([{
                "entity_id": "e-0b", "sanction_entity_id": "NK-1", "list_name": "SDN", "programs": None,
                "listing_date": None, "score": 0.95, "matched_name": "B", "explanation": "same name"}]))
        with log.stage("leads"):
            engine.reset_table("leads")
            engine.insert_arrow("leads", pa.Table.from_pylist([_lead(1, "e-0b", 0.97, "sanctioned;transshipment"),
                                                                _lead(2, "e-a", 0.9, "sanctioned")]))
    listed = changes_since(engine, Settings())
    assert [r["run_id"] for r in list_runs(engine)] == [1, 2]
    return [(run, c.kind, c.entity_id, c.item, c.summary) for run, c in listed.changes]


@pytest.mark.parametrize("engine_name", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_same_changes_on_both_engines(engine_name: str, tmp_path: Path) -> None:
    if engine_name == "spark":
        pytest.importorskip("pyspark")
    engine = open_engine(tmp_path / "w.duckdb", engine=engine_name)
    try:
        assert _scenario(engine) == [
            (2, "match_new", "e-0b", "NK-1", "matches 'B' on SDN (score 0.95)"),
            (2, "lead_changed", "e-0b", "", "rank 2 → 1, score 0.70 → 0.97, new flag sanctioned"),
        ]
    finally:
        engine.close()
