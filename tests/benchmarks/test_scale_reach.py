"""``benchmarks/scale.py``'s reach of an update: the parties of the new file's shipments and their share."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

_SCALE = Path(__file__).parents[2] / "benchmarks" / "scale.py"


def _scale():
    spec = importlib.util.spec_from_file_location("scale_benchmark", _SCALE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reach_counts_the_new_files_parties_and_every_row_they_are_party_to(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE sources (source_id VARCHAR, path VARCHAR)")
    con.execute("INSERT INTO sources VALUES ('old', '/d/old.csv'), ('new', '/d/new.csv')")
    con.execute("CREATE TABLE shipments (record_id VARCHAR, source_id VARCHAR)")
    con.execute("INSERT INTO shipments VALUES ('s1', 'old'), ('s2', 'old'), ('s3', 'old'), ('s4', 'new')")
    con.execute("CREATE TABLE shipment_entities (record_id VARCHAR, exporter_entity_id VARCHAR, "
                "importer_entity_id VARCHAR)")
    # a and b trade before and in the new file; c and d only before; e's party is unresolved (null).
    con.execute("INSERT INTO shipment_entities VALUES ('s1', 'a', 'b'), ('s2', 'a', 'c'), ('s3', 'd', NULL), "
                "('s4', 'a', 'b')")
    con.close()
    said = _scale().reach(db, "/d/new.csv")
    # Parties a, b, c, d; a and b reached; of the 7 party rows (a null is none), a's 3 and b's 2.
    assert said == ("the new shipments reach 2 of 4 trade parties (50%), party to 5 of 7 shipments' parties (71%)")
