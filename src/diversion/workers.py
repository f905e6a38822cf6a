"""A child process doing one piece of a resolve's Python work on the second core.

Resolve's per-name work (normalising names, picking canonical names) is pure
Python and holds the GIL: a thread gains nothing, a second process does. The
child is a plain ``python -m <module>`` reading its input as a pickle on its
standard input and writing its answer as a pickle on its standard output:
unlike ``multiprocessing``'s spawn it never runs the caller's own script
again, and unlike a fork it shares no DuckDB threads or locks. A child that
cannot start, fails or answers nonsense gives ``None``; the caller then does
the work itself, with the same result.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, TypeVar

log = logging.getLogger(__name__)


class Worker:
    """``python -m module`` working on ``payload``; ``result`` reads its answer (``None``: it failed).

    ``valid``: whether an answer is one (anything else counts as a failure).
    Raises ``OSError`` when no process can be started.
    """

    def __init__(self, module: str, payload: Any, valid: Callable[[Any], bool]) -> None:
        self.module, self.payload, self.valid = module, payload, valid
        # The child imports what this process imports, from where it imports it.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(  # noqa: S603 - our own module, run by this interpreter
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        self.sent = False
        self.writer = threading.Thread(target=self._send, daemon=True)
        self.writer.start()
        # The answer is read as soon as the child writes it, so that the child ends then and its memory is
        # freed: the caller may want the answer much later (it is held here as bytes until then).
        self.data: bytes | OSError = b""
        self.reader = threading.Thread(target=self._receive, daemon=True)
        self.reader.start()

    def _send(self) -> None:
        assert self.process.stdin is not None
        try:
            with self.process.stdin:
                pickle.dump(self.payload, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.sent = True
        except OSError:  # the child died: result() says so
            pass
        self.payload = None  # the child has it: not held here while it works

    def _receive(self) -> None:
        assert self.process.stdout is not None
        try:
            self.data = self.process.stdout.read()
        except OSError as exc:  # result() says so
            self.data = exc

    def result(self) -> Any | None:
        """The child's answer, or ``None`` when it failed (logged: the work is then done here, more slowly)."""
        self.writer.join()
        self.reader.join()
        data, self.data = self.data, b""
        if isinstance(data, OSError):
            return self._failed(f"its answer could not be read ({data})")
        code = self.process.wait()
        if code != 0 or not self.sent:
            return self._failed(f"it exited with code {code}" if code != 0 else "it did not take its input")
        try:
            answer = pickle.loads(data)  # noqa: S301 - written by our own child
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
            return self._failed("its answer was not a pickle")
        return answer if self.valid(answer) else self._failed("its answer was not the one asked for")

    def _failed(self, why: str) -> Any | None:
        log.warning("worker process %s failed: %s; its work is done in this process", self.module, why)
        return None

    def stop(self) -> None:
        """End the child if it still runs (a caller that no longer wants its answer)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.reader.join()  # at the end of what the child wrote
        if self.process.stdout is not None:
            self.process.stdout.close()


class Share:
    """The part of some work a ``Worker`` does, kept here so that this process can do it when the worker fails."""

    def __init__(self, held: Any, worker: Worker) -> None:
        self.held, self.worker = held, worker

    def result(self) -> Any | None:
        """The worker's answer (``None``: it failed, and ``held`` is this process's to work on)."""
        return self.worker.result()

    def stop(self) -> None:
        """End the worker if it still runs (a caller that left before asking for its answer)."""
        self.worker.stop()


def share(module: str, held: Any, payload: Any, valid: Callable[[Any], bool]) -> Share | None:
    """A ``Worker`` started on ``payload`` (made from ``held``), or ``None`` when no process can be started."""
    worker = start(module, payload, valid)
    return None if worker is None else Share(held, worker)


#: A kind of worker (``_started``).
W = TypeVar("W", bound="Worker")


class PartsWorker(Worker):
    """A ``Worker`` whose child answers part by part (``serve_parts``), each part read as soon as it is written.

    ``parts`` holds the parts read so far, ``count`` how many items they hold (parts are lists), ``ended``
    whether the child has written all it will: what came before a part that is not one (``valid``) holds.
    """

    def __init__(self, module: str, payload: Any, valid: Callable[[Any], bool]) -> None:
        self.parts: list[list[Any]] = []
        self.count = 0
        self.ended = False
        self.stopping = False
        super().__init__(module, payload, valid)

    def _receive(self) -> None:
        assert self.process.stdout is not None
        try:
            while True:
                part = pickle.load(self.process.stdout)  # noqa: S301 - written by our own child
                if not isinstance(part, list) or not self.valid(part):
                    self._failed("a part of its answer was not the one asked for")
                    break
                self.parts.append(part)
                self.count += len(part)  # after the part is there: a reader of ``count`` finds its items
        except EOFError:  # the child has ended: a failure if it says so
            code = self.process.wait()
            if code != 0 and not self.stopping:
                self._failed(f"it exited with code {code}")
        except (OSError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError) as exc:
            if not self.stopping:  # a child stopped mid-part is not a failure
                self._failed(f"its answer could not be read ({exc})")
        finally:
            self.ended = True

    def stop(self) -> None:
        self.stopping = True
        super().stop()


def meet(worker: PartsWorker | None, items: int, part: int, here: Callable[[int, int], None]) -> int:
    """Work through ``items`` items from the last one back, ``part`` at a time (``here(start, end)``), until
    reaching those ``worker`` answered from the first one on; stop the worker then. The place where the two met:
    the worker's answers before it are wanted. No worker, or one that fails: every item is worked here.

    Neither process waits for the other however fast each one goes (a fixed share left one core idle
    whenever one ran slower than planned); this process looks at how far the worker got after each part.
    """
    end = items
    try:
        while end > (done := 0 if worker is None else worker.count):
            start = max(done, end - part)
            here(start, end)
            end = start
    finally:
        if worker is not None:
            worker.stop()
    return end


def start(module: str, payload: Any, valid: Callable[[Any], bool]) -> Worker | None:
    """A ``Worker``, or ``None`` when no process can be started (the caller works alone)."""
    return _started(Worker, module, payload, valid)


def start_parts(module: str, payload: Any, valid: Callable[[Any], bool]) -> PartsWorker | None:
    """A ``PartsWorker`` (``valid``: whether a part is one), or ``None`` when no process can be started."""
    return _started(PartsWorker, module, payload, valid)


def _started(kind: type[W], module: str, payload: Any, valid: Callable[[Any], bool]) -> W | None:
    try:
        return kind(module, payload, valid)
    except OSError as exc:
        log.warning("no worker process for %s (%s); its work is done in this process", module, exc)
        return None


def serve_parts(work: Callable[[Any], Iterable[list[Any]]]) -> None:
    """The child's side of a ``PartsWorker``: each part ``work`` yields for the pickle on standard input, as a
    pickle on standard output as soon as it is made."""
    with _answer_channel() as out:
        payload = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by our parent
        for part in work(payload):
            pickle.dump(part, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()


def serve(work: Callable[[Any], Any]) -> None:
    """The child's side: ``work`` on the pickle on standard input, its answer as a pickle on standard output."""
    with _answer_channel() as out:
        payload = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by our parent
        pickle.dump(work(payload), out, protocol=pickle.HIGHEST_PROTOCOL)


def _answer_channel() -> BinaryIO:
    """The child's standard output as it was started, for its answer alone.

    From now on anything else written to standard output (a library's ``print``, C code writing to
    descriptor 1) goes to standard error instead: read as part of the answer, it would spoil it, and the
    parent would do the work again.
    """
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return out
