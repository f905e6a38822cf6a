"""The screening pool lets interactive requests in flight run first, for a bounded time per job."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from diversion.web.workers import InteractiveMiddleware, Workers


def _started_after(workers: Workers) -> float:
    async def go() -> float:
        t0 = time.monotonic()
        return await workers.run(lambda _deadline: time.monotonic() - t0)

    return asyncio.run(go())


def test_a_job_waits_for_interactive_requests_up_to_its_yield_time() -> None:
    workers = Workers(1, 4, budget_s=10, yield_s=0.6)
    try:
        assert _started_after(workers) < 0.5  # nothing interactive: starts at once, not after the yield time
        with workers.interactive:
            assert 0.6 <= _started_after(workers) < 3.0  # waits, but not for ever
    finally:
        workers.close()


def test_a_job_starts_as_soon_as_the_interactive_request_ends() -> None:
    workers = Workers(1, 4, budget_s=10, yield_s=5.0)

    async def go() -> float:
        t0 = time.monotonic()
        with workers.interactive:
            job = asyncio.ensure_future(workers.run(lambda _deadline: time.monotonic() - t0))
            await asyncio.sleep(0.1)
        return await job

    try:
        assert 0.1 <= asyncio.run(go()) < 2.0
    finally:
        workers.close()


def test_the_middleware_counts_pages_and_lookups_not_screening() -> None:
    workers = Workers(1, 4, budget_s=10)
    seen: dict[str, int] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen[scope["path"]] = workers.interactive.in_flight

    middleware = InteractiveMiddleware(app, workers.interactive)  # type: ignore[arg-type]
    for path in ("/entities/e-1", "/search/default", "/ui/leads", "/match/default", "/healthz", "/static/app.css"):
        asyncio.run(middleware({"type": "http", "path": path}, None, None))  # type: ignore[arg-type]
    workers.close()
    assert seen == {"/entities/e-1": 1, "/search/default": 1, "/ui/leads": 1, "/match/default": 0, "/healthz": 0,
                    "/static/app.css": 0}
    assert workers.interactive.in_flight == 0
