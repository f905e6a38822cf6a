"""Part of the screening answered ahead in a worker (``resolve.prescreening``) gives what screening gives."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from diversion import workers
from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.resolve import picking, prescreening
from diversion.resolve.clustering import Assignment
from diversion.resolve.mentions import collect_mentions
from diversion.resolve.pipeline import OUTPUT_TABLES, resolve
from diversion.resolve.prescreening import answer_all, screened_mentions
from diversion.resolve.sanctions_matches import Answers, match_rows, question_key
from diversion.resolve.screening import ScreeningIndex, build_index
from diversion.resolve.synthetic import synthetic_shipments
from tests.resolve.conftest import Case, FakePartsWorker, wait_until


def _tables(engine: DuckDBEngine) -> dict[str, list[tuple[Any, ...]]]:
    names = [t for t in (*OUTPUT_TABLES, "screening_answers") if t != "resolve_model"]
    return {t: engine.fetch_all(f"SELECT * FROM {t} ORDER BY ALL") for t in names}


def _months() -> tuple[pa.Table, pa.Table]:
    """A month of shipments, and the next month's: a file of its own, with parties new to the warehouse."""
    table, _ = synthetic_shipments(120, 4, seed=11)
    second = table.slice(table.num_rows - 30)
    second = second.set_column(second.column_names.index("source_id"), "source_id",
                               pa.array(["next-month"] * second.num_rows))  # a source the first resolve did not see
    return table.slice(0, table.num_rows - 30), second


def _screening(engine: DuckDBEngine) -> tuple[pa.Table, dict[str, Assignment], ScreeningIndex]:
    """The mini case's mentions, each its own entity (so the parties spelling a listed name are screened, not
    linked to it), and the screening index."""
    mentions = collect_mentions(engine, 500)
    assignments = {m: Assignment(m, 1.0) for m in mentions.column("mention_id").to_pylist()}
    corpus = [n for n in mentions.column("name_norm").to_pylist() if n]
    return mentions, assignments, build_index(engine, 500, corpus)


