"""Each detector on the mini case: the planted parties are flagged, the ordinary ones are not."""

import json
from dataclasses import replace
from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diversion.config import Settings
from diversion.detect import (
    DETECTORS,
    FLAGS,
    brand_diversion,
    detect_counts,
    hosting_mismatch,
    impersonation,
    intermediary_surge,
    method_text,
    military_end_user,
    priority_goods,
    run_detection,
    sanctioned,
    sanctions_proximity,
    transshipment,
)
from diversion.detect.context import DetectContext
from diversion.detect.finding import RECORD_ID_KEYS, Finding
from diversion.leads import evidence_ids

S = Settings()


def by_entity(findings):
    return {f.entity_id: f for f in findings}


def test_registry_has_one_detector_per_flag_with_method_text():
    assert tuple(DETECTORS) == FLAGS
    for name in FLAGS:
        assert len(method_text(name)) > 80


def test_finding_rejects_unknown_flags_and_clips_scores():
    with pytest.raises(ValueError, match="unknown detector"):
        Finding("bogus", "e", 0.5, "x")
    assert Finding("sanctioned", "e", 1.7, "x").score == 1.0


def test_evidence_rounds_sums_the_same_whatever_order_they_were_added_in():
    """Ten significant digits, through twelve: a tie at ten digits no longer rounds by the sum's last bits."""
    import numpy as np

    amounts = [0.1 * i + 1234.56789 for i in range(1, 60)]
    forward, backward = sum(amounts), sum(reversed(amounts))
    tie_low, tie_high = 100272.68974999999, 100272.68975000001  # one exact tie, summed two ways
    for a, b in ((forward, backward), (tie_low, tie_high)):
        one = Finding("priority_goods", "e", 0.5, "x", {"value": a, "more": [{"v": b}]}).evidence_json()
        two = Finding("priority_goods", "e", 0.5, "x", {"value": b, "more": [{"v": a}]}).evidence_json()
        assert one == two
    found = Finding("priority_goods", "e", 0.5, "x", {"v": [np.float64(1 / 3), (2.0, "s"), True, None]})
    assert found.evidence_json() == '{"v":[0.3333333333,[2.0,"s"],true,null]}'


def test_finding_rejects_record_ids_that_are_not_lists_of_text():
    with pytest.raises(TypeError, match="shipment_ids"):
        Finding("priority_goods", "e", 0.5, "x", {"shipment_ids": "s-1"})
    with pytest.raises(TypeError, match="edge_ids"):
        Finding("sanctions_proximity", "e", 0.5, "x", {"edge_ids": [17]})
    found = Finding("sanctions_proximity", "e", 0.5, "x", {"edge_ids": ["e-1", None, ""], "path": [{"x": 1}]})
    assert found.records == {"edge_ids": ["e-1"]}


def _named_records(value, out):
    """Ids a detector's detail names (``edge_id``, ``sanction_entity_id``, ``domain``, owners' ``entity_id``)."""
    if isinstance(value, dict):
        for key in ("edge_id", "sanction_entity_id", "domain", "copied_domain"):
            if isinstance(value.get(key), str) and value[key]:
                out.add(value[key])
        for v in value.values():
            _named_records(v, out)
    elif isinstance(value, list):
        for v in value:
            _named_records(v, out)
    return out


def test_every_detector_declares_the_records_it_names_under_the_record_id_keys(case_engine):
    """Readers take ids from ``RECORD_ID_KEYS`` only: a record named in the detail must be declared there too."""
    engine, case = case_engine
    findings = run_detection(engine, S)
    assert {f.detector for f in findings} >= {"sanctioned", "sanctions_proximity", "impersonation",
                                               "hosting_mismatch", "military_end_user", "brand_diversion"}
    for f in findings:
        declared = {i for key in RECORD_ID_KEYS for i in f.records.get(key, [])}
        detail = {k: v for k, v in f.evidence.items() if k not in RECORD_ID_KEYS and k != "facts"}
        assert _named_records(detail, set()) <= declared, (f.detector, f.summary)
        assert set(evidence_ids(f, limit=100)) <= declared
    owners = next(f for f in findings if f.evidence.get("rule") == "ofac_50")
    assert set(owners.records["entity_ids"]) == {o["entity_id"] for o in owners.evidence["owners"]}


