"""Canonical names picked on both cores: a worker process from the first list on, this one from the last back.

rigour's ``pick_name`` held the GIL for 43 s at 3M shipment rows (``names.canonical`` now answers the
costly lists first: 7 s), needed only once screening is done. A worker (a
``diversion.workers`` child) starts picking from the first list while this process screens, and hands
its picks back part by part (``PartsWorker``). When resolve needs the names, this process picks
from the last list backwards, looking after each part at how far the worker got, until the two
meet (``worker.meet``); then the worker is stopped. So neither core waits for the other, however long screening took
(a fixed share left one core idle whenever screening or the worker ran slower than planned).

A worker that cannot start or fails leaves the lists it did not answer to this process; the names
are the same whichever process picks them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from diversion import workers
from diversion.names.canonical import canonical_name

#: Lists beyond which the picking goes to a worker (below, starting one costs more than it saves).
PICK_IN_WORKER = 5_000

#: Lists per part: the worker hands back its picks this many at a time, and this process picks as many
#: between two looks at how far the worker got (a part takes about 0.1 s).
PART = 500

Picks = dict[tuple[str, ...], str | None]


def pick_names(lists: list[tuple[str, ...]]) -> Picks:
    """The canonical name of each list of names (``names.canonical``: rigour's ``pick_name``)."""
    return {names: canonical_name(names) for names in lists}


def _picks(lists: list[tuple[str, ...]]) -> list[str | None]:
    return [canonical_name(names) for names in lists]


class Picking:
    """The canonical names of some lists, picked by a worker and, when called, by this process too."""

    def __init__(self, lists: list[tuple[str, ...]]) -> None:
        self.lists = lists
        self.worker = workers.start_parts("diversion.resolve.picking", (lists, PART), _valid) \
            if len(lists) > PICK_IN_WORKER else None
        #: How many lists this process picked (the last ones).
        self.here = 0

    def __call__(self) -> Picks:
        """Every list's pick: the worker's from the first on, this process's from the last back to them."""
        worker, lists = self.worker, self.lists
        if worker is None:
            self.here = len(lists)
            return pick_names(lists)
        mine: list[list[str | None]] = []
        end = workers.meet(worker, len(lists), PART, lambda start, end: mine.append(_picks(lists[start:end])))
        theirs = [pick for part in worker.parts for pick in part][:end]
        self.here = len(lists) - end
        return dict(zip(lists, theirs + [pick for part in reversed(mine) for pick in part], strict=True))

    def stop(self) -> None:
        """Stop the worker (its remaining picks are not wanted)."""
        if self.worker is not None:
            self.worker.stop()


def _valid(part: Any) -> bool:
    return all(pick is None or isinstance(pick, str) for pick in part)


@contextmanager
def picking(lists: list[tuple[str, ...]]) -> Iterator[Picking]:
    """Pick the canonical names of ``lists`` while the block runs; the block calls what it gets for them.

    More than ``PICK_IN_WORKER`` lists start a worker at once; the call picks the rest in this process
    (fewer lists, or a worker that cannot start or fails: all of them, here).
    """
    found = Picking(lists)
    try:
        yield found
    finally:
        found.stop()


def _pick_parts(payload: Any) -> Iterator[list[str | None]]:
    """The worker's work: the picks of the lists, in order, a part (``PART`` lists) at a time."""
    lists, size = payload
    for start in range(0, len(lists), size):
        yield _picks(lists[start:start + size])


if __name__ == "__main__":
    workers.serve_parts(_pick_parts)
