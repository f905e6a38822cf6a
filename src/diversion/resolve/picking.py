"""Canonical names picked in a worker process while resolve screens (``picking``).

rigour's ``pick_name`` costs about half a millisecond for an entity with
non-Latin names and holds the GIL: 125 s at 3M shipment rows, run after
screening, which takes longer still and needs no canonical name. On two cores
the worker's time hides behind screening's.

The worker is a plain ``python -m diversion.resolve.picking`` child reading the
name lists as a pickle on its standard input and writing the picks on its
standard output: unlike ``multiprocessing``'s spawn it never runs the caller's
own script again. A worker that cannot start or fails leaves the picking to
this process; the names are the same either way.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rigour.names import pick_name

#: Lists beyond which the picking goes to a worker (below, starting one costs more than it saves).
PICK_IN_WORKER = 5_000

Picks = dict[tuple[str, ...], str | None]


def pick_names(lists: list[tuple[str, ...]]) -> Picks:
    """rigour's ``pick_name`` of each list of names."""
    return {names: pick_name(list(names)) for names in lists}


class _Worker:
    """A child process picking the names of ``lists``; ``picks`` reads its answer (``None``: it failed)."""

    def __init__(self, lists: list[tuple[str, ...]]) -> None:
        self.lists = lists
        # The child imports what this process imports, from where it imports it.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(  # noqa: S603 - our own module, run by this interpreter
            [sys.executable, "-m", "diversion.resolve.picking"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        self.sent = False
        self.writer = threading.Thread(target=self._send, daemon=True)
        self.writer.start()

    def _send(self) -> None:
        assert self.process.stdin is not None
        try:
            with self.process.stdin:
                pickle.dump(self.lists, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.sent = True
        except OSError:  # the child died: picks() says so
            pass

    def picks(self) -> Picks | None:
        """The child's picks, or ``None`` when it failed."""
        self.writer.join()
        assert self.process.stdout is not None
        try:
            data = self.process.stdout.read()
        except OSError:
            return None
        if self.process.wait() != 0 or not self.sent:
            return None
        try:
            picked = pickle.loads(data)  # noqa: S301 - written by our own child
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
            return None
        if not isinstance(picked, list) or len(picked) != len(self.lists):
            return None
        return dict(zip(self.lists, picked, strict=True))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextmanager
def picking(lists: list[tuple[str, ...]]) -> Iterator[Callable[[], Picks]]:
    """Pick the canonical names of ``lists`` while the block runs; the block calls what it gets for them.

    More than ``PICK_IN_WORKER`` lists go to a worker process; fewer, or a
    worker that cannot start or fails, are picked in this one.
    """
    worker = None
    if len(lists) > PICK_IN_WORKER:
        try:
            worker = _Worker(lists)
        except OSError:  # no process to be had: pick here
            worker = None

    def result() -> Picks:
        picked = worker.picks() if worker is not None else None
        return picked if picked is not None else pick_names(lists)

    try:
        yield result
    finally:
        if worker is not None:
            worker.stop()


def _main() -> None:
    """The worker: name lists (a pickle) on standard input, their picks (a pickle list) on standard output."""
    lists = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by our parent
    picked = [pick_name(list(names)) for names in lists]
    pickle.dump(picked, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main()
