"""A large row-wise stream's findings made on two cores (``detect.split``) are the ones made on one."""

from __future__ import annotations

from typing import Any

import pytest

from diversion.config import Settings
from diversion.detect import detect_counts, split
from diversion.engine import Engine

S = Settings()
#: The detectors that stream ``rowwise``: each row's findings made from that row alone.
ROWWISE = {"priority_goods", "brand_diversion"}


def _findings(engine: Engine) -> list[tuple]:
    return engine.fetch_all("SELECT * FROM findings ORDER BY finding_id")


def _alone(engine: Engine, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> list[tuple]:
    """The findings a run writes on the warehouse as it is now with every finding made in this process."""
    monkeypatch.setattr(split, "SPLIT_ROWS", 10**12)
    detect_counts(engine, S, **kwargs)
    monkeypatch.setattr(split, "SPLIT_ROWS", 2)  # from here on, every row-wise stream of two rows is shared
    return _findings(engine)


def test_findings_a_worker_makes_are_the_ones_made_here(case_engine, monkeypatch, worker_answers) -> None:
    engine, _ = case_engine
    alone = _alone(engine, monkeypatch)
    detect_counts(engine, S)
    assert _findings(engine) == alone
    made = [answer for answer in worker_answers if answer is not None]
    assert {d for table in made for d in table.column("detector").to_pylist()} == ROWWISE
    for table in made:  # the first half of each stream's rows, each row a finding in these two detectors
        detector = table.column("detector")[0].as_py()
        assert 0 < table.num_rows < sum(1 for row in alone if row[1] == detector)


def test_a_worker_that_fails_leaves_its_rows_to_this_process(case_engine, monkeypatch, failing_worker) -> None:
    engine, _ = case_engine
    alone = _alone(engine, monkeypatch)
    detect_counts(engine, S)
    assert _findings(engine) == alone
    assert failing_worker.count("diversion.detect.split") == len(ROWWISE)


def test_an_update_that_carries_with_a_worker_writes_what_a_full_run_writes(case_engine, monkeypatch,
                                                                               worker_answers) -> None:
    engine, case = case_engine
    detect_counts(engine, S)
    for entity in (case.front, case.broker, case.importer):  # renamed: their findings are made again
        engine.execute("UPDATE nodes SET label = label || ' (renamed)' WHERE node_id = ?", [entity])
    monkeypatch.setattr(split, "SPLIT_ROWS", 2)
    carried: dict[str, int] = {}
    detect_counts(engine, S, carry=True, carried=carried)
    remade = _findings(engine)
    assert carried["priority_goods"] > 0  # the other entities' findings were kept
    made = [answer for answer in worker_answers if answer is not None and answer.num_rows]
    assert made and all("(renamed)" in summary for table in made for summary in table.column("summary").to_pylist())
    assert remade == _alone(engine, monkeypatch)


def test_a_stream_below_the_threshold_starts_no_worker(case_engine, monkeypatch, worker_answers) -> None:
    engine, _ = case_engine
    monkeypatch.setattr(split, "SPLIT_ROWS", 10**6)
    detect_counts(engine, S)
    assert worker_answers == []
