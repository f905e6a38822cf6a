"""Canonical names picked in a worker process (``entities.picking``) are the names picked in this one."""

from __future__ import annotations

from typing import Any

import pytest

from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.resolve import entities
from diversion.resolve.clustering import Assignment
from diversion.resolve.entities import entities_frame, names_to_pick, pick_names, picking
from diversion.resolve.mentions import collect_mentions
from diversion.resolve.pipeline import resolve


def _entities(engine: DuckDBEngine) -> list[tuple[Any, ...]]:
    return engine.fetch_all("SELECT * FROM entities ORDER BY entity_id")


def test_the_worker_picks_what_this_process_picks(minicase: DuckDBEngine, settings: Settings,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    resolve(minicase, settings)
    here = _entities(minicase)
    started: list[Any] = []

    class Spied(entities.ProcessPoolExecutor):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            started.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(entities, "PICK_IN_WORKER", 0)  # every list goes to the worker
    monkeypatch.setattr(entities, "ProcessPoolExecutor", Spied)
    resolve(minicase, settings)
    assert started  # the worker ran
    assert _entities(minicase) == here
    assert minicase.scalar("SELECT count(*) FROM entities WHERE len(names) > 1")  # there was picking to do


def test_names_to_pick_are_the_lists_the_frame_picks(minicase: DuckDBEngine, settings: Settings,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    resolve(minicase, settings)
    mentions = collect_mentions(minicase, 500)
    ids = mentions.column("mention_id").to_pylist()
    by_mention = dict(minicase.fetch_all("SELECT mention_id, entity_id FROM entity_mentions"))
    assignments = {m: Assignment(by_mention[m], 1.0) for m in ids}
    lists = names_to_pick(mentions, assignments)
    assert lists and all(len(names) > 1 for names in lists)
    asked: list[list[str]] = []
    real = entities.pick_name
    monkeypatch.setattr(entities, "pick_name", lambda names: asked.append(names) or real(names))
    frame = entities_frame(mentions, assignments, picked=pick_names(lists))
    asked_when_picking = len(asked)
    assert asked_when_picking == len(lists)  # pick_names asked each list once; the frame asked none again
    assert entities_frame(mentions, assignments) == frame
    assert len(asked) == 2 * len(lists)


def test_a_worker_that_fails_leaves_the_picking_here(monkeypatch: pytest.MonkeyPatch) -> None:
    lists = [("OOO AMG", "AMG LLC", 'ООО "АМГ"'), ("Amegino FZE", "Amegino FZCO")]
    monkeypatch.setattr(entities, "PICK_IN_WORKER", 0)

    class Broken:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise OSError("no processes here")

    monkeypatch.setattr(entities, "ProcessPoolExecutor", Broken)
    with picking(lists) as picked:
        assert picked() == pick_names(lists)
