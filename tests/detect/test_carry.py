"""Findings carried over: entities whose rows did not change keep the last run's findings, the rest are made again."""

from __future__ import annotations

import dataclasses
import json

from diversion.config import Settings
from diversion.detect import detect_counts, priority_goods, run_detection, write_findings
from diversion.detect.carry import TABLE, row_digest_sql
from diversion.engine import Engine
from diversion.engine.schema import STAGE_KEYS
from diversion.graph import build_graph

S = Settings()
#: The detectors that stream with ``carry=`` (findings made from an entity's rows and its label alone).
CARRIED = ("sanctions_proximity", "priority_goods", "brand_diversion")


def _findings(engine: Engine) -> list[tuple]:
    return engine.fetch_all("SELECT * FROM findings ORDER BY finding_id")


def _entities(engine: Engine, detector: str) -> set[str]:
    return {r[0] for r in engine.fetch_all("SELECT entity_id FROM findings WHERE detector = ?", [detector])}


def _full(engine: Engine, settings: Settings = S) -> list[tuple]:
    """The findings a run that carries nothing writes on the warehouse as it is now."""
    detect_counts(engine, settings)
    return _findings(engine)


def test_an_unchanged_warehouse_keeps_every_carried_finding(case_engine) -> None:
    engine, _ = case_engine
    before = _full(engine)
    carried: dict[str, int] = {}
    counts = detect_counts(engine, S, carry=True, carried=carried)
    assert _findings(engine) == before
    assert carried == {name: counts[name] for name in CARRIED}
    assert all(carried.values())


def test_entities_whose_rows_or_name_changed_are_made_again_and_the_rest_kept(case_engine) -> None:
    engine, case = case_engine
    detect_counts(engine, S)
    # A new shipment of the broker's to the importer, and the front renamed: three entities change.
    engine.execute("INSERT INTO shipments SELECT * REPLACE ('s-brk-new' AS record_id, DATE '2023-10-05' AS date) "
                   "FROM shipments WHERE record_id = 's-brk-7'")
    engine.execute("INSERT INTO shipment_entities SELECT * REPLACE ('s-brk-new' AS record_id) "
                   "FROM shipment_entities WHERE record_id = 's-brk-7'")
    engine.execute("UPDATE entities SET canonical_name = 'Pearl River Technology Co Ltd' WHERE entity_id = ?",
                   [case.front])
    build_graph(engine, S)
    changed = {case.broker, case.importer, case.front}
    carried: dict[str, int] = {}
    detect_counts(engine, S, carry=True, carried=carried)
    updated = _findings(engine)
    assert updated == _full(engine)  # what a run making every finding again writes
    for name in ("priority_goods", "brand_diversion"):  # one row per entity: only the changed ones are made again
        assert changed & _entities(engine, name), name  # the case has findings of these entities to make again
        assert carried[name] == len(_entities(engine, name) - changed), name
    assert carried["priority_goods"] > 0
    renamed = engine.fetch_all("SELECT summary FROM findings WHERE entity_id = ? AND detector = 'priority_goods'",
                               [case.front])
    assert "Pearl River Technology" in renamed[0][0]


def _proximity_paths(engine: Engine) -> dict[str, list[dict]]:
    rows = engine.fetch_all("SELECT entity_id, evidence FROM findings WHERE detector = 'sanctions_proximity'")
    return {e: json.loads(evidence)["path"] for e, evidence in rows}


def _a_trade_step(paths: dict[str, list[dict]]) -> tuple[dict, set[str]]:
    """The first step of a two-hop chain (a trade step with shipments), and the entities whose chain takes it."""
    step = next(path[1] for path in paths.values() if len(path) > 1)
    assert step["kind"] == "trade" and step["shipments"]
    through = {e for e, path in paths.items() if any((c["from"], c["to"]) == (step["from"], step["to"]) for c in path)}
    assert 1 < len(through) < len(paths)
    return step, through


def _two_hops(engine: Engine) -> dict[str, list[dict]]:
    """The mini case's proximity chains are one hop long: a shipment of the front's (reached by trade from the
    listed importer) to a Kazakh party, after the listing, makes a second hop. The paths after a full run."""
    detect_counts(engine, S)
    front = _proximity_paths(engine)["e-front"][0]
    engine.execute("INSERT INTO shipments SELECT * REPLACE ('s-kaz-hop' AS record_id) FROM shipments "
                   "WHERE record_id = ?", [front["shipment_ids"][0]])
    engine.execute("INSERT INTO shipment_entities SELECT * REPLACE ('s-kaz-hop' AS record_id, "
                   "'e-front' AS exporter_entity_id, 'e-kaz' AS importer_entity_id) FROM shipment_entities "
                   "WHERE record_id = ?", [front["shipment_ids"][0]])
    build_graph(engine, S)
    detect_counts(engine, S)
    paths = _proximity_paths(engine)
    assert [(c["from"], c["to"]) for c in paths["e-kaz"]] == [("e-kaz", "e-front"), ("e-front", front["to"])]
    return paths


