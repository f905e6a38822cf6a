"""Lead rows made on two cores (``leads.split``) are the ones made on one, whole entities on each side."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from diversion.config import Settings
from diversion.detect import run_detection
from diversion.engine import DuckDBEngine
from diversion.graph import build_graph
from diversion.leads import build_leads, split
from tests.detect.minicase import build_minicase

S = Settings()


def _tables(engine: DuckDBEngine) -> tuple[list[tuple], list[tuple]]:
    return (engine.fetch_all("SELECT * FROM leads ORDER BY section, rank"),
            engine.fetch_all("SELECT * FROM lead_basis ORDER BY entity_id"))


@pytest.fixture
def ranked(tmp_path, monkeypatch):
    """The mini case detected, its leads ranked with every row made here: (engine, leads, tables)."""
    with DuckDBEngine(tmp_path / "mini.duckdb") as engine:
        case = build_minicase(engine)
        build_graph(engine, S)
        run_detection(engine, S)
        monkeypatch.setattr(split, "SPLIT_ROWS", 10**12)
        alone = build_leads(engine, S)
        tables = _tables(engine)
        monkeypatch.setattr(split, "SPLIT_ROWS", 2)  # from here on, every ranking of two findings is shared
        yield engine, case, alone, tables


def test_rows_a_worker_makes_are_the_ones_made_here(ranked, worker_answers) -> None:
    engine, _, alone, tables = ranked
    assert build_leads(engine, S) == alone
    assert _tables(engine) == tables
    made = [answer for answer in worker_answers if answer is not None]
    assert len(made) == 1 and 0 < made[0].num_rows < len(alone)


def test_a_worker_that_fails_leaves_its_entities_to_this_process(ranked, failing_worker) -> None:
    engine, _, alone, tables = ranked
    assert build_leads(engine, S) == alone
    assert _tables(engine) == tables
    assert failing_worker == ["diversion.leads.split"]


def test_a_carried_ranking_shared_with_a_worker_equals_one_from_scratch(ranked, worker_answers,
                                                                       monkeypatch) -> None:
    engine, case, _, _ = ranked
    for entity in (case.broker, case.front, case.importer, case.end_user):  # their rows are made again
        engine.execute("UPDATE nodes SET label = label || ' (renamed)' WHERE node_id = ?", [entity])
    carried: dict[str, int] = {}
    shared = build_leads(engine, S, carry=True, carried=carried)
    assert carried["leads"] > 0
    made = [answer for answer in worker_answers if answer is not None]
    assert made and all("(renamed)" in name for name in made[-1].column("name").to_pylist())
    written = _tables(engine)
    monkeypatch.setattr(split, "SPLIT_ROWS", 10**12)
    assert build_leads(engine, S) == shared
    assert _tables(engine) == written


@given(st.lists(st.sampled_from("abcde"), min_size=1, max_size=12), st.integers(0, 12))
def test_a_cut_falls_between_two_entities(ids: list[str], at: int) -> None:
    rows = pa.table({"entity_id": sorted(ids)})
    at = min(at, len(ids))
    cut = split.entity_boundary(rows, at)
    assert cut >= at
    assert cut in (0, len(ids)) or rows["entity_id"][cut] != rows["entity_id"][cut - 1]
    assert all(rows["entity_id"][i] == rows["entity_id"][at - 1] for i in range(at, cut))