def test_sanctioned_lists_and_applies_the_ofac_50_rule(case_engine):
    engine, case = case_engine
    found = by_entity(sanctioned.detect(engine, S))
    assert set(found) == {case.importer, case.owner, case.co_owner, case.broker, case.end_user}
    blocked = found[case.broker]
    assert blocked.evidence["rule"] == "ofac_50" and blocked.evidence["share"] == pytest.approx(0.55)
    assert {o["entity_id"] for o in blocked.evidence["owners"]} == {case.owner, case.co_owner}
    # Raise the bar above the aggregate share: the broker is no longer blocked.
    strict = replace(S, detect=replace(S.detect, ofac_ownership_share=0.6))
    assert case.broker not in by_entity(sanctioned.detect(engine, strict))


def test_blocked_by_ownership_follows_chains_and_ignores_unknown_shares():
    links = [("a", "x", 0.6), ("x", "y", 0.5), ("y", "z", None), ("b", "w", 0.49)]
    blocked = sanctioned.blocked_by_ownership(links, {"a", "b"}, 0.5)
    assert set(blocked) == {"x", "y"}
    assert blocked["y"].owners == (("x", 0.5),)


def test_sanctions_proximity_decays_with_hops_and_value(case_engine):
    engine, case = case_engine
    found = by_entity(sanctions_proximity.detect(engine, S))
    # Sanctioned entities appear only when tied directly to another sanctioned one.
    assert "itself sanctioned" in found[case.importer].summary
    assert found[case.end_user].score == 1.0  # contract link to the listed importer
    assert found[case.end_user].evidence["hops"] == 1
    assert found[case.official].score < found[case.front].score  # smaller trade, smaller score
    assert "e-bav" not in found and "e-kaz" not in found
    one_hop = replace(S, detect=replace(S.detect, proximity_max_hops=1))
    assert all(f.evidence["hops"] == 1 for f in sanctions_proximity.detect(engine, one_hop))


def test_intermediary_surge_flags_both_new_intermediaries(case_engine):
    engine, case = case_engine
    found = by_entity(intermediary_surge.detect(engine, S))
    assert set(found) == {case.broker, case.front, case.importer}
    assert found[case.importer].evidence["role"] == "importer"
    assert set(found[case.importer].evidence["flow"]["new_counterparts"]) == {case.broker, case.front}
    flow = found[case.broker].evidence["flow"]
    assert flow["flow"] == "importer_brand" and flow["before_total"] == pytest.approx(480_000)
    assert flow["new_counterparts_share"] > 0.99
    assert found[case.broker].evidence["shipment_ids"][0] == "s-brk-0"
    # A later cut-off leaves no "before" for the importer: nothing surges.
    late = replace(S, detect=replace(S.detect, cutoff_date=S.detect.cutoff_date.replace(year=2021, month=1)))
    assert intermediary_surge.detect(engine, late) == []


def test_brand_diversion_spares_authorised_distributors(case_engine):
    engine, case = case_engine
    found = by_entity(brand_diversion.detect(engine, S))
    assert set(found) == {case.broker, case.front}
    assert found[case.front].evidence["third_country"] is True and found[case.front].score == pytest.approx(0.9)


def test_brand_diversion_names_ten_distributors_and_counts_them_all(case_on_each_engine):
    engine, case = case_on_each_engine
    # A brand sold through many dealers: each finding names ten of them, not the whole list (the count is SQL
    # each engine reads its own way: Spark once read ``len`` as a string's length).
    dealers = [f"Dealer {n:02d} GmbH" for n in range(1, 12)]
    engine.insert_arrow("distributors", pa.table({
        "brand": ["Hokuto"] * len(dealers), "distributor_name": dealers, "country": ["AT"] * len(dealers),
        "source_id": ["test"] * len(dealers), "line": pa.array(range(1, len(dealers) + 1), pa.int64()),
        "record_hash": [f"h-{d}" for d in dealers]}))
    found = by_entity(brand_diversion.detect(engine, S))
    evidence = found[case.front].evidence
    assert evidence["authorised_count"] == 13
    assert evidence["authorised"] == dealers[:10]  # in name order: the dealers sort before Hokuto and Lakeside
    assert evidence["facts"]["Authorised distributors"].endswith("Dealer 10 GmbH and 3 more")


