"""Lead scoring and the leads/lead/graph/path/export commands, on the mini case."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from diversion.cli import app
from diversion.config import Settings
from diversion.detect import load_findings, run_detection, write_findings
from diversion.detect.finding import Finding
from diversion.detect.registry import registry
from diversion.detect.registry import weights as flag_weights
from diversion.engine import DuckDBEngine
from diversion.graph import build_graph
from diversion.leads import (
    EVIDENCE_SHIPMENTS,
    build_leads,
    combine,
    evidence_ids,
    lead_dossier,
    quoted_evidence,
    rank_leads,
    shown_leads,
)
from tests.detect.minicase import build_minicase

S = Settings()


def test_several_independent_flags_beat_one_strong_flag():
    weights = flag_weights(S)
    strong = [Finding("sanctions_proximity", "a", 1.0, "x")]
    several = [Finding("brand_diversion", "b", 0.8, "x"), Finding("transshipment", "b", 0.8, "x"),
               Finding("hosting_mismatch", "b", 0.8, "x")]
    scores = combine(strong + several, weights)
    assert scores["b"][0] > scores["a"][0]
    assert 0 <= scores["a"][0] <= 1


def test_only_the_best_finding_per_flag_counts():
    fs = [Finding("priority_goods", "a", 0.4, "x"), Finding("priority_goods", "a", 0.4, "y")]
    assert combine(fs, {"priority_goods": 0.5})["a"][0] == pytest.approx(0.2)


def test_rank_breaks_ties_by_number_of_flags_and_writes_evidence_ids():
    fs = [Finding("sanctioned", "a", 1.0, "A is listed.", {"sanction_ids": ["ofac-1"]}),
          Finding("sanctioned", "b", 1.0, "B is listed.", {"sanction_ids": ["ofac-2"]}),
          Finding("priority_goods", "b", 0.01, "B ships CHPL goods.", {"shipment_ids": ["s1"]})]
    leads = rank_leads(fs, {"a": ("A", "RU"), "b": ("B", "RU")}, {"sanctioned": 1.0, "priority_goods": 0.3})
    assert [lead.entity_id for lead in leads] == ["b", "a"]
    assert leads[0].flags == ["sanctioned", "priority_goods"]
    assert "ofac-2" in leads[0].evidence and "s1" in leads[0].evidence


@pytest.fixture
def mini_db(tmp_path):
    path = tmp_path / "mini.duckdb"
    engine = DuckDBEngine(path)
    case = build_minicase(engine)
    engine.close()
    return path, case


@pytest.fixture
def detected(mini_db):
    """The mini case's warehouse open, its network built and its findings made, as ranking needs them."""
    path, case = mini_db
    with DuckDBEngine(path) as engine:
        build_graph(engine, S)
        run_detection(engine, S)
        yield engine, case


def test_planted_network_tops_the_mini_case(detected):
    engine, case = detected
    leads = build_leads(engine, S)
    table = engine.fetch_dicts("SELECT * FROM leads ORDER BY rank")
    top4 = {lead.entity_id for lead in leads[:4]}
    assert top4 == {case.importer, case.broker, case.front, case.end_user}
    ordinary = [lead for lead in leads if lead.entity_id in case.ordinary]
    assert all(lead.score < S.leads.threshold for lead in ordinary)
    assert [r["entity_id"] for r in table] == [lead.entity_id for lead in leads]
    front = next(lead for lead in leads if lead.entity_id == case.front)
    assert {"impersonation", "intermediary_surge", "brand_diversion", "transshipment"} <= set(front.flags)
    shown = shown_leads(leads, replace(S, leads=replace(S.leads, threshold=0.95)), top=2)
    assert len(shown) == 2 and all(lead.score >= 0.95 for lead in shown)


def test_a_ranking_asked_for_its_top_leads_writes_them_all(detected):
    engine, _ = detected
    every = build_leads(engine, S)
    table = engine.fetch_all("SELECT * FROM leads ORDER BY ALL")
    assert [lead.row() for lead in build_leads(engine, S, top=3)] == [lead.row() for lead in every[:3]]
    assert build_leads(engine, S, top=0) == []
    with pytest.raises(ValueError, match="top must be 0 or more"):
        build_leads(engine, S, top=-1)
    assert engine.fetch_all("SELECT * FROM leads ORDER BY ALL") == table  # every lead written
    above = sum(1 for lead in every if lead.section == "lead" and lead.score >= S.leads.threshold)
    assert engine.fetch_all("SELECT summary FROM stage_runs WHERE stage = 'leads'") \
        == [(f"{above} leads at or above {S.leads.threshold}",)]


def test_dossier_holds_findings_counterparts_and_ownership(detected):
    engine, case = detected
    build_leads(engine, S)
    dossier = lead_dossier(engine, S, "Gulf Bridge")
    assert dossier["entity_id"] == case.broker
    assert {f["detector"] for f in dossier["findings"]} >= {"sanctioned", "intermediary_surge", "hosting_mismatch"}
    assert dossier["counterparts"][0]["other_id"] == case.importer
    assert {link["kind"] for link in dossier["links"]} >= {"ownership", "website"}


