"""CPU work off the event loop: a bounded pool for screening, and a time budget per request.

``POST /match`` scores names in pure Python. Run on the event loop, one heavy
request stalled every other one (``/healthz`` waited 7.6 s behind a 39 KB
batch). Here it runs in a small thread pool instead; the event loop keeps
answering, and the other routes (``/search``, ``/entities``, pages) get their
share of the interpreter at every switch interval.

- **Bounded**: at most ``threads`` jobs run and ``queue`` more wait; a request
  beyond that is answered 503 at once (``Busy``), with ``Retry-After``.
- **Budget**: each job gets a ``Deadline``; the matcher checks it between names
  and candidates. A job that waited its whole budget in the queue is answered
  503 (``Busy``); one that needs more than its budget to compute, 422
  (``OverBudget``: send fewer queries or names per request).

More threads would not add throughput (one interpreter runs Python on one core
at a time); ``diversion serve --workers N`` runs N processes for that.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Busy(Exception):
    """The pool is full or the request waited its whole budget: try again shortly (HTTP 503)."""


class OverBudget(Exception):
    """The request needs more than its time budget to compute (HTTP 422)."""


class Deadline:
    """When a job must be done; ``check`` raises once it has passed."""

    def __init__(self, budget_s: float) -> None:  # noqa: D107
        self.budget_s = budget_s
        self.at = time.monotonic() + budget_s
        self.started = False

    def restart(self) -> None:
        """Give the job its whole budget again from now (after one-off work that is not the request's)."""
        self.at = time.monotonic() + self.budget_s

    def check(self) -> None:
        """Raise ``Busy`` (never started in time) or ``OverBudget`` (started, ran out)."""
        if time.monotonic() > self.at:
            if not self.started:
                raise Busy(f"the server is busy: this request waited more than {self.budget_s:g} s; retry shortly")
            raise OverBudget(
                f"this request needs more than the {self.budget_s:g} s one request may take; "
                "send fewer queries or fewer names per query"
            )


class Workers:
    """A fixed pool of threads with an admission limit."""

    def __init__(self, threads: int, queue: int, budget_s: float) -> None:  # noqa: D107
        self.budget_s = budget_s
        self._pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="diversion-match")
        self._slots = threading.BoundedSemaphore(max(1, threads) + max(0, queue))

    async def run(self, job: Callable[[Deadline], T]) -> T:
        """Run ``job(deadline)`` in the pool; ``Busy`` when no slot is free."""
        if not self._slots.acquire(blocking=False):
            raise Busy("the server is busy screening other requests; retry shortly")
        deadline = Deadline(self.budget_s)

        def call() -> T:
            deadline.check()  # waited its whole budget in the queue: do not start
            deadline.started = True
            return job(deadline)

        try:
            future: Future[T] = self._pool.submit(call)
        except RuntimeError:  # shutting down
            self._slots.release()
            raise Busy("the server is shutting down") from None
        # The slot frees when the job ends, not when the client goes away: the pool's count stays true.
        future.add_done_callback(lambda _f: self._slots.release())
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Stop taking jobs; running ones finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)
