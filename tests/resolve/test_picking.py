"""Canonical names picked in a worker process (``resolve.picking``) are the names picked in this one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from diversion import workers
from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.resolve import entities, picking
from diversion.resolve.clustering import Assignment
from diversion.resolve.entities import entities_frame, names_to_pick
from diversion.resolve.mentions import collect_mentions
from diversion.resolve.picking import pick_names
from diversion.resolve.pipeline import resolve
from tests.resolve.conftest import FakePartsWorker, wait_until


def _entities(engine: DuckDBEngine) -> list[tuple[Any, ...]]:
    return engine.fetch_all("SELECT * FROM entities ORDER BY entity_id")


def test_the_worker_picks_what_this_process_picks(minicase: DuckDBEngine, settings: Settings,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    resolve(minicase, settings)
    here = _entities(minicase)
    monkeypatch.setattr(picking, "PICK_IN_WORKER", 0)  # every list goes to the worker ...
    monkeypatch.setattr(picking.Picking, "__call__", _after_the_worker(picking.Picking.__call__))
    resolve(minicase, settings)  # ... which picks them all before they are asked for
    assert _entities(minicase) == here
    assert minicase.scalar("SELECT count(*) FROM entities WHERE len(names) > 1")  # there was picking to do


def _after_the_worker(call: Any) -> Any:
    """``Picking.__call__`` once the worker has answered for every list (it then picks none here)."""
    def waited(self: picking.Picking) -> Any:
        assert self.worker is not None
        wait_until(lambda: self.worker.ended)
        assert self.worker.count == len(self.lists)
        found = call(self)
        assert self.here == 0
        return found
    return waited


def test_names_to_pick_are_the_lists_the_frame_picks(minicase: DuckDBEngine, settings: Settings,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    resolve(minicase, settings)
    mentions = collect_mentions(minicase, 500)
    ids = mentions.column("mention_id").to_pylist()
    by_mention = dict(minicase.fetch_all("SELECT mention_id, entity_id FROM entity_mentions"))
    assignments = {m: Assignment(by_mention[m], 1.0) for m in ids}
    lists = names_to_pick(mentions, assignments)
    assert lists and all(len(names) > 1 for names in lists)
    asked: list[tuple[str, ...]] = []
    real_pick = entities.canonical_name
    monkeypatch.setattr(entities, "canonical_name", lambda names: asked.append(tuple(names)) or real_pick(names))
    frame = entities_frame(mentions, assignments, picked=pick_names(lists))
    assert asked == []  # every list the frame needed was picked already
    assert entities_frame(mentions, assignments) == frame
    assert sorted(asked) == sorted(lists)  # and those are the lists it picks itself


LISTS = [("OOO AMG", "AMG LLC", 'ООО "АМГ"'), ("Amegino FZE", "Amegino FZCO"),
         ("深圳易络科技有限公司", "ELE Technology")]


def test_the_worker_answers_for_every_list(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = pick_names(LISTS)
    monkeypatch.setattr(picking, "PICK_IN_WORKER", 0)
    monkeypatch.setattr(picking, "PART", 1)  # one list per part
    with picking.picking(LISTS) as picked:
        assert picked.worker is not None
        wait_until(lambda: picked.worker.ended)
        assert [len(part) for part in picked.worker.parts] == [1] * len(LISTS)
        assert picked() == expected
        assert picked.here == 0


def test_a_worker_that_fails_leaves_the_picking_here(failing_worker: list[str], monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(picking, "PICK_IN_WORKER", 0)
    with picking.picking(LISTS) as picked:
        if picked.worker is not None:
            wait_until(lambda: picked.worker.ended)
        assert picked() == pick_names(LISTS)
        assert picked.here == len(LISTS)
    assert failing_worker == ["diversion.resolve.picking"]
    assert any("diversion.resolve.picking" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_few_lists_are_picked_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "PartsWorker", lambda *args: pytest.fail("a worker for two lists"))
    with picking.picking(LISTS[:2]) as picked:
        assert picked() == pick_names(LISTS[:2])
        assert picked.here == 2


def test_kept_rows_stand_in_for_their_entities_in_id_order(minicase: DuckDBEngine, settings: Settings) -> None:
    """An update's unchanged entities keep their stored rows (Arrow, never turned into dictionaries)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    resolve(minicase, settings)
    mentions = collect_mentions(minicase, 500)
    by_mention = dict(minicase.fetch_all("SELECT mention_id, entity_id FROM entity_mentions"))
    assignments = {m: Assignment(by_mention[m], 1.0) for m in mentions.column("mention_id").to_pylist()}
    full = entities_frame(mentions, assignments)
    several = full.filter(pc.greater(full.column("mention_count"), 1))
    kept = several.slice(0, 3)
    kept = kept.set_column(kept.schema.get_field_index("canonical_name"), "canonical_name",
                           pa.array(["KEPT"] * kept.num_rows))
    lists = names_to_pick(mentions, assignments, kept)
    assert not {tuple(n) for n in kept.column("names").to_pylist()} & set(lists)  # kept ones are not picked
    frame = entities_frame(mentions, assignments, kept)
    assert frame.column("entity_id").to_pylist() == full.column("entity_id").to_pylist()
    renamed = {e for e, n in zip(frame.column("entity_id").to_pylist(), frame.column("canonical_name").to_pylist(),
                                 strict=True) if n == "KEPT"}
    assert renamed == set(kept.column("entity_id").to_pylist())
    assert frame.schema == full.schema


LISTS = [("OOO AMG", "AMG LLC", 'ООО "АМГ"'), ("Amegino FZE", "Amegino FZCO"),
         ("深圳易络科技有限公司", "ELE Technology"), ("Kometa JSC", "АО Комета"), ("A", "B")]


def _parts_of_two(lists: list[tuple[str, ...]]) -> Iterator[list[str | None]]:
    """A worker's picks of ``lists``, two lists a part."""
    for start in range(0, len(lists), 2):
        yield [pick_names([names])[names] for names in lists[start:start + 2]]


@pytest.mark.parametrize(("count", "ended", "here"), [(0, True, 5), (2, True, 3), (4, True, 1), (5, True, 0),
                                                      (0, False, 1), (1, False, 1)])
def test_this_process_picks_from_the_last_list_back_to_the_worker(count: int, ended: bool, here: int,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    expected = pick_names(LISTS)
    monkeypatch.setattr(picking, "PICK_IN_WORKER", 0)
    monkeypatch.setattr(picking, "PART", 1)
    fake: list[FakePartsWorker] = []
    def start_parts(module: str, payload: Any, valid: Any) -> FakePartsWorker:
        fake.append(FakePartsWorker(_parts_of_two(payload[0]), count, ended))
        return fake[-1]

    monkeypatch.setattr(workers, "start_parts", start_parts)
    asked: list[tuple[str, ...]] = []
    monkeypatch.setattr(picking, "_picks", lambda lists: asked.extend(lists) or [expected[n] for n in lists])
    with picking.picking(LISTS) as picked:
        assert picked() == expected
        assert picked.here == here
    assert asked == list(reversed(LISTS))[:here]  # the last ones, from the end back
    assert fake[0].stopped
