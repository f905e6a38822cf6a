import json

import pytest

from diversion.config import Settings
from diversion.errors import WarehouseError
from diversion.graph import build_graph


def test_trade_edges_aggregate_shipments_with_evidence(case_engine):
    engine, case = case_engine
    row = engine.fetch_dicts("SELECT * FROM edges WHERE kind = 'trade' AND source = ? AND target = ?",
                             [case.broker, case.importer])[0]
    assert row["count"] == 8 and row["value_usd"] == 20_000_000
    assert str(row["first_date"]) == "2023-01-05" and str(row["last_date"]) == "2023-08-05"
    evidence = json.loads(row["evidence"])
    assert evidence["shipment_ids"][0] == "s-brk-0" and evidence["brands"] == ["Hokuto"]
    assert evidence["hs_codes"] == ["84581100"]


def test_every_edge_kind_is_built(case_on_each_engine):
    engine, case = case_on_each_engine
    kinds = {k for (k,) in engine.fetch_all("SELECT DISTINCT kind FROM edges")}
    assert kinds == {"trade", "ownership", "link", "sanction", "website", "supplies", "brand", "country",
                     "commissioning"}
    share = engine.scalar("SELECT share FROM edges WHERE kind = 'ownership' AND source = ?", [case.owner])
    assert share == pytest.approx(0.3)
    supplies = {t for (t,) in engine.fetch_all("SELECT target FROM edges WHERE kind = 'supplies'")}
    assert supplies == {case.official, case.distributor_us}


def test_edge_ids_are_unique(case_on_each_engine):
    # No key enforces it (an index on 11.7M edge ids cost 44 s at 10M rows): every kind groups by its ends.
    engine, _ = case_on_each_engine
    engine.execute("UPDATE entities SET countries = list_concat(countries, countries)")  # a country named twice
    build_graph(engine, Settings())
    assert engine.scalar("SELECT count(*) FROM edges") == engine.scalar("SELECT count(DISTINCT edge_id) FROM edges")
    assert engine.scalar("SELECT count(*) FROM edges WHERE kind = 'country'") > 10


def test_nodes_cover_entities_brands_domains_countries(case_engine):
    engine, case = case_engine
    kinds = dict(engine.fetch_all("SELECT kind, count(*) FROM nodes GROUP BY kind"))
    assert kinds["entity"] == 12 and kinds["brand"] == 1 and kinds["domain"] == 4
    assert engine.scalar("SELECT sanctioned FROM nodes WHERE node_id = ?", [case.importer]) is True
    assert engine.scalar("SELECT label FROM nodes WHERE node_id = 'country:JP'") == "Japan"


def test_rebuild_is_idempotent(case_on_each_engine):
    engine, _ = case_on_each_engine
    before = engine.fetch_all("SELECT * FROM edges ORDER BY edge_id")
    build_graph(engine, Settings())
    assert engine.fetch_all("SELECT * FROM edges ORDER BY edge_id") == before


def test_graph_needs_resolution_first(engine):
    engine.execute("INSERT INTO distributors VALUES ('B', 'D', 'US', NULL, 's', 1, 'h')")
    engine.execute("INSERT INTO registry_entities (entity_id, schema, name, source_id, line, record_hash) "
                   "VALUES ('r1', 'Company', 'X', 's', 1, 'h')")
    with pytest.raises(WarehouseError, match="diversion resolve"):
        build_graph(engine, Settings())