def test_cli_graph_detect_leads_lead_path_export(mini_db, tmp_path):
    path, case = mini_db
    runner = CliRunner()
    db = ["--db", str(path)]
    assert runner.invoke(app, ["graph", *db]).exit_code == 0
    result = runner.invoke(app, ["detect", *db])
    assert result.exit_code == 0 and "findings" in result.output
    # Again on the same network: the priority-goods findings are all carried over; with --full, none.
    for args, carried in ((["detect", *db], True), (["detect", "--full", *db], False)):
        result = runner.invoke(app, args)
        line = next(x for x in result.output.splitlines() if "priority_goods" in x)
        numbers = re.findall(r"\d[\d,]*", line)
        assert result.exit_code == 0 and (numbers[1:] == numbers[:1] if carried else len(numbers) == 1), line
    result = runner.invoke(app, ["leads", "--format", "csv", *db])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == ["rank", "entity_id", "name", "country", "score", "flags", "evidence"]
    assert {r["entity_id"] for r in rows[:4]} == {case.importer, case.broker, case.front, case.end_user}
    strict = {"DIVERSION_LEADS__THRESHOLD": "0.99"}
    above = json.loads(runner.invoke(app, ["leads", "--format", "json", *db], env=strict).output)
    every = json.loads(runner.invoke(app, ["leads", "--format", "json", "--all", "--top", "0", *db], env=strict).output)
    assert len(every) == len(rows) > len(above) and all(r["score"] >= 0.99 for r in above)
    result = runner.invoke(app, ["lead", case.front, *db])
    assert result.exit_code == 0 and "impersonation" in result.output
    result = runner.invoke(app, ["path", "Hokuto", "Zenit Machine Plant", *db])
    assert result.exit_code == 0 and "Gulf Bridge FZE" in result.output and "s-brk-0" in result.output
    out = tmp_path / "net.ftm.json"
    assert runner.invoke(app, ["export", "--format", "ftm", "--out", str(out), *db]).exit_code == 0
    assert out.read_text().count("\"schema\": \"EconomicActivity\"") == 33  # every shipment
    assert runner.invoke(app, ["leads", "--format", "xml", *db]).exit_code != 0


def test_a_statistics_finding_is_named_by_its_country(mini_db):
    """A mirror-statistics signal concerns a hub country: listed apart, named, never shown as a raw id."""
    path, _ = mini_db
    with DuckDBEngine(path) as engine:
        build_graph(engine, S)
        findings = run_detection(engine, S) + [Finding("transshipment", "country:KG", 0.8, "Kyrgyzstan: ...")]
        leads = build_leads(engine, S, findings)
    kg = next(lead for lead in leads if lead.entity_id == "country:KG")
    assert kg.name == "Kyrgyzstan (country, trade statistics)" and kg.country == "KG"
    assert kg.section == "context"


_FLAGS = ["sanctioned", "priority_goods", "transshipment", "brand_diversion"]


_IDS = st.lists(st.sampled_from(["s1", "s2", "s3", "s4", "ofac-1", ""]), max_size=9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_FLAGS), st.sampled_from("abcd"), st.sampled_from([0.2, 0.5, 0.9, 1.0]),
                          st.sampled_from("xyz"), _IDS, _IDS, _IDS), max_size=30))
def test_leads_from_the_best_finding_per_flag_equal_leads_from_all(rows):
    engine = DuckDBEngine(":memory:")
    write_findings(engine, [Finding(d, e, s, f"{e} {d} {t}", {"shipment_ids": ships, "sanction_ids": listed,
                                                               "entity_ids": related, "facts": {"n": 1}})
                            for d, e, s, t, ships, listed, related in rows])
    labels = {e: (e.upper(), "RU") for e in "abcd"}
    weights = flag_weights(S)
    every = load_findings(engine)
    best = load_findings(engine, best_only=True, keep=quoted_evidence)
    assert len(best) <= len(every)
    assert rank_leads(best, labels, weights) == rank_leads(every, labels, weights)
    # Only the entities a standalone flag raised can be leads: reading theirs alone ranks the same.
    standalone = [name for name, d in registry().items() if d.standalone]
    flagged = load_findings(engine, best_only=True, keep=quoted_evidence, flagged_by=standalone)
    assert {f.detector for f in flagged} >= {f.detector for f in every if f.detector in standalone}
    assert rank_leads(flagged, labels, weights) == rank_leads(every, labels, weights)
    assert load_findings(engine, flagged_by=[]) == []


_EVIDENCE_IDS = st.lists(st.sampled_from(["s1", "s2", "s3", "s4", "s5", "s6", "e7", ""]), max_size=14)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["shipment_ids", "sanction_ids", "edge_ids", "domains", "entity_ids"]),
                       _EVIDENCE_IDS), st.integers(0, 5))
def test_quoted_evidence_shows_the_ids_the_whole_evidence_shows(evidence, limit):
    # What leads hold of a finding (its first ids of each kind, read without checking the lists again) must show
    # exactly the ids the whole evidence shows, in the same order, at the limit leads use and below it.
    whole = Finding("transshipment", "a", 0.5, "x", {**evidence, "facts": {"n": 1}})
    quoted = Finding.stored("transshipment", "a", 0.5, "x", quoted_evidence(whole.evidence))
    assert evidence_ids(quoted, min(limit, EVIDENCE_SHIPMENTS)) == evidence_ids(whole, min(limit, EVIDENCE_SHIPMENTS))
    assert all(len(ids) <= EVIDENCE_SHIPMENTS + 2 and "" not in ids for ids in quoted.evidence.values())
    # ... and the ids the checked reader (``Finding.records``) gives: shipments first, then the other kinds.
    records = dict(whole.records)
    cut = min(limit, EVIDENCE_SHIPMENTS)
    plain = records.pop("shipment_ids", [])[:cut] + [i for ids in records.values() for i in ids]
    assert evidence_ids(whole, cut) == list(dict.fromkeys(plain))[: cut + 2]
