"""A worker child (``diversion.workers``) ends as soon as it has answered, however late its answer is read."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rigour.names import pick_name

from diversion import workers
from diversion.resolve import normalising


def test_a_child_ends_once_it_has_answered_though_its_answer_is_read_later() -> None:
    # An answer far larger than a pipe's buffer (64 KiB): a child whose answer nobody reads yet cannot end.
    keys = [(f"Firm {i} Trading", "Company") for i in range(20_000)]

    def valid(answer: Any) -> bool:
        return isinstance(answer, tuple) and len(answer[0]) == len(keys)

    worker = workers.start("diversion.resolve.normalising", (keys, 500), valid)
    assert worker is not None
    try:
        deadline = time.monotonic() + 120
        while worker.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.process.poll() == 0  # ended, its memory freed, before its answer is asked for
        assert worker.result() == normalising._normalise((keys, 500))
    finally:
        worker.stop()


def test_a_child_answering_in_parts_is_read_part_by_part() -> None:
    lists = [(f"Firm {i} Trading", f"FIRM {i} TRADING LLC") for i in range(20_000)]
    worker = workers.start_parts("diversion.resolve.picking", (lists, 1_000), lambda part: len(part) <= 1_000)
    assert worker is not None
    try:
        deadline = time.monotonic() + 120
        while not worker.ended and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.process.poll() == 0 and worker.count == len(lists)
        assert [len(part) for part in worker.parts] == [1_000] * 20
        assert [pick for part in worker.parts for pick in part] == [pick_name(list(names)) for names in lists]
    finally:
        worker.stop()


class _Progress:
    """A worker that has answered ``start`` items and answers ``step`` more each time its count is read, up to
    ``stall`` (a worker that fails stops short)."""

    def __init__(self, start: int, step: int, stall: int) -> None:
        self.answered, self.step, self.stall, self.stopped = start, step, stall, False
        self.seen: list[int] = []  # the counts read, in order

    @property
    def count(self) -> int:
        self.seen.append(found := self.answered)
        self.answered = min(self.answered + self.step, self.stall)
        return found

    def stop(self) -> None:
        self.stopped = True


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 60), st.integers(1, 7), st.integers(0, 60), st.integers(0, 5), st.integers(0, 60),
       st.booleans())
def test_meet_works_every_item_not_answered_once_from_the_end(items: int, part: int, start: int, step: int,
                                                             stall: int, alone: bool) -> None:
    worker = None if alone else _Progress(min(start, stall), step, stall)
    here: list[tuple[int, int]] = []
    met = workers.meet(worker, items, part, lambda a, b: here.append((a, b)))  # type: ignore[arg-type]
    # Contiguous parts of at most ``part`` items, from the last item back to where the two met.
    assert [b for _, b in here] == ([items, *[a for a, _ in here[:-1]]] if here else [])
    assert all(0 < b - a <= part for a, b in here)
    assert met == (here[-1][0] if here else items)
    if worker is None:
        assert met == 0  # no worker: every item here
    else:
        assert worker.stopped
        # One look before each part: the part ends where the last one began and starts no earlier than the
        # worker had got; after the last part the worker had got there (a stalled worker: to item 0).
        assert len(worker.seen) == len(here) + 1
        assert all(a == max(seen, b - part) and seen < b for (a, b), seen in zip(here, worker.seen, strict=False))
        assert worker.seen[-1] >= met


def test_what_a_child_prints_while_it_works_never_spoils_its_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = workers.start("tests.chatty_worker", [1, 2, 3], lambda answer: isinstance(answer, list))
    assert worker is not None
    assert worker.result() == [2, 4, 6]
    monkeypatch.setenv("CHATTY_PARTS", "1")
    parts = workers.start_parts("tests.chatty_worker", [1, 2, 3], lambda part: len(part) == 1)
    assert parts is not None
    try:
        deadline = time.monotonic() + 60
        while not parts.ended and time.monotonic() < deadline:
            time.sleep(0.05)
        assert parts.process.wait() == 0 and parts.parts == [[2], [4], [6]]
    finally:
        parts.stop()