def test_transshipment_weights_hubs(case_engine):
    engine, case = case_engine
    found = by_entity(transshipment.detect(engine, S))
    assert set(found) == {case.broker, case.front}
    assert "CN" in found[case.broker].evidence["hubs"]
    assert found[case.broker].score == 1.0


def test_transshipment_share_counts_every_shipment_to_the_destination(case_engine):
    """The share of an exporter's value that took a third country is of all its value to the destination."""
    engine, case = case_engine
    # A direct shipment of the broker's (its own country the origin, dispatch and seller) worth its eight routed ones.
    engine.execute("""INSERT INTO shipments SELECT * REPLACE ('s-brk-direct' AS record_id, 'AE' AS origin_country,
                          'AE' AS dispatch_country, 20000000.0 AS value, 20000000.0 AS value_usd)
                      FROM shipments WHERE record_id = 's-brk-0'""")
    engine.execute("INSERT INTO shipment_entities SELECT * REPLACE ('s-brk-direct' AS record_id) "
                   "FROM shipment_entities WHERE record_id = 's-brk-0'")
    found = by_entity(transshipment.detect(engine, S))[case.broker]
    assert found.evidence["share_of_value"] == 0.5
    assert found.evidence["shipments"] == 8 and "s-brk-direct" not in found.evidence["shipment_ids"]
    assert found.score == 0.75  # hub weight 1 × (0.5 + 0.5 × 0.5)


def test_impersonation_finds_the_copier_not_the_original(case_engine):
    engine, case = case_engine
    found = by_entity(impersonation.detect(engine, S))
    assert set(found) == {case.front}
    signals = {s["signal"] for s in found[case.front].evidence["signals"]}
    assert signals == {"near_copy", "branch_claim", "address"}
    assert found[case.front].score > 0.9


def test_shingles_and_jaccard_are_exact():
    a = impersonation.shingles("one two three four", 2)
    b = impersonation.shingles("one two three five", 2)
    assert impersonation.jaccard(a, b) == pytest.approx(2 / 4)
    assert impersonation.branch_claims("We are the official representative of Acme Tools GmbH.") == ["Acme Tools GmbH"]


def test_hosting_mismatch_only_for_sites_claiming_elsewhere(case_engine):
    engine, case = case_engine
    found = by_entity(hosting_mismatch.detect(engine, S))
    assert set(found) == {case.broker}  # the Russian company hosted in Russia is not flagged
    assert found[case.broker].score == 1.0


def test_priority_goods_scores_by_tier(case_engine):
    engine, case = case_engine
    found = by_entity(priority_goods.detect(engine, S))
    assert found[case.front].evidence["tier"] == "4.B" and found[case.front].score == pytest.approx(0.4)
    assert "e-bav" not in found and "e-kaz" not in found  # fasteners and plastics are not CHPL items


def test_military_end_user_ties(case_engine):
    engine, case = case_engine
    found = by_entity(military_end_user.detect(engine, S))
    assert found[case.end_user].score == 1.0
    assert found[case.importer].evidence["ties"][0]["tie"] == "linked"
    assert found[case.broker].evidence["ties"][0]["tie"] == "supplies_linked"
    assert "e-ural" not in found


def test_run_detection_writes_findings_idempotently(case_on_each_engine):
    engine, _ = case_on_each_engine
    first = run_detection(engine, S)
    rows = engine.fetch_all("SELECT * FROM findings ORDER BY finding_id")
    assert len(rows) == len({f.finding_id for f in first}) > 20
    run_detection(engine, S)
    assert engine.fetch_all("SELECT * FROM findings ORDER BY finding_id") == rows


