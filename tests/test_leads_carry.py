"""Leads carried over (``leads.carry``): the same leads as a ranking from scratch, rows made only where needed."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

import diversion.leads as leads_module
from diversion.config import Settings
from diversion.detect import load_findings, run_detection, write_findings
from diversion.detect.finding import Finding
from diversion.detect.registry import weights as flag_weights
from diversion.engine import DuckDBEngine, Engine
from diversion.graph import build_graph
from diversion.leads import build_leads, rank_leads, trade_parties
from diversion.read.stages import record_stage
from tests.detect.minicase import build_minicase

S = Settings()

_FLAGS = ["sanctioned", "priority_goods", "transshipment", "brand_diversion", "sanctions_proximity"]
_ENTITIES = "abcdef"
# Names that tie, differ only in case, or sort differently by code point than by any locale.
_NAMES = ["Alpha", "alpha", "Ärger", "Zeta", "ёлка", "Alpha "]
_IDS = st.lists(st.sampled_from(["s1", "s2", "s3", "ofac-1", ""]), max_size=5)
# A score of 0 adds a flag and nothing to the score: entities tie on score with different numbers of flags.
_FINDING = st.tuples(st.sampled_from(_FLAGS), st.sampled_from(_ENTITIES), st.sampled_from([0.0, 0.2, 0.5, 1.0]),
                     st.sampled_from("xy"), _IDS, _IDS)
_STATE = st.tuples(
    st.lists(_FINDING, max_size=16),
    st.dictionaries(st.sampled_from(_ENTITIES),
                    st.tuples(st.sampled_from(_NAMES), st.sampled_from(["RU", "AE", None]))),
    st.sets(st.sampled_from(_ENTITIES)),
)


def _write_state(engine: Engine, state: tuple[list, dict, set]) -> None:
    """Findings, the network's entity nodes and the trade parties of one drawn state."""
    rows, labels, traders = state
    write_findings(engine, [Finding(d, e, s, f"{e} {d} {t}", {"shipment_ids": ships, "sanction_ids": listed})
                            for d, e, s, t, ships, listed in rows])
    engine.execute("DELETE FROM nodes")
    engine.execute("DELETE FROM shipment_entities")
    for entity_id, (label, country) in labels.items():
        engine.execute("INSERT INTO nodes (node_id, kind, label, country) VALUES (?, 'entity', ?, ?)",
                       [entity_id, label, country])
    for i, entity_id in enumerate(sorted(traders)):
        engine.execute("INSERT INTO shipment_entities (record_id, exporter_entity_id) VALUES (?, ?)",
                       [f"r{i}", entity_id])
    record_stage(engine, "detect", "drawn")


def _from_scratch(engine: Engine) -> list:
    """The leads ranked in Python from every finding in the table (``rank_leads``, no SQL ranking)."""
    labels = {r[0]: (r[1], r[2]) for r in engine.fetch_all("SELECT node_id, label, country FROM nodes")}
    return rank_leads(load_findings(engine), labels, flag_weights(S), trade_parties(engine))


@settings(max_examples=60, deadline=None)
@given(_STATE, _STATE)
def test_a_carried_ranking_equals_a_ranking_from_scratch(before, after):
    """Every drawn change (findings, names, countries, trade) carried over ranks as Python ranks every finding."""
    engine = DuckDBEngine(":memory:")
    _write_state(engine, before)
    assert build_leads(engine, S) == _from_scratch(engine)
    table = engine.fetch_all("SELECT * FROM leads")
    assert [r[1] for r in table] == [lead.entity_id for lead in _from_scratch(engine)]  # written in rank order
    _write_state(engine, after)
    carried = build_leads(engine, S, carry=True)
    assert carried == _from_scratch(engine)
    written = engine.fetch_all("SELECT * FROM leads")
    assert build_leads(engine, S) == carried
    assert engine.fetch_all("SELECT * FROM leads") == written


def _made(monkeypatch) -> list[set[str]]:
    """The entities each ranking makes rows for (``made_rows``' findings), one set per call."""
    calls: list[set[str]] = []
    made = leads_module.made_rows

    def watched(rows, *args, **kwargs):
        calls.append(set(rows.column("entity_id").to_pylist()))
        return made(rows, *args, **kwargs)

    monkeypatch.setattr(leads_module, "made_rows", watched)
    return calls


