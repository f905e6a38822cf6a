"""A worker child (``resolve.worker``) ends as soon as it has answered, however late its answer is read."""

from __future__ import annotations

import time
from typing import Any

from rigour.names import pick_name

from diversion.resolve import worker as workers


def test_a_child_ends_once_it_has_answered_though_its_answer_is_read_later() -> None:
    # An answer far larger than a pipe's buffer (64 KiB): a child whose answer nobody reads yet cannot end.
    lists = [(f"Firm {i} Trading", f"FIRM {i} TRADING LLC") for i in range(20_000)]

    def valid(answer: Any) -> bool:
        return isinstance(answer, list) and len(answer) == len(lists)

    worker = workers.start("diversion.resolve.picking", lists, valid)
    assert worker is not None
    try:
        deadline = time.monotonic() + 120
        while worker.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.process.poll() == 0  # ended, its memory freed, before its answer is asked for
        assert worker.result() == [pick_name(list(names)) for names in lists]
    finally:
        worker.stop()