def test_detect_counts_writes_what_run_detection_writes(case_on_each_engine):
    """The streaming write (one detector's findings held at a time) gives the same table, counted per detector."""
    engine, _ = case_on_each_engine
    findings = run_detection(engine, S)
    rows = engine.fetch_all("SELECT * FROM findings ORDER BY finding_id")
    engine.execute("DELETE FROM findings")
    counts = detect_counts(engine, S)
    assert engine.fetch_all("SELECT * FROM findings ORDER BY finding_id") == rows
    expected: dict[str, int] = {}
    for f in {f.finding_id: f for f in findings}.values():
        expected[f.detector] = expected.get(f.detector, 0) + 1
    assert {k: v for k, v in counts.items() if v} == expected
    assert detect_counts(engine, S, only=["sanctioned", "sanctioned"]) == {"sanctioned": expected["sanctioned"]}
    assert engine.scalar("SELECT count(DISTINCT detector) FROM findings") == 1


def test_detect_counts_writes_a_yielding_detector_in_chunks_and_keeps_the_last_of_a_repeat(
        case_on_each_engine, monkeypatch):
    """Findings a detector yields are written a chunk at a time; one repeated in a later chunk replaces the first."""
    import diversion.detect.run as run
    from diversion.detect.registry import Detector

    engine, _ = case_on_each_engine

    def find(ctx):
        for i, score in enumerate([0.1, 0.2, 0.3, 0.4]):
            yield Finding("priority_goods", f"e{i}", score, f"finding {i}", {"shipment_ids": [f"s{i}"]})
        yield Finding("priority_goods", "e0", 0.9, "finding 0", {"shipment_ids": ["s9"]})  # e0's again

    fake = Detector("priority_goods", find, weight=0.25, severity="supporting")
    monkeypatch.setattr(run, "detector", lambda name: fake)
    monkeypatch.setattr(run, "WRITE_CHUNK", 3)
    assert detect_counts(engine, S, only=["priority_goods"]) == {"priority_goods": 4}
    rows = engine.fetch_all("SELECT entity_id, score, evidence FROM findings ORDER BY entity_id")
    assert [(e, s) for e, s, _ in rows] == [("e0", 0.9), ("e1", 0.2), ("e2", 0.3), ("e3", 0.4)]
    assert '"s9"' in rows[0][2]
    expected = engine.fetch_all("SELECT * FROM findings ORDER BY finding_id")
    run_detection(engine, S, only=["priority_goods"])
    assert engine.fetch_all("SELECT * FROM findings ORDER BY finding_id") == expected


def test_detect_counts_in_small_chunks_writes_what_run_detection_writes(case_on_each_engine, monkeypatch):
    """The real detectors through chunks of two findings: the same table as holding them all."""
    import diversion.detect.run as run

    engine, _ = case_on_each_engine
    run_detection(engine, S)
    rows = engine.fetch_all("SELECT * FROM findings ORDER BY finding_id")
    monkeypatch.setattr(run, "WRITE_CHUNK", 2)
    detect_counts(engine, S)
    assert engine.fetch_all("SELECT * FROM findings ORDER BY finding_id") == rows


def test_stream_gives_the_rows_that_rows_gives(case_engine):
    """``DetectContext.stream`` (Arrow, by the batch) reads the same values as ``rows`` (DuckDB's own rows):
    lists, dates, doubles and counts of the detectors that stream."""
    from diversion.detect.context import DetectContext

    engine, _ = case_engine
    ctx = DetectContext(engine, S)
    for module in (priority_goods, brand_diversion):
        ctx.need(*module.DETECTOR.tables)
        params = [S.detect.destination_country]
        expected = ctx.rows(module._SQL, params)
        assert expected
        key = lambda r: (r["entity_id"], str(r.get("brand_key")))  # noqa: E731
        for batch in (1, 2, 10_000):
            assert sorted(ctx.stream(module._SQL, params, batch=batch), key=key) == sorted(expected, key=key)


def test_evidence_json_writes_what_orjson_cannot_and_dates_as_text():
    from datetime import date, datetime

    big = Finding("priority_goods", "e", 0.5, "x", {"n": 2**70, "d": date(2023, 5, 19)}).evidence_json()
    assert json.loads(big) == {"n": 2**70, "d": "2023-05-19"}
    when = Finding("priority_goods", "e", 0.5, "x", {"t": datetime(2023, 5, 19, 10, 0), 3: "k"}).evidence_json()
    assert when == '{"3":"k","t":"2023-05-19 10:00:00"}'


