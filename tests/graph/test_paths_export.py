import io
import json

import networkx as nx
import pytest
from followthemoney import model

from diversion.errors import DiversionError
from diversion.graph import export_network, find_node, shortest_chains


def test_path_from_brand_to_end_user_runs_through_the_intermediaries(case_engine):
    engine, case = case_engine
    result = shortest_chains(engine, "Hokuto", "Zenit")
    assert result.start.node_id == "brand:hokuto" and result.end.node_id == case.end_user
    middles = [chain.hops[0].target for chain in result.chains[:2]]
    assert set(middles) == {case.broker, case.front}
    first = result.chains[0]
    assert [h.target for h in first.hops] == [case.broker, case.importer, case.end_user]
    trade = next(e for e in first.hops[1].edges if e["kind"] == "trade")
    assert trade["evidence"]["shipment_ids"][0] == "s-brk-0"
    assert first.hops[2].edges[0]["kind"] == "link"


def test_find_node_accepts_ids_typos_and_brands(case_engine):
    engine, case = case_engine
    assert find_node(engine, case.front).node_id == case.front
    assert find_node(engine, "Pearl Rivr Tech").node_id == case.front
    assert find_node(engine, "hokuto").kind == "brand"
    with pytest.raises(DiversionError, match="no entity or brand"):
        find_node(engine, "Completely Unknown Holdings")


def test_ftm_export_is_valid_followthemoney(case_engine):
    engine, case = case_engine
    out = io.StringIO()
    n = export_network(engine, "ftm", out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert n == len(lines) > 0
    schemata = {e["schema"] for e in lines}
    assert {"Company", "Person", "EconomicActivity", "Ownership", "UnknownLink", "Sanction"} <= schemata
    for entity in lines:
        proxy = model.get_proxy(entity)  # raises on unknown schema or property
        assert proxy.id
    ship = next(e for e in lines if e["schema"] == "EconomicActivity" and "s-brk-0" in e["properties"]["recordId"])
    assert ship["properties"]["sender"] == [case.broker] and ship["properties"]["vedCode"] == ["84581100"]
    assert ship["properties"]["originCountry"] == ["jp"] and ship["properties"]["departureCountry"] == ["cn"]


def test_graphml_export_round_trips(case_engine, tmp_path):
    engine, case = case_engine
    out = io.StringIO()
    export_network(engine, "graphml", out)
    path = tmp_path / "g.graphml"
    path.write_text(out.getvalue())
    graph = nx.read_graphml(path)
    assert graph.nodes[case.importer]["label"] == "Volga Precision LLC"
    assert graph.has_edge(case.broker, case.importer)


def test_unknown_export_format_is_an_error(case_engine):
    engine, _ = case_engine
    with pytest.raises(DiversionError, match="ftm or graphml"):
        export_network(engine, "xml", io.StringIO())
