"""Trade and brand edges carried over: a build after an update makes again only the edges its changes touch,
and writes the network a full build writes."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.config import Settings
from diversion.engine import DuckDBEngine, Engine
from diversion.graph import build_graph
from diversion.graph.carry import TABLE
from diversion.resolve import resolve
from diversion.resolve.decisions import record_decision
from diversion.resolve.synthetic import synthetic_shipments
from tests.detect.minicase import build_minicase

S = Settings()


def _network(engine: Engine) -> tuple[list[tuple], list[tuple]]:
    """Nodes and edges, sorted, amounts to 9 digits and evidence read as JSON (a sum's last bits depend on
    the order an engine adds in, in a full build as much as in a carrying one)."""
    nodes = engine.fetch_all("SELECT * FROM nodes ORDER BY node_id")
    edges = []
    for row in engine.fetch_all("SELECT * FROM edges ORDER BY edge_id"):
        edge = list(row)
        edge[4] = None if edge[4] is None else round(edge[4], 9)
        edge[9] = None if edge[9] is None else json.loads(edge[9])
        edges.append(tuple(edge))
    return nodes, edges


def _full(engine: Engine) -> tuple[list[tuple], list[tuple]]:
    """The network a build that carries nothing writes on the warehouse as it is now."""
    build_graph(engine, S)
    return _network(engine)


def _carried_kinds(engine: Engine) -> int:
    return int(engine.scalar("SELECT count(*) FROM edges WHERE kind IN ('trade', 'brand')"))


def _ship(engine: Engine, record_id: str, copy_of: str, source_id: str, **changes: str) -> None:
    """A shipment like ``copy_of`` (its parties' entities too), from ``source_id``."""
    engine.execute(f"INSERT INTO shipments SELECT * REPLACE (? AS record_id, ? AS source_id, DATE '2023-11-20' AS date"
                   f"{''.join(f', ? AS {c}' for c in changes)}) FROM shipments WHERE record_id = ?",
                   [record_id, source_id, *changes.values(), copy_of])
    engine.execute("INSERT INTO shipment_entities SELECT * REPLACE (? AS record_id) FROM shipment_entities "
                   "WHERE record_id = ?", [record_id, copy_of])


def test_an_unchanged_warehouse_keeps_every_trade_and_brand_edge(case_engine) -> None:
    engine, _ = case_engine
    before = _network(engine)
    summary = build_graph(engine, S, carry=True)
    assert _network(engine) == before
    assert summary.carried == _carried_kinds(engine) > 0


def test_a_new_source_makes_again_only_the_pairs_it_ships_between(case_engine) -> None:
    engine, case = case_engine
    build_graph(engine, S)
    total = _carried_kinds(engine)
    brands = int(engine.scalar("SELECT count(*) FROM edges WHERE kind = 'brand' AND target = ?", [case.broker]))
    # A new month: the broker ships again to the importer (a known pair), and to the front (a new one).
    _ship(engine, "s-new-1", "s-brk-7", "next-month")
    _ship(engine, "s-new-2", "s-brk-7", "next-month", brand="Okuma")
    engine.execute("UPDATE shipment_entities SET importer_entity_id = ? WHERE record_id = 's-new-2'", [case.front])
    summary = build_graph(engine, S, carry=True)
    carried = _network(engine)
    assert carried == _full(engine)
    pair = engine.fetch_all("SELECT count FROM edges WHERE kind = 'trade' AND source = ? AND target = ?",
                            [case.broker, case.importer])
    assert pair and pair[0][0] > 1  # the known pair's edge counts the new shipment with the old ones
    # Made again: the known pair's trade edge and the broker's brand edges; every other one kept.
    assert brands and summary.carried == total - 1 - brands


def test_entities_regrouped_by_resolve_lose_their_old_edges(case_engine) -> None:
    engine, case = case_engine
    build_graph(engine, S)
    # Resolve merged the broker into the importer's entity: the broker's id is gone.
    for role in ("exporter", "importer"):
        engine.execute(f"UPDATE shipment_entities SET {role}_entity_id = ? WHERE {role}_entity_id = ?",
                       [case.front, case.broker])
    summary = build_graph(engine, S, carry=True)
    assert not engine.fetch_all("SELECT * FROM edges WHERE kind IN ('trade', 'brand') AND ? IN (source, target)",
                                [case.broker])
    assert 0 < summary.carried < _carried_kinds(engine)
    assert _network(engine) == _full(engine)


@pytest.mark.parametrize("change", [
    "UPDATE shipments SET value_usd = value_usd * 2 WHERE record_id = 's-brk-7'",  # rates arrived
    "DELETE FROM shipments WHERE record_id = 's-brk-7'",
    "UPDATE graph_basis SET token = 'an older version'",
    "DELETE FROM graph_basis WHERE kind = 'build'",
])
def test_an_old_source_changed_or_another_code_makes_every_edge_again(case_engine, change: str) -> None:
    engine, _ = case_engine
    engine.execute(change)
    summary = build_graph(engine, S, carry=True)
    assert summary.carried == 0
    assert _network(engine) == _full(engine)


def test_a_full_build_records_what_the_next_one_carries_from(case_engine) -> None:
    engine, _ = case_engine
    engine.execute(f"DELETE FROM {TABLE}")
    assert build_graph(engine, S, carry=True).carried == 0  # nothing recorded: everything made
    assert build_graph(engine, S, carry=True).carried == _carried_kinds(engine)


def test_a_carried_build_records_the_basis_a_full_build_records(case_engine) -> None:
    engine, _ = case_engine
    build_graph(engine, S)
    _ship(engine, "s-new-1", "s-brk-7", "next-month")
    assert build_graph(engine, S, carry=True).carried  # its sources' digests are those it compared
    carried = engine.fetch_all(f"SELECT * FROM {TABLE} ORDER BY ALL")
    build_graph(engine, S)
    assert carried == engine.fetch_all(f"SELECT * FROM {TABLE} ORDER BY ALL")
    assert any(row[1:3] == ("source", "next-month") for row in carried)


def test_carrying_on_each_engine_writes_what_a_full_build_writes(case_on_each_engine) -> None:
    """Spark (no cheap row deletes) records nothing and builds in full when asked to carry."""
    engine, _ = case_on_each_engine
    before = _network(engine)
    summary = build_graph(engine, S, carry=True)
    assert _network(engine) == before
    assert (summary.carried > 0) == engine.cheap_row_deletes


def test_an_update_resolved_incrementally_carries_and_matches_a_full_build() -> None:
    """The real sequence: a month resolved and built; the next month ingested, resolved incrementally (one
    analyst decision regrouping two entities), built carrying over; then built in full on the same tables."""
    table, _ = synthetic_shipments(150, 4, seed=5)
    first, second = table.slice(0, table.num_rows - 40), table.slice(table.num_rows - 40)
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("shipments", first)
    resolve(engine, S)
    build_graph(engine, S)
    engine.insert_arrow("shipments", second.set_column(
        second.schema.get_field_index("source_id"), "source_id", pa.array(["month-2"] * second.num_rows)))
    a, b = (r[0] for r in engine.fetch_all(
        "SELECT em.mention_id FROM entity_mentions em JOIN mentions m USING (mention_id) "
        "WHERE m.role = 'importer' ORDER BY em.entity_id LIMIT 2"))
    record_decision(engine, a, b, "same", "test", "one company")
    resolve(engine, S, incremental=True)
    summary = build_graph(engine, S, carry=True)
    carried = _network(engine)
    assert 0 < summary.carried < _carried_kinds(engine)
    assert carried == _full(engine)
    assert engine.scalar("SELECT count(*) FROM shipments WHERE date > ?", [date(1900, 1, 1)]) == table.num_rows


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_updates_carried_over_give_what_a_full_build_gives(data: st.DataObject) -> None:
    """Two rounds of random changes on the mini case: new sources' shipments between any two entities (of
    any brand), and old shipments moved to other entities (resolve regrouping them), each round built
    carrying over; the network is then the one a full build writes."""
    engine = DuckDBEngine(":memory:")
    build_minicase(engine)
    build_graph(engine, S)
    entities = [r[0] for r in engine.fetch_all("SELECT entity_id FROM entities ORDER BY entity_id")]
    old = [r[0] for r in engine.fetch_all("SELECT record_id FROM shipments ORDER BY record_id")]
    for round_ in range(2):
        for k in range(data.draw(st.integers(0, 5), label="new shipments")):
            record = f"s-round{round_}-{k}"
            _ship(engine, record, data.draw(st.sampled_from(old)), f"source-{round_}",
                  brand=data.draw(st.sampled_from(["Hokuto", "Okuma", "TSUGAMI CORP.", " "])))
            engine.execute("UPDATE shipment_entities SET exporter_entity_id = ?, importer_entity_id = ? "
                           "WHERE record_id = ?", [data.draw(st.sampled_from(entities)),
                                                   data.draw(st.sampled_from(entities)), record])
        for _ in range(data.draw(st.integers(0, 3), label="moved shipments")):
            role = data.draw(st.sampled_from(["exporter", "importer"]))
            engine.execute(f"UPDATE shipment_entities SET {role}_entity_id = ? WHERE record_id = ?",
                           [data.draw(st.sampled_from([*entities, "e-new-group"])), data.draw(st.sampled_from(old))])
        build_graph(engine, S, carry=True)  # the second round carries from what the first one recorded
    carried, basis = _network(engine), engine.fetch_all(f"SELECT * FROM {TABLE} ORDER BY ALL")
    assert carried == _full(engine)
    assert basis == engine.fetch_all(f"SELECT * FROM {TABLE} ORDER BY ALL")  # what the next update compares