def test_finding_ids_are_the_json_text_of_their_keys_hashed():
    """The id is the SHA-1 of ``json.dumps([flag, entity, summary], ensure_ascii=False)``, written without
    json.dumps: ids stay what earlier versions gave, whatever the text holds."""
    import hashlib

    texts = ["plain", 'quotes " and \\ backslash', "ООО «АМГ» 深圳", "tab\tnew\nline\x01", "", "emoji 🚢 \u2028"]
    for summary in texts:
        for entity in ("e-1", summary):
            found = Finding("priority_goods", entity, 0.5, summary)
            key = json.dumps(["priority_goods", entity, summary], ensure_ascii=False)
            assert found.finding_id == f"priority_goods:{hashlib.sha1(key.encode()).hexdigest()[:16]}"


def test_evidence_keeps_dates_wherever_they_are():
    from datetime import date, datetime

    when = date(2023, 5, 19)
    found = Finding("priority_goods", "e", 0.5, "x", {"d": when, "ds": [when, "a"], "facts": {"First": when},
                                                     "deep": [[when, 1.23456789012345]], "t": datetime(2023, 5, 19, 1)})
    assert json.loads(found.evidence_json()) == {
        "d": "2023-05-19", "ds": ["2023-05-19", "a"], "facts": [["First", "2023-05-19"]],
        "deep": [["2023-05-19", 1.23456789]], "t": "2023-05-19 01:00:00"}


def test_stored_findings_are_the_findings_written():
    """``load_findings`` builds findings without checking them again: the same findings as checked ones."""
    from diversion.detect.run import _evidence

    made = [Finding("priority_goods", "e-1", 0.41234567, "x", {"shipment_ids": ["s-1", None], "v": 1.5}),
            Finding("sanctioned", "e-2", 1.0, "y", {"facts": {"a": 1}})]
    for f in made:
        stored = Finding.stored(f.detector, f.entity_id, f.score, f.summary, _evidence(f.evidence_json()))
        assert stored == Finding(f.detector, f.entity_id, f.score, f.summary, _evidence(f.evidence_json()))
        assert stored.finding_id == f.finding_id and stored.records == f.records


def test_stored_evidence_is_read_whoever_wrote_it():
    """orjson reads what this version writes; an older run's ``NaN`` (standard library JSON) still reads."""
    from diversion.detect.run import _evidence

    assert _evidence('{"a":[1,"x"],"b":null}') == {"a": [1, "x"], "b": None}
    old = _evidence('{"value": NaN, "ids": ["s1"]}')
    assert old["ids"] == ["s1"] and old["value"] != old["value"]


def _surge_flows_one_kind_at_a_time(engine, d):
    """The flows that grew and each counterpart's monthly dollars in them, each kind summed alone in Python."""
    brands = dict(engine.fetch_all("SELECT brand, brand_key FROM _brand_map"))
    rows = engine.fetch_all("""
        SELECT s.date, s.brand, s.hs_code, se.exporter_entity_id, se.importer_entity_id,
               coalesce(s.value_usd, CASE WHEN s.currency IS NULL OR upper(s.currency) = 'USD' THEN s.value END, 0)
        FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id
        WHERE s.importer_country = ? AND se.exporter_entity_id IS NOT NULL AND se.importer_entity_id IS NOT NULL""",
                            [d.destination_country])
    totals: dict[tuple[str, str], list[float]] = {}
    monthly: dict[tuple[str, str, str, date], float] = {}
    for day, brand, hs, exporter, importer, value in rows:
        brand_key = brands.get(brand.strip(" ")) if brand and brand.strip(" ") else None
        keys = {"importer_brand": f"{importer}|{brand_key}" if brand_key is not None else None,
                "importer": importer, "brand": brand_key, "hs4": hs[:4] if hs is not None else None}
        month = max(day.replace(day=1), d.cutoff_date) if day >= d.cutoff_date else day.replace(day=1)
        for kind, key in keys.items():
            if key is not None:
                totals.setdefault((kind, key), [0.0, 0.0])[day >= d.cutoff_date] += value
                monthly[(kind, key, exporter, month)] = monthly.get((kind, key, exporter, month), 0.0) + value
    grew = {flow for flow, (before, after) in totals.items() if before > 0
            and after - before >= d.surge_min_growth_value and after / before >= d.surge_min_growth_factor}
    return grew, {k: v for k, v in monthly.items() if k[:2] in grew}