def test_a_renamed_party_on_the_way_to_a_sanctioned_one_makes_every_chain_through_it_again(case_engine) -> None:
    """A proximity finding names every entity on its chain: renaming one on the way (not the sanctioned end)
    makes again exactly the findings whose chain holds it, and keeps the others."""
    engine, _ = case_engine
    paths = _two_hops(engine)
    through = {e for e, path in paths.items() if any("e-front" in (c["from"], c["to"]) for c in path)}
    assert through == {"e-front", "e-kaz"}
    engine.execute("UPDATE entities SET canonical_name = 'Renamed Machinery Holding' WHERE entity_id = 'e-front'")
    build_graph(engine, S)
    carried: dict[str, int] = {}
    detect_counts(engine, S, carry=True, carried=carried)
    assert _findings(engine) == _full(engine)
    after = _proximity_paths(engine)
    assert carried["sanctions_proximity"] == len(after) - len(through)
    assert {e for e, path in after.items() if any("Renamed Machinery Holding" in (c["from_name"], c["to_name"])
                                                  for c in path)} == through


def test_new_trade_on_a_step_makes_again_the_chains_that_take_it(case_engine) -> None:
    """A shipment after the listing on one trade step changes what every chain through that step quotes."""
    engine, _ = case_engine
    step, through = _a_trade_step(_two_hops(engine))
    copied = step["shipment_ids"][0]
    engine.execute("INSERT INTO shipments SELECT * REPLACE ('s-step-new' AS record_id) FROM shipments "
                   "WHERE record_id = ?", [copied])
    engine.execute("INSERT INTO shipment_entities SELECT * REPLACE ('s-step-new' AS record_id) "
                   "FROM shipment_entities WHERE record_id = ?", [copied])
    build_graph(engine, S)
    carried: dict[str, int] = {}
    detect_counts(engine, S, carry=True, carried=carried)
    after = _proximity_paths(engine)
    assert _findings(engine) == _full(engine)
    assert carried["sanctions_proximity"] == len(after) - len(through)
    for e in through:
        assert [c["shipments"] for c in after[e] if c["from"] == step["from"]] == [step["shipments"] + 1], e


def test_a_corrected_value_on_a_trade_step_makes_again_the_chains_that_take_it(case_engine) -> None:
    """One shipment's amount corrected (the same shipments, another value) changes every chain through its step."""
    engine, _ = case_engine
    paths = _two_hops(engine)
    step, through = _a_trade_step(paths)
    engine.execute("UPDATE shipments SET value = value * 3, value_usd = value_usd * 3 WHERE record_id = ?",
                   [step["shipment_ids"][0]])
    build_graph(engine, S)
    carried: dict[str, int] = {}
    detect_counts(engine, S, carry=True, carried=carried)
    assert _findings(engine) == _full(engine)
    assert carried["sanctions_proximity"] == len(paths) - len(through)
    for e, path in _proximity_paths(engine).items():
        quoted = [c for c in path if (c["from"], c["to"]) == (step["from"], step["to"])]
        assert bool(quoted) == (e in through) and all(c["value_usd"] > step["value_usd"] for c in quoted), e


def test_runs_that_carry_write_each_key_once(case_engine) -> None:
    """The stage tables' keys are declared, not indexed (``STAGE_KEYS``): runs that keep most rows and make a
    few again, twice over, leave one row per key."""
    engine, case = case_engine
    detect_counts(engine, S)
    for k in range(2):
        engine.execute(f"INSERT INTO shipments SELECT * REPLACE ('s-brk-new{k}' AS record_id) FROM shipments "
                       "WHERE record_id = 's-brk-7'")
        engine.execute(f"INSERT INTO shipment_entities SELECT * REPLACE ('s-brk-new{k}' AS record_id) "
                       "FROM shipment_entities WHERE record_id = 's-brk-7'")
        build_graph(engine, S, carry=True)
        carried: dict[str, int] = {}
        detect_counts(engine, S, carry=True, carried=carried)
        assert carried["priority_goods"] > 0
    for table, key in STAGE_KEYS.items():
        total, distinct = engine.fetch_all(f"SELECT count(*), count(DISTINCT {key}) FROM {table}")[0]
        assert total == distinct > 0, table


def _digests(engine: Engine) -> list[tuple]:
    return engine.fetch_all(f"SELECT * FROM {TABLE} ORDER BY ALL")


