"""Incremental resolve: new mentions join known entities, unchanged entities keep their ids, decisions hold."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.resolve import mentions, resolve
from diversion.resolve.decisions import record_decision
from diversion.resolve.entities import shipment_entities_sql
from diversion.resolve.incremental import RESOLVE_FORMAT, SOURCES, stored_sources
from diversion.resolve.synthetic import synthetic_shipments
from diversion.sources.integrity import remove_orphans
from tests.resolve.conftest import Case

S = Settings()


@pytest.fixture(scope="module")
def batches() -> tuple[pa.Table, pa.Table]:
    """A month of shipments, and the next month's: 30 more declarations by the same companies."""
    table, _ = synthetic_shipments(120, 4, seed=11)
    return table.slice(0, table.num_rows - 30), table.slice(table.num_rows - 30)


def _groups(engine: DuckDBEngine) -> dict[str, frozenset[str]]:
    rows = engine.fetch_all("SELECT entity_id, list(mention_id ORDER BY mention_id) FROM entity_mentions GROUP BY 1")
    return {eid: frozenset(ms) for eid, ms in rows}


def _entity_of(engine: DuckDBEngine, mention_id: str) -> str:
    return engine.scalar("SELECT entity_id FROM entity_mentions WHERE mention_id = ?", [mention_id])