def _surge_flows_found(engine, settings):
    ctx = DetectContext(engine, settings)
    ctx.need(*intermediary_surge.DETECTOR.tables)
    return {(r["flow"], r["flow_key"], r["counterpart"], r["month"]): r
            for r in intermediary_surge._candidate_flows(ctx, list(intermediary_surge.FLOW_KEYS))}


@pytest.mark.parametrize("growth", [(500_000.0, 10.0), (1.0, 1.0)])
def test_intermediary_surge_sums_each_kind_of_flow_as_its_own(case_on_each_engine, growth):
    # Every kind of flow is summed in one pass (grouping sets); the flows that grew, and each counterpart's
    # monthly value in them, must be what summing each kind alone gives. With the low thresholds nearly every
    # flow grows, so a shipment sits in grown flows of several kinds and some of other kinds that did not.
    engine, _ = case_on_each_engine
    d = replace(S.detect, surge_min_growth_value=growth[0], surge_min_growth_factor=growth[1])
    found = _surge_flows_found(engine, replace(S, detect=d))
    grew, expected = _surge_flows_one_kind_at_a_time(engine, d)
    assert grew
    assert set(found) == set(expected)
    assert all(found[k]["value"] == pytest.approx(v) and found[k]["value_rc"] is not None for k, v in expected.items())
    # At the low thresholds flows of every kind grow (the kinds' sums told apart); at the defaults, the case's.
    assert {kind for kind, _ in grew} >= (set(intermediary_surge.FLOW_KEYS) if growth == (1.0, 1.0)
                                          else {"importer_brand"})


_surge_shipment = st.tuples(
    st.sampled_from(["e-a", "e-b", "e-c", None]),  # exporter entity (None: not resolved)
    st.sampled_from(["e-x", "e-y"]),  # importer entity
    st.sampled_from(["Hokuto", "HOKUTO ", " hokuto", "Tsugami", "", "  ", None]),  # brand, spelled every way
    st.sampled_from(["845811", "845891", "8466", "84"]),  # HS code
    st.sampled_from(["RU", "RU", "KZ"]),  # importer country
    st.sampled_from([S.detect.cutoff_date, date(2022, 2, 1)]) | st.dates(date(2021, 10, 1), date(2022, 8, 31)),
    st.integers(1, 1_000_000),  # dollars
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_surge_shipment, min_size=1, max_size=30), st.sampled_from([(1.0, 1.0), (1.0, 2.0), (1000.0, 3.0)]))
def test_intermediary_surge_flows_are_each_kinds_own_sums_on_random_shipments(shipments, growth):
    # Random declarations, not the case: brands spelled alike (one brand key), blank and missing brands,
    # unresolved exporters, other destinations, dates on both sides of the cut-off and on it.
    from diversion.engine import DuckDBEngine

    engine = DuckDBEngine(":memory:")
    rows = [{"record_id": f"r{i}", "date": day, "hs_code": hs, "brand": brand, "exporter_name": "x",
             "importer_name": "y", "importer_country": country, "value": float(value), "currency": "USD",
             "source_id": "t", "line": i, "record_hash": f"h{i}"}
            for i, (_, _, brand, hs, country, day, value) in enumerate(shipments)]
    engine.insert_arrow("shipments", pa.Table.from_pylist(rows))
    engine.insert_arrow("shipment_entities", pa.table({
        "record_id": [f"r{i}" for i in range(len(shipments))],
        "exporter_entity_id": pa.array([s[0] for s in shipments], pa.string()),
        "importer_entity_id": [s[1] for s in shipments]}))
    d = replace(S.detect, surge_min_growth_value=growth[0], surge_min_growth_factor=growth[1])
    found = _surge_flows_found(engine, replace(S, detect=d))
    _, expected = _surge_flows_one_kind_at_a_time(engine, d)
    assert set(found) == set(expected)
    assert all(found[k]["value"] == pytest.approx(v) for k, v in expected.items())
