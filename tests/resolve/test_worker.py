"""A worker child (``resolve.worker``) ends as soon as it has answered, however late its answer is read."""

from __future__ import annotations

import time
from typing import Any

from rigour.names import pick_name

from diversion.resolve import normalising
from diversion.resolve import worker as workers


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
