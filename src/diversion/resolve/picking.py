"""Canonical names picked in a worker process while resolve screens (``picking``).

rigour's ``pick_name`` costs about half a millisecond for an entity with
non-Latin names and holds the GIL: 125 s at 3M shipment rows, run after
screening, which takes longer still and needs no canonical name. On two cores
the worker's time hides behind screening's.

The worker is a ``resolve.worker`` child; one that cannot start or fails leaves
the picking to this process; the names are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rigour.names import pick_name

from diversion.resolve import worker as workers

#: Lists beyond which the picking goes to a worker (below, starting one costs more than it saves).
PICK_IN_WORKER = 5_000

Picks = dict[tuple[str, ...], str | None]


def pick_names(lists: list[tuple[str, ...]]) -> Picks:
    """rigour's ``pick_name`` of each list of names."""
    return {names: pick_name(list(names)) for names in lists}


def _worker(lists: list[tuple[str, ...]]) -> workers.Worker | None:
    """A child picking the names of ``lists`` (``None``: none could start)."""
    return workers.start("diversion.resolve.picking", lists,
                         lambda answer: isinstance(answer, list) and len(answer) == len(lists))


@contextmanager
def picking(lists: list[tuple[str, ...]], here: float = 0.0) -> Iterator[Callable[[], Picks]]:
    """Pick the canonical names of ``lists`` while the block runs; the block calls what it gets for them.

    More than ``PICK_IN_WORKER`` lists go to a worker process; fewer, or a
    worker that cannot start or fails, are picked in this one. ``here``: the
    share of the lists this process picks itself (the last ones), when the
    block calls for them, before it reads the worker's (a block with little
    else to do: both cores pick).
    """
    mine = min(len(lists), round(len(lists) * here))
    theirs = lists[: len(lists) - mine]
    worker = _worker(theirs) if len(theirs) > PICK_IN_WORKER else None

    def result() -> Picks:
        if worker is None:
            return pick_names(lists)
        picked = pick_names(lists[len(theirs):]) if mine else {}
        found = worker.result()
        picked.update(zip(theirs, found, strict=True) if found is not None else pick_names(theirs).items())
        return picked

    try:
        yield result
    finally:
        if worker is not None:
            worker.stop()


def _pick_all(lists: Any) -> list[str | None]:
    """The worker's work: the picks of ``lists``, in order."""
    return [pick_name(list(names)) for names in lists]


if __name__ == "__main__":
    workers.serve(_pick_all)
