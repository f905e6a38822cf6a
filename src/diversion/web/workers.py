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

- **Interactive first**: the pool's thread shares one interpreter with the
  threads answering ``/search``, ``/entities`` and the pages, and a page makes
  ten warehouse reads, taking the interpreter back after each. While such a
  request is in flight (``Interactive`` counts them), the screening thread
  waits before its next job, up to ``yield_s`` per job: a user opening a
  page keeps a quick answer while a batch client screens at full speed.

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

from starlette.types import ASGIApp, Receive, Scope, Send

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


class Interactive:
    """How many interactive requests (anything but screening) the server is answering now."""

    def __init__(self) -> None:  # noqa: D107
        self._lock = threading.Lock()
        self.in_flight = 0

    def __enter__(self) -> None:
        with self._lock:
            self.in_flight += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.in_flight -= 1


#: Paths that are no interactive work: screening itself, and answers that cost no interpreter time to speak of.
NOT_INTERACTIVE = ("/match", "/healthz", "/readyz", "/static/", "/assets/")


class InteractiveMiddleware:
    """Pure ASGI middleware: counts the interactive requests in flight for the screening pool's ``Interactive``."""

    def __init__(self, app: ASGIApp, interactive: Interactive) -> None:  # noqa: D107
        self.app = app
        self.interactive = interactive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(NOT_INTERACTIVE):
            await self.app(scope, receive, send)
            return
        with self.interactive:
            await self.app(scope, receive, send)


class Workers:
    """A fixed pool of threads with an admission limit."""

    #: Pause of the screening thread while interactive requests are in flight, checked this often.
    YIELD_STEP_S = 0.0005

    def __init__(self, threads: int, queue: int, budget_s: float, yield_s: float = 0.0) -> None:  # noqa: D107
        self.budget_s = budget_s
        #: Longest a job waits for interactive requests before it starts (0: never waits).
        self.yield_s = yield_s
        self.interactive = Interactive()
        self._pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="diversion-match")
        self._slots = threading.BoundedSemaphore(max(1, threads) + max(0, queue))

    async def run(self, job: Callable[[Deadline], T]) -> T:
        """Run ``job(deadline)`` in the pool; ``Busy`` when no slot is free."""
        if not self._slots.acquire(blocking=False):
            raise Busy("the server is busy screening other requests; retry shortly")
        deadline = Deadline(self.budget_s)

        def call() -> T:
            self._yield()
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

    def _yield(self) -> None:
        """Let interactive requests in flight run first, up to ``yield_s`` (sleeping frees the interpreter)."""
        until = time.monotonic() + self.yield_s
        while self.interactive.in_flight > 0 and time.monotonic() < until:
            time.sleep(self.YIELD_STEP_S)

    def close(self) -> None:
        """Stop taking jobs; running ones finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)