def test_a_run_that_carries_leaves_the_digests_a_full_run_writes(case_engine) -> None:
    """A carrying run writes only the digests that changed (the kept entities' stay as stored): the table is
    the one a run making every finding leaves, after a change and after another setting (another token)."""
    engine, case = case_engine
    detect_counts(engine, S)
    engine.execute("INSERT INTO shipments SELECT * REPLACE ('s-brk-new' AS record_id) FROM shipments "
                   "WHERE record_id = 's-brk-7'")
    engine.execute("INSERT INTO shipment_entities SELECT * REPLACE ('s-brk-new' AS record_id) "
                   "FROM shipment_entities WHERE record_id = 's-brk-7'")
    engine.execute("DELETE FROM shipment_entities WHERE exporter_entity_id = 'e-shl'")
    engine.execute("UPDATE entities SET canonical_name = 'Pearl River Technology Co Ltd' WHERE entity_id = ?",
                   [case.front])
    build_graph(engine, S)
    other = dataclasses.replace(S, detect=dataclasses.replace(
        S.detect, priority_tier_scores={**S.detect.priority_tier_scores, "Tier 1": 0.9}))
    for settings in (S, other):
        carried: dict[str, int] = {}
        detect_counts(engine, settings, carry=True, carried=carried)
        kept = _digests(engine)
        assert len(kept) == len({(d, e) for d, _, e, _ in kept})  # one digest per detector and entity
        detect_counts(engine, settings)
        assert kept == _digests(engine), settings.detect.priority_tier_scores
    assert carried == dict.fromkeys(CARRIED, 0)  # the other token: nothing kept, every digest replaced


def test_entities_whose_rows_are_gone_lose_their_findings(case_engine) -> None:
    engine, _ = case_engine
    detect_counts(engine, S)
    engine.execute("DELETE FROM shipment_entities WHERE exporter_entity_id = 'e-shl'")
    build_graph(engine, S)
    detect_counts(engine, S, carry=True)
    assert "e-shl" not in _entities(engine, "priority_goods")
    assert _findings(engine) == _full(engine)


def test_another_setting_carries_nothing(case_engine) -> None:
    engine, _ = case_engine
    detect_counts(engine, S)
    other = dataclasses.replace(S, detect=dataclasses.replace(
        S.detect, priority_tier_scores={**S.detect.priority_tier_scores, "Tier 1": 0.9}))
    carried: dict[str, int] = {}
    detect_counts(engine, other, carry=True, carried=carried)
    assert carried == dict.fromkeys(CARRIED, 0)
    assert _findings(engine) == _full(engine, other)


def test_detect_only_leaves_no_digests_to_carry(case_engine) -> None:
    """``detect --only`` rewrites the findings table: no digest of an older run survives it."""
    engine, _ = case_engine
    detect_counts(engine, S)
    detect_counts(engine, S, only=["sanctioned"])
    assert not engine.scalar(f"SELECT count(*) FROM {TABLE}")
    carried: dict[str, int] = {}
    detect_counts(engine, S, carry=True, carried=carried)
    assert carried == dict.fromkeys(CARRIED, 0)
    assert _findings(engine) == _full(engine)


def test_run_detection_writes_digests_with_its_findings_and_write_findings_drops_them(case_engine) -> None:
    engine, _ = case_engine
    findings = run_detection(engine, S)
    carried: dict[str, int] = {}
    detect_counts(engine, S, carry=True, carried=carried)
    assert carried == {name: sum(f.detector == name for f in findings) for name in CARRIED}
    write_findings(engine, findings)
    assert not engine.scalar(f"SELECT count(*) FROM {TABLE}")


def test_running_one_detector_alone_records_no_digest(case_engine) -> None:
    engine, _ = case_engine
    assert priority_goods.detect(engine, S)
    assert not engine.scalar(f"SELECT count(*) FROM {TABLE}")


def test_carrying_on_each_engine_writes_what_a_full_run_writes(case_on_each_engine) -> None:
    """Spark (no cheap row deletes) keeps no digests: asked to carry, it makes every finding again."""
    engine, _ = case_on_each_engine
    before = _full(engine)
    detect_counts(engine, S, carry=True)
    assert _findings(engine) == before


def test_the_row_digest_ignores_the_last_bits_of_a_sum_but_not_a_changed_amount(engine: Engine) -> None:
    engine.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 0.1 + 0.2, [1, 2], 'x'), ('a', 0.3, [1, 2], 'x'), "
                   "('a', 0.300001, [1, 2], 'x'), ('a', 0.3, [1, 3], 'x')) v(entity_id, amount, ids, label)")
    types = [(str(r[0]), str(r[1])) for r in engine.fetch_all("DESCRIBE t")]
    digests = [r[0] for r in engine.fetch_all(f"SELECT {row_digest_sql(types)} FROM t")]
    assert 0.1 + 0.2 != 0.3
    assert digests[0] == digests[1]
    assert len({digests[1], digests[2], digests[3]}) == 3


def test_an_entity_whose_equal_rows_change_together_is_made_again(engine: Engine) -> None:
    """Two equal rows of one entity changed into two other equal rows: a digest that cancelled them out
    (xor) would keep the old findings."""
    from diversion.detect.carry import carried_rows

    def digest(value: str) -> int:
        sql = f"SELECT 'e1' AS entity_id, '{value}' AS brand FROM range(2)"
        carried_rows(engine, "brand_diversion", sql, [], "t", carry=False)
        return engine.scalar(f"SELECT digest FROM {TABLE} WHERE entity_id = 'e1'")

    assert digest("Hokuto") != digest("Tsugami")