def test_an_update_makes_rows_only_for_the_entities_it_touched(tmp_path, monkeypatch):
    path = tmp_path / "mini.duckdb"
    with DuckDBEngine(path) as engine:
        case = build_minicase(engine)
        build_graph(engine, S)
        run_detection(engine, S)
        first = build_leads(engine, S)
        calls = _made(monkeypatch)
        carried: dict[str, int] = {}
        assert build_leads(engine, S, carry=True, carried=carried) == first
        assert calls == [set()] and carried == {"leads": len(first)}  # nothing changed: every row kept
        # One finding of the broker scores lower, the front company is renamed: those two rows are made again.
        engine.execute("UPDATE findings SET score = score / 2 WHERE entity_id = ? AND detector = 'sanctioned'",
                       [case.broker])
        engine.execute("UPDATE nodes SET label = 'Pearl River Tech (renamed)' WHERE node_id = ?", [case.front])
        # The end user's findings quote other shipments, with the same scores and sentences.
        engine.execute("""UPDATE findings SET evidence = '{"shipment_ids": ["s-new-1"]}' WHERE entity_id = ?""",
                       [case.end_user])
        counted: dict[str, int] = {}
        carried = build_leads(engine, S, carry=True, carried=counted)
        assert calls[-1] == {case.broker, case.front, case.end_user}
        assert counted == {"leads": len(first) - 3}
        assert "s-new-1" in next(lead.evidence for lead in carried if lead.entity_id == case.end_user)
        assert next(lead.name for lead in carried if lead.entity_id == case.front) == "Pearl River Tech (renamed)"
        assert carried == build_leads(engine, S)
        assert calls[-1] == {lead.entity_id for lead in first}  # without carry, every row is made


def test_leads_from_findings_in_memory_are_never_carried_later(tmp_path, monkeypatch):
    """Leads written from findings given in memory clear the basis: the next carried ranking makes every row."""
    with DuckDBEngine(tmp_path / "mini.duckdb") as engine:
        build_minicase(engine)
        build_graph(engine, S)
        findings = run_detection(engine, S)
        build_leads(engine, S)
        extra = Finding("transshipment", "country:KG", 0.8, "Kyrgyzstan: ...")
        build_leads(engine, S, [*findings, extra])
        assert engine.count("lead_basis") == 0
        calls = _made(monkeypatch)
        carried = build_leads(engine, S, carry=True)  # from the table again: the statistics finding is gone
        assert "country:KG" not in {lead.entity_id for lead in carried}
        assert calls[-1] == {lead.entity_id for lead in carried}


def test_another_weight_ranks_every_entity_again(tmp_path, monkeypatch):
    with DuckDBEngine(tmp_path / "mini.duckdb") as engine:
        build_minicase(engine)
        build_graph(engine, S)
        run_detection(engine, S)
        build_leads(engine, S)
        heavier = replace(S, leads=replace(S.leads, weights={"transshipment": 0.99}))
        calls = _made(monkeypatch)
        carried = build_leads(engine, heavier, carry=True)
        assert calls[-1] == {lead.entity_id for lead in carried}
        assert carried == build_leads(engine, heavier)


def test_ties_on_score_rank_the_entity_with_more_flags_first_when_carried():
    """``b`` has a flag that adds nothing (score 0) and a name after ``a``'s: more flags rank it first."""
    engine = DuckDBEngine(":memory:")
    write_findings(engine, [Finding("sanctioned", "a", 1.0, "A is listed."), Finding("sanctioned", "b", 1.0, "B."),
                            Finding("transshipment", "b", 0.0, "B ships through a hub.")])
    engine.execute("INSERT INTO nodes (node_id, kind, label) VALUES ('a', 'entity', 'A'), ('b', 'entity', 'B')")
    record_stage(engine, "detect", "three")
    assert [lead.entity_id for lead in build_leads(engine, S)] == ["b", "a"]
    engine.execute("UPDATE nodes SET label = 'AA' WHERE node_id = 'a'")
    assert [(lead.entity_id, lead.rank) for lead in build_leads(engine, S, carry=True)] == [("b", 1), ("a", 2)]


def test_the_statistics_country_of_a_carried_ranking_keeps_its_name():
    """A finding on a country (trade statistics) is ranked from the table like any entity, named by its country."""
    engine = DuckDBEngine(":memory:")
    write_findings(engine, [Finding("transshipment", "country:KG", 0.8, "Kyrgyzstan: re-exports.")])
    record_stage(engine, "detect", "one")
    (lead,) = build_leads(engine, S)
    assert (lead.name, lead.country, lead.section) == ("Kyrgyzstan (country, trade statistics)", "KG", "context")
    assert build_leads(engine, S, carry=True) == [lead]