@pytest.fixture(scope="module", params=["memory", "file"])
def grown(request: pytest.FixtureRequest, batches: tuple[pa.Table, pa.Table],
          tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The two months resolved one after the other, in memory, or in a file (the linkage rows kept beside it:
    the update makes only its new mentions' rows); and both at once. In the file the second month is a file
    of its own (a source the first resolve did not see: only its shipments are grouped into parties); in
    memory it comes from the same source as the first (every shipment is grouped again)."""
    first, second = batches
    if request.param == "file":
        second = _as_source(second, "next-month")
    engine = DuckDBEngine(":memory:" if request.param == "memory" else tmp_path_factory.mktemp("w") / "w.duckdb")
    engine.insert_arrow("shipments", first)
    resolve(engine, S)
    before = _groups(engine)
    known = set(engine.fetch_arrow("SELECT mention_id FROM mentions").column(0).to_pylist())
    rows_before = set(engine.fetch_all("SELECT * FROM shipment_entities"))
    engine.insert_arrow("shipments", second)
    report = resolve(engine, S, incremental=True)
    full = DuckDBEngine(":memory:")
    full.insert_arrow("shipments", pa.concat_tables([first, second]))
    resolve(full, S)
    return {"engine": engine, "before": before, "known": known, "report": report, "after": _groups(engine),
            "full": _groups(full), "full_engine": full, "kind": request.param, "rows_before": rows_before}


def test_only_the_new_mentions_are_scored(grown: dict) -> None:
    engine, report = grown["engine"], grown["report"]
    new = set(engine.fetch_arrow("SELECT mention_id FROM mentions").column(0).to_pylist()) - grown["known"]
    assert 0 < report.scored_mentions <= len(new) < report.mentions
    assert any("incremental" in n for n in report.notes)


def test_a_file_warehouse_update_makes_only_the_new_linkage_rows(grown: dict) -> None:
    engine, report = grown["engine"], grown["report"]
    if grown["kind"] == "memory":  # nowhere to keep them: every row made again
        assert report.known_rows == 0
        return
    old = engine.fetch_all("SELECT count(*) FROM mentions WHERE unresolved_reason IS NULL AND "
                           "mention_id IN (SELECT unnest(?))", [sorted(grown["known"])])
    assert report.known_rows == old[0][0] > 0
    # What the warehouse holds of the names it did not normalise again is what a rebuild writes.
    def names(e: DuckDBEngine) -> list[tuple]:
        return e.fetch_all("SELECT mention_id, name_norm, unresolved_reason FROM mentions ORDER BY 1")
    assert names(engine) == names(grown["full_engine"])


def _groupings(monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    """The sources each shipment grouping of a resolve from now on was asked for (``None``: every source)."""
    grouped: list[list[str] | None] = []
    real = mentions._shipment_parties
    monkeypatch.setattr(mentions, "_shipment_parties",
                        lambda e, sources=None: grouped.append(sources) or real(e, sources))
    return grouped


def _as_source(shipments: pa.Table, source: str) -> pa.Table:
    """``shipments`` as one file of their own, ``source``."""
    return shipments.set_column(shipments.schema.get_field_index("source_id"), "source_id",
                                pa.repeat(pa.scalar(source), shipments.num_rows))


def test_an_update_groups_the_shipments_of_new_sources_only(batches: tuple[pa.Table, pa.Table],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = batches
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("shipments", first)
    resolve(engine, S)
    grouped = _groupings(monkeypatch)
    engine.insert_arrow("shipments", _as_source(second, "next-month"))
    resolve(engine, S, incremental=True)
    assert grouped == [["next-month"]]
    # An old source changed (a declaration removed): every shipment is grouped again.
    engine.execute("DELETE FROM shipments WHERE record_id = ?", [first.column("record_id")[0].as_py()])
    resolve(engine, S, incremental=True)
    assert grouped == [["next-month"], None]
    # A full resolve groups every shipment.
    resolve(engine, S)
    assert grouped == [["next-month"], None, None]


@pytest.mark.parametrize("noted", [{"synthetic": "not a digest"}, ["synthetic"], None])
def test_sources_noted_otherwise_group_every_shipment(batches: tuple[pa.Table, pa.Table], noted: object,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # A model whose note of the sources is missing or not a resolve's (an older version, a hand edit): no
    # error, every shipment grouped again, and the sources noted anew.
    first, second = batches
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("shipments", first)
    resolve(engine, S)
    model = json.loads(engine.scalar("SELECT model_json FROM resolve_model"))
    engine.execute("UPDATE resolve_model SET model_json = ?", [json.dumps({**model, SOURCES: noted})])
    assert stored_sources(engine) is None
    grouped = _groupings(monkeypatch)
    engine.insert_arrow("shipments", _as_source(second, "next-month"))
    resolve(engine, S, incremental=True)
    assert grouped == [None]
    assert set(stored_sources(engine) or {}) == {"synthetic", "next-month"}


def test_new_mentions_join_known_entities_and_unchanged_entities_keep_their_ids(grown: dict) -> None:
    before, after, known = grown["before"], grown["after"], grown["known"]
    joined = [eid for eid, ms in after.items() if ms & known and ms - known]
    assert joined, "some new spellings of known companies joined their entity"
    untouched = {eid: ms for eid, ms in after.items() if not ms - known}
    assert untouched and all(before.get(eid) == ms for eid, ms in untouched.items())


def test_the_same_entities_as_a_full_rebuild(grown: dict) -> None:
    # The stored model and the known pairs' scores are those of the first month: on this data they decide alike.
    assert grown["after"] == grown["full"]


def test_the_update_writes_the_tables_a_full_rebuild_writes(grown: dict) -> None:
    # An update writes only the rows that changed (``Engine.sync_arrow``, ``shipment_entities_update_sql``).
    engine, full = grown["engine"], grown["full_engine"]
    # (The update scores with the first month's model: its match probabilities are its own.)
    for table in ("mentions", "entities", "entity_mentions", "shipment_entities"):
        rows = f"SELECT * EXCLUDE (match_probability) FROM {table} ORDER BY ALL" if table == "entity_mentions" \
            else f"SELECT * FROM {table} ORDER BY ALL"
        assert engine.fetch_all(rows) == full.fetch_all(rows), table
    now = set(engine.fetch_all("SELECT * FROM shipment_entities"))
    old_ids = {r[0] for r in grown["rows_before"]}
    # Old shipments' rows changed (a new spelling joined an entity, whose id moved): they were made again.
    assert {r for r in now if r[0] in old_ids} - grown["rows_before"]


def test_a_new_files_declarations_between_known_firms_get_their_rows(batches: tuple[pa.Table, pa.Table]) -> None:
    # A new file repeating known firms exactly (every party an old mention, none of them moved): its shipments
    # are new only by their source (``shipment_entities_update_sql(added=)``), and each gets its row.
    first, _ = batches
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("shipments", first)
    resolve(engine, S)
    again = _as_source(first.slice(0, 5), "repeat-month")
    again = again.set_column(again.schema.get_field_index("record_id"), "record_id",
                             pa.array([f"repeat-{i}" for i in range(again.num_rows)]))
    engine.insert_arrow("shipments", again)
    known = engine.count("mentions")
    resolve(engine, S, incremental=True)
    assert engine.count("mentions") == known  # no new party: nothing moved
    rows = "SELECT * FROM shipment_entities ORDER BY ALL"
    assert engine.fetch_all(rows) == engine.fetch_all(f"SELECT * FROM ({shipment_entities_sql()}) ORDER BY ALL")
    assert engine.scalar("SELECT count(*) FROM shipment_entities WHERE record_id LIKE 'repeat-%' "
                         "AND exporter_entity_id IS NOT NULL") == again.num_rows


def test_a_record_id_loaded_again_with_other_parties_gets_their_entities(batches: tuple[pa.Table, pa.Table]) -> None:
    # A declaration whose file is removed (``check --repair``: its load was cut off) and a later file that
    # reuses its record id for a declaration between firms already known: the update makes its row again.
    first, _ = batches
    cut = first.set_column(first.schema.get_field_index("source_id"), "source_id",
                           pa.array(["cut"] + ["synthetic"] * (first.num_rows - 1)))
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("shipments", cut)
    engine.execute("INSERT INTO sources VALUES ('synthetic', 'x.csv', 'shipments', 'csv', NULL, 1, 1, 0, 0, ?)",
                   [datetime(2024, 1, 1)])
    resolve(engine, S)
    assert remove_orphans(engine)["shipments"] == 1
    record = cut.column("record_id")[0].as_py()
    other = next(i for i in range(1, first.num_rows)
                 if first.column("exporter_name")[i] != first.column("exporter_name")[0])
    again = first.slice(other, 1).set_column(first.schema.get_field_index("record_id"), "record_id",
                                             pa.array([record]))
    engine.insert_arrow("shipments", again)
    resolve(engine, S, incremental=True)
    rows = "SELECT * FROM shipment_entities ORDER BY ALL"
    assert engine.fetch_all(rows) == engine.fetch_all(f"SELECT * FROM ({shipment_entities_sql()}) ORDER BY ALL")
    assert engine.fetch_all("SELECT exporter_entity_id FROM shipment_entities WHERE record_id = ?", [record]) == \
        engine.fetch_all("SELECT exporter_entity_id FROM shipment_entities WHERE record_id = ?",
                         [first.column("record_id")[other].as_py()])


class _ReplacingEngine(DuckDBEngine):
    """DuckDB writing every resolve table whole, as an engine without cheap row deletes does."""

    cheap_row_deletes = False


_TABLES = ("mentions", "entities", "entity_mentions", "shipment_entities", "resolve_pairs", "sanctions_matches",
           "screening_answers")


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_updates_write_what_a_whole_write_writes(data: st.DataObject) -> None:
    # Random firms, a random month split, and an analyst's random decisions between the two resolves: the
    # update's row-by-row write leaves every resolve table as writing it whole does.
    table, _ = synthetic_shipments(data.draw(st.integers(8, 40)), data.draw(st.integers(2, 4)),
                                   seed=data.draw(st.integers(0, 10_000)))
    cut = data.draw(st.integers(1, table.num_rows - 1))
    engines = (DuckDBEngine(":memory:"), _ReplacingEngine(":memory:"))
    for engine in engines:
        engine.insert_arrow("shipments", table.slice(0, cut))
        resolve(engine, S)
    ids = engines[0].fetch_arrow("SELECT mention_id FROM mentions ORDER BY 1").column(0).to_pylist()
    for _ in range(data.draw(st.integers(0, 3))):
        a, b = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
        if a != b:
            judgement = data.draw(st.sampled_from(["same", "different"]))
            for engine in engines:
                record_decision(engine, a, b, judgement)
    for engine in engines:
        engine.insert_arrow("shipments", table.slice(cut))
        resolve(engine, S, incremental=True)
    for name in _TABLES:
        rows = f"SELECT * FROM {name} ORDER BY ALL"
        assert engines[0].fetch_all(rows) == engines[1].fetch_all(rows), name
    assert engines[0].fetch_all("SELECT * FROM shipment_entities ORDER BY ALL") == \
        engines[0].fetch_all(f"SELECT * FROM ({shipment_entities_sql()}) ORDER BY ALL")


def test_decisions_are_honoured(batches: tuple[pa.Table, pa.Table]) -> None:
    first, second = batches
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("shipments", first)
    resolve(engine, S)
    known = set(engine.fetch_arrow("SELECT mention_id FROM mentions").column(0).to_pylist())
    engine.insert_arrow("shipments", second)
    resolve(engine, S, incremental=True)
    # A new mention that joined a known one: the analyst says they differ; the next incremental run parts them.
    pairs = engine.fetch_all("SELECT a.mention_id, b.mention_id FROM entity_mentions a JOIN entity_mentions b "
                             "ON a.entity_id = b.entity_id AND a.mention_id <> b.mention_id")
    new_id, old_id = next((a, b) for a, b in pairs if a not in known and b in known)
    record_decision(engine, new_id, old_id, "different", "test", "two firms")
    # And two known singletons are the same party.
    singles = sorted(m for m, in engine.fetch_all(
        "SELECT min(mention_id) FROM entity_mentions GROUP BY entity_id HAVING count(*) = 1") if m in known)[:2]
    record_decision(engine, singles[0], singles[1], "same", "test", "same firm")
    report = resolve(engine, S, incremental=True)
    assert report.scored_mentions == 0  # nothing new: only the decisions changed
    assert _entity_of(engine, new_id) != _entity_of(engine, old_id)
    assert _entity_of(engine, singles[0]) == _entity_of(engine, singles[1])
    assert pc.sum(pc.equal(engine.fetch_arrow("SELECT entity_id FROM entity_mentions").column(0),
                           _entity_of(engine, singles[0]))).as_py() == 2


def test_a_resolve_made_on_another_basis_is_not_built_on(batches: tuple[pa.Table, pa.Table]) -> None:
    """Stored pairs depend on settings (review_low keeps pairs, max_block_size picks them) and the version."""
    first, second = batches
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("shipments", first)
    resolve(engine, S)
    engine.insert_arrow("shipments", second)
    other = Settings(resolve=dataclasses.replace(S.resolve, review_low=0.3))
    report = resolve(engine, other, incremental=True)
    assert report.scored_mentions > 30  # every mention, not the ~30 new ones
    assert any("other settings or an older version (review_low)" in n for n in report.notes), report.notes
    # the full run stored its basis: the next run with the same settings builds on it
    assert resolve(engine, other, incremental=True).scored_mentions == 0


def test_a_resolve_of_an_older_model_format_is_resolved_in_full(batches: tuple[pa.Table, pa.Table]) -> None:
    """Pairs scored by an older model (``RESOLVE_FORMAT``: e.g. before near-spellings of common names were
    capped) are stale: the next run scores every mention again."""
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("shipments", batches[0])
    resolve(engine, S)
    engine.execute(f"UPDATE resolve_model SET model_json = json_merge_patch(model_json, "
                   f"'{{\"basis\": {{\"format\": {RESOLVE_FORMAT - 1}}}}}')")
    report = resolve(engine, S, incremental=True)
    assert report.scored_mentions > 0 and any("older version (format)" in n for n in report.notes), report.notes


def test_a_resolve_made_by_other_normalising_code_is_resolved_in_full(batches: tuple[pa.Table, pa.Table]) -> None:
    """An update takes the stored name forms and linkage rows: made by another normaliser (an edited
    ``diversion.names`` or another version), they are stale even when nobody bumped ``RESOLVE_FORMAT``."""
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("shipments", batches[0])
    resolve(engine, S)
    assert resolve(engine, S, incremental=True).scored_mentions == 0  # the same code: built on
    engine.execute("UPDATE resolve_model SET model_json = json_merge_patch(model_json, "
                   "'{\"basis\": {\"names\": \"another normaliser\"}}')")
    report = resolve(engine, S, incremental=True)
    assert report.scored_mentions > 0 and any("older version (names)" in n for n in report.notes), report.notes


def test_a_warehouse_resolved_before_the_basis_was_stored_is_resolved_in_full(
        batches: tuple[pa.Table, pa.Table]) -> None:
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("shipments", batches[0])
    resolve(engine, S)
    engine.execute("UPDATE resolve_model SET model_json = json_object('prior', model_json->'prior', "
                   "'levels', model_json->'levels')")
    report = resolve(engine, S, incremental=True)
    assert report.scored_mentions > 0 and any("older version" in n for n in report.notes), report.notes


def _matches(engine: DuckDBEngine) -> list[tuple]:
    rows = engine.fetch_all("SELECT entity_id, sanction_entity_id, score, matched_name, programs FROM "
                            "sanctions_matches ORDER BY ALL")
    return [(*row[:4], tuple(row[4] or ())) for row in rows]


def _listed_case() -> tuple[DuckDBEngine, Case]:
    """A listed party, a shipment naming it, and an unrelated exporter: resolved once."""
    engine = DuckDBEngine(":memory:")
    case = Case(engine)
    case.sanctioned("ofac-1", "STROYTRANSGAZ LLC")
    case.shipment("s1", "Stroytransgaz", "OOO Kometa")
    case.shipment("s2", "Nexino Machinery GmbH", "OOO Kometa", exporter_country="AT")
    return engine, case


def _rebuilt(engine: DuckDBEngine) -> DuckDBEngine:
    """The same lists and shipments in a fresh warehouse, resolved in full."""
    full = DuckDBEngine(":memory:")
    for table in ("sanctions", "sanction_names", "shipments"):
        full.insert_arrow(table, engine.fetch_arrow(f"SELECT * FROM {table}"))
    resolve(full, S)
    return full


def _searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name cores screening searches the lists for from now on (filled as resolve runs)."""
    from diversion.resolve import sanctions_matches

    searched: list[str] = []
    real = sanctions_matches.ScreeningIndex.search_forms

    def counting(self: object, queries: dict, *args: object, **kwargs: object) -> list:
        searched.extend(f.core for forms in queries.values() for f in forms)
        return real(self, queries, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sanctions_matches.ScreeningIndex, "search_forms", counting)
    return searched


def test_unchanged_entities_are_not_screened_again_until_the_lists_change(
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine, case = _listed_case()
    resolve(engine, S)
    first = _matches(engine)
    assert any(m[1] == "ofac-1" for m in first)
    searched = _searches(monkeypatch)
    case.shipment("s3", "Orion Tools Ltd", "OOO Kometa", exporter_country="CN")
    resolve(engine, S, incremental=True)
    assert searched and all("stroytransgaz" not in core and "nexino" not in core for core in searched), searched
    assert set(first) <= set(_matches(engine))  # the unchanged entities keep their rows
    # a listing changes (another program): every entity is screened again, rows carry the new program
    engine.execute("UPDATE sanctions SET programs = ['RUSSIA-EO14024', 'UKRAINE-EO13662']")
    searched.clear()
    resolve(engine, S, incremental=True)
    assert any("nexino" in core for core in searched)
    assert [m[4] for m in _matches(engine) if m[1] == "ofac-1"][0] == ("RUSSIA-EO14024", "UKRAINE-EO13662")
    # another screening threshold: the stored results are not those it would give, every entity is screened
    searched.clear()
    resolve(engine, Settings(resolve=dataclasses.replace(S.resolve, screen_threshold=0.95)), incremental=True)
    assert any("nexino" in core for core in searched)
    resolve(engine, S, incremental=True)
    assert _matches(_rebuilt(engine)) == _matches(engine)


def test_a_changed_entity_takes_the_stored_answers_for_the_names_it_was_screened_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A party seen at a new address changes its entity, not its names: nothing it says is searched again,
    only a name never screened; the answers are kept with the warehouse for the next update."""
    engine, case = _listed_case()
    resolve(engine, S)
    assert engine.scalar("SELECT count(*) FROM screening_answers") > 0
    searched = _searches(monkeypatch)
    case.shipment("s3", "Nexino Machinery GmbH", "OOO Kometa", exporter_country="AT", exporter_address="Linz")
    case.shipment("s4", "Orion Tools Ltd", "OOO Kometa", exporter_country="CN")
    groups = _groups(engine)
    resolve(engine, S, incremental=True)
    changed = [eid for eid, ms in _groups(engine).items() if groups.get(eid) not in (None, ms)]
    assert changed  # Nexino's entity took the new mention
    assert searched and all("nexino" not in core and "kometa" not in core for core in searched), searched
    assert any("orion" in core for core in searched)
    assert _matches(_rebuilt(engine)) == _matches(engine)
    searched.clear()
    case.shipment("s5", "Orion Tools Ltd", "OOO Kometa", exporter_country="CN", exporter_address="Ningbo")
    resolve(engine, S, incremental=True)
    assert not searched  # the name asked in the last update was kept too


def test_stored_answers_read_back_as_written_under_the_same_lists_only() -> None:
    from datetime import datetime

    from diversion.resolve.incremental import answers_table, stored_answers
    from diversion.resolve.sanctions_matches import NO_HITS, Answer, question_key

    answers = {question_key("Nexino", "AT", "Company"): NO_HITS,
               question_key("Stroytransgaz", None, None): (Answer("ofac-1", 0.93, "STROYTRANSGAZ LLC", "name 'x'"),
                                                          Answer("ofac-2", 0.8125, "СТРОЙТРАНСГАЗ", "é\"")),
               question_key("", None, "Person"): NO_HITS}
    engine = DuckDBEngine(":memory:")
    engine.insert_arrow("screening_answers", answers_table(answers))
    engine.insert_arrow("resolve_model", pa.table({"trained_at": [datetime(2026, 1, 1)], "method": ["em"],
                                                   "note": [None], "model_json": ['{"lists": "L1"}']}))
    assert stored_answers(engine, "L1") == answers
    assert stored_answers(engine, "L2") == {}


def _entities(engine: DuckDBEngine) -> list[tuple]:
    return engine.fetch_all("SELECT * FROM entities ORDER BY entity_id")


def test_unchanged_entities_keep_their_rows_and_listed_ones_are_worked_out_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from diversion.resolve import entities

    engine, case = _listed_case()
    case.shipment("s3", "NEXINO MACHINERY G.M.B.H.", "OOO Kometa", exporter_country="AT")
    resolve(engine, S)
    nexino = engine.scalar("SELECT entity_id FROM entities WHERE canonical_name ILIKE 'nexino%'")
    assert engine.scalar("SELECT mention_count FROM entities WHERE entity_id = ?", [nexino]) == 2
    picked: list[list[str]] = []
    real = entities.canonical_name

    def counting(names: list[str]) -> str | None:
        picked.append(names)
        return real(names)

    monkeypatch.setattr(entities, "canonical_name", counting)
    case.shipment("s4", "Orion Tools Ltd", "OOO Kometa", exporter_country="CN")
    resolve(engine, S, incremental=True)
    assert not [names for names in picked if any("NEXINO" in n.upper() for n in names)], picked
    listed = engine.scalar("SELECT entity_id FROM entity_mentions m JOIN mentions USING (mention_id) "
                           "WHERE source_table = 'sanctions'")
    assert _entities(_rebuilt(engine)) == _entities(engine)
    # a listed party's names come from the list too: an alias added there shows although its mention id is
    # the same, because entities with a listed mention are always worked out again
    engine.execute("INSERT INTO sanction_names (entity_id, name, name_type) "
                   "VALUES ('ofac-1', 'STROYTRANSGAZ-M LLC', 'alias')")
    resolve(engine, S, incremental=True)
    names = engine.scalar("SELECT names FROM entities WHERE entity_id = ?", [listed])
    assert "STROYTRANSGAZ-M LLC" in names


def test_real_ofac_entries_match_alike_after_an_update_that_takes_the_stored_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Real 2021 OFAC lines (``tests/data/sanctions/ofac2021``): a party seen again at a new address takes the
    answers of the names it was screened on, a new one is searched, and the update's matches are a rebuild's."""
    from pathlib import Path

    from diversion.sources import ingest_file

    real = Path(__file__).parents[1] / "data" / "sanctions" / "ofac2021"
    engine = DuckDBEngine(":memory:")
    ingest_file(engine, "sanctions", real / "sdn.csv")
    case = Case(engine)
    month = [("Banco Nacional de Cuba", "CU"), ("HAVIN BANK LTD", "GB"), ("Cambios El Trebol", "CO"),
             ("Distribuidora Imperial de Baja California SA de CV", "MX"), ("Banco Popular de Ahorro", "CU")]
    for i, (name, country) in enumerate(month):
        case.shipment(f"a{i}", name, "OOO Kometa", exporter_country=country)
    resolve(engine, S)
    before = _matches(engine)
    assert {m[1] for m in before} >= {"ofac-306", "ofac-906", "ofac-10843", "ofac-7156"}, before
    searched = _searches(monkeypatch)
    for i, (name, country) in enumerate(month):
        case.shipment(f"b{i}", name, "OOO Kometa", exporter_country=country, exporter_address=f"Street {i}")
    case.shipment("c1", "Criadero de Pollos El Rosal SA", "OOO Kometa", exporter_country="CO")
    case.shipment("c2", "Tostadero Andino Ltda", "OOO Kometa", exporter_country="CO")
    resolve(engine, S, incremental=True)
    # The unlisted bank, seen again at an address, was screened on its name before: not searched again.
    assert any("tostadero" in core for core in searched) and not any("popular" in core for core in searched), \
        searched
    after = _matches(engine)
    assert "ofac-4359" in {m[1] for m in after}
    assert after == _matches(_rebuilt(engine))


def test_a_registered_party_is_made_again_only_when_its_record_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry record keeps its mention id when it changes: its entity row is kept while the stored mention
    says what the record says, and made again (new alias shown) once it does not."""
    from diversion.resolve import entities, picking

    engine = DuckDBEngine(":memory:")
    case = Case(engine)
    case.registry("reg-1", "Nexino Machinery GmbH", aliases=("Nexino Werkzeug GmbH",), country="AT")
    case.shipment("s1", "Nexino Machinery GmbH", "OOO Kometa", exporter_country="AT")
    case.shipment("s2", "Orion Tools Ltd", "OOO Kometa", exporter_country="CN")
    resolve(engine, S)
    registered = engine.scalar("SELECT entity_id FROM entity_mentions JOIN mentions USING (mention_id) "
                               "WHERE source_table = 'registry_entities'")
    assert engine.scalar("SELECT mention_count FROM entities WHERE entity_id = ?", [registered]) == 2
    picked: list[list[str]] = []
    real = entities.canonical_name
    for module in (entities, picking):  # picked here or ahead (``picking``)
        monkeypatch.setattr(module, "canonical_name", lambda names: picked.append(names) or real(names))

    def rebuilt() -> list[tuple]:
        full = DuckDBEngine(":memory:")
        for table in ("registry_entities", "shipments"):
            full.insert_arrow(table, engine.fetch_arrow(f"SELECT * FROM {table}"))
        resolve(full, S)
        return _entities(full)

    case.shipment("s3", "Zeta Works", "OOO Kometa", exporter_country="CN")
    resolve(engine, S, incremental=True)
    assert not [names for names in picked if any("NEXINO" in n.upper() for n in names)], picked
    assert _entities(engine) == rebuilt()
    engine.execute("UPDATE registry_entities SET aliases = list_append(aliases, 'Nexino Maschinenbau GmbH') "
                   "WHERE entity_id = 'reg-1'")
    resolve(engine, S, incremental=True)
    assert "Nexino Maschinenbau GmbH" in engine.scalar("SELECT names FROM entities WHERE entity_id = ?", [registered])
    assert _entities(engine) == rebuilt()