def test_answers_ahead_are_what_screening_finds(resolved: DuckDBEngine, settings: Settings,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    rs = settings.resolve
    mentions, assignments, index = _screening(resolved)
    asked: Answers = {}
    rows = match_rows(mentions, assignments, index, rs.screen_threshold, rs.screen_limit, answers=asked)
    assert any(asked.values()) and rows  # names found in the lists

    ahead = answer_all(index, screened_mentions(mentions), rs.screen_threshold, rs.screen_limit)
    assert set(asked) == set(ahead)  # the questions screening asks, and only those, were answered ahead ...
    assert ahead == asked  # ... as screening answers them
    # With every answer ahead nothing is searched, the rows are the same, and the questions asked are kept.
    monkeypatch.setattr(ScreeningIndex, "search_forms", lambda *a, **k: pytest.fail("searched again"))
    kept: Answers = {}
    assert match_rows(mentions, assignments, index, rs.screen_threshold, rs.screen_limit, answers=kept,
                      ahead=ahead) == rows
    assert kept == asked


def test_screening_searches_only_what_was_not_answered_ahead(resolved: DuckDBEngine, settings: Settings,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    rs = settings.resolve
    mentions, assignments, index = _screening(resolved)
    rows = match_rows(mentions, assignments, index, rs.screen_threshold, rs.screen_limit)
    every = answer_all(index, screened_mentions(mentions), rs.screen_threshold, rs.screen_limit)
    half = dict(list(every.items())[::2])
    searched: list[bytes] = []
    real = ScreeningIndex.search_forms

    def search_forms(self: ScreeningIndex, queries: Any, country: Any, schema: Any, *args: Any) -> Any:
        searched.append(question_key(next(iter(queries.values()))[0].original, country, schema))
        return real(self, queries, country, schema, *args)

    monkeypatch.setattr(ScreeningIndex, "search_forms", search_forms)
    assert match_rows(mentions, assignments, index, rs.screen_threshold, rs.screen_limit, ahead=half) == rows
    assert searched and not set(searched) & set(half)


def test_the_worker_answers_every_question_as_this_process_would(resolved: DuckDBEngine, settings: Settings,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rs = settings.resolve
    mentions, _, index = _screening(resolved)
    asked = screened_mentions(mentions)
    assert 0 < asked.num_rows < mentions.num_rows  # the lists' own mentions and unusable names are not asked
    monkeypatch.setattr(prescreening, "AHEAD_MIN", 0)
    monkeypatch.setattr(prescreening, "PART", 3)
    ahead = prescreening.start(index, mentions, rs.screen_threshold, rs.screen_limit)
    assert ahead is not None and ahead.worker is not None
    worker = ahead.worker
    wait_until(lambda: worker.ended)
    assert worker.count == asked.num_rows and len(worker.parts) == -(-asked.num_rows // 3)
    every = answer_all(index, asked, rs.screen_threshold, rs.screen_limit)
    monkeypatch.setattr(prescreening, "_ask", lambda *a: pytest.fail("asked here, with every answer there"))
    assert ahead.result() == every


@pytest.mark.parametrize(("count", "ended"), [(0, True), (2, True), (5, True), (10**6, True), (0, False),
                                               (4, False)])
def test_this_process_answers_from_the_last_mention_back_to_the_worker(count: int, ended: bool,
                                                                        resolved: DuckDBEngine, settings: Settings,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    rs = settings.resolve
    mentions, _, index = _screening(resolved)
    asked = screened_mentions(mentions)
    every = answer_all(index, asked, rs.screen_threshold, rs.screen_limit)
    monkeypatch.setattr(prescreening, "AHEAD_MIN", 0)
    monkeypatch.setattr(prescreening, "PART", 1)
    monkeypatch.setattr(prescreening.os, "nice", lambda n: 0)  # the worker's work, in this process
    fake: list[FakePartsWorker] = []
    def start_parts(module: str, payload: Any, valid: Any) -> FakePartsWorker:
        fake.append(FakePartsWorker(prescreening._answer_parts(payload), count, ended))
        return fake[-1]

    monkeypatch.setattr(workers, "start_parts", start_parts)
    here: list[int] = []
    real_ask = prescreening._ask
    monkeypatch.setattr(prescreening, "_ask", lambda search, rows: here.append(rows.num_rows) or real_ask(search, rows))
    ahead = prescreening.start(index, mentions, rs.screen_threshold, rs.screen_limit)
    assert ahead is not None
    assert ahead.result() == every
    assert fake[0].stopped
    assert set(here) <= {1}  # a mention at a time, from the last one back until the worker's
    # A worker still answering may answer past the meeting point as this process looks: one part over.
    assert asked.num_rows <= len(here) + fake[0].answered <= asked.num_rows + (0 if ended else 1)


def test_a_resolve_answering_ahead_writes_what_one_without_writes(minicase: DuckDBEngine, settings: Settings,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    for name in ("start", "start_parts"):
        real = getattr(workers, name)
        monkeypatch.setattr(workers, name, lambda module, *a, real=real: started.append(module) or real(module, *a))
    resolve(minicase, settings)
    alone = _tables(minicase)
    assert alone["sanctions_matches"] and alone["screening_answers"]
    assert started == []  # the mini case is too small for a child
    monkeypatch.setattr(prescreening, "AHEAD_MIN", 0)
    monkeypatch.setattr(picking, "PICK_IN_WORKER", 0)  # the picking shared between this process and a worker
    for part in (1, 7, 10**6):
        monkeypatch.setattr(prescreening, "PART", part)
        resolve(minicase, settings)
        assert _tables(minicase) == alone
    assert started.count("diversion.resolve.prescreening") == 3
    started.clear()
    resolve(minicase, settings, incremental=True)  # an update with no new mention asks nothing ahead
    assert started == ["diversion.resolve.picking"]
    assert _tables(minicase) == alone


def test_an_update_asks_ahead_about_its_new_mentions_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """An update's new mentions are asked about in a worker; the tables are those of an update without one."""
    first, second = _months()
    written = []
    for ahead in (False, True):
        engine = DuckDBEngine(":memory:")
        Case(engine).sanctioned("ofac-1", "DORRI SYSTEMS FZCO", countries=("AE",))
        engine.insert_arrow("shipments", first)
        resolve(engine, Settings())
        known = engine.fetch_arrow("SELECT mention_id FROM mentions").column(0).to_pylist()
        engine.insert_arrow("shipments", second)
        asked: list[set[str]] = []

        def start(index: ScreeningIndex, mentions: pa.Table, *args: Any, asked: list[set[str]] = asked,
                  real: Any = prescreening.start) -> Any:
            asked.append(set(mentions.column("name").to_pylist()))
            return real(index, mentions, *args)

        monkeypatch.setattr(prescreening, "AHEAD_MIN", 0 if ahead else 10**9)
        monkeypatch.setattr("diversion.resolve.pipeline.answer_ahead", start)
        resolve(engine, Settings(), incremental=True)
        new = engine.fetch_arrow("SELECT name FROM mentions WHERE NOT list_contains(?, mention_id) "
                                 "AND unresolved_reason IS NULL", [known]).column(0).to_pylist()
        assert "Dorri Systems FZCO" in new
        assert asked == ([set(new)] if ahead else [])
        written.append(_tables(engine))
    assert written[0] == written[1]
    assert any(row[1] == "ofac-1" for row in written[0]["sanctions_matches"])
