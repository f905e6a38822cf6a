"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from diversion.config import Settings, load_settings
from diversion.errors import DiversionError
from diversion.web import api, pages
from diversion.web.catalog import Catalog
from diversion.web.security import SecurityMiddleware, Sessions, Throttle
from diversion.web.state import AppState
from diversion.web.templating import add_filters
from diversion.web.warehouse import WebWarehouse
from diversion.web.workers import Busy, InteractiveMiddleware, OverBudget, Workers

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def plotly_js() -> bytes:
    """plotly.js as shipped inside the plotly wheel (served locally: no CDN)."""
    from plotly.offline import get_plotlyjs

    script: str = get_plotlyjs()
    return script.encode("utf-8")


def _warm(state: AppState) -> None:
    """Build the name indexes, then read one entity as its page would.

    The first entity read loads the read layer's modules and DuckDB's first
    blocks of each table (160 ms on a 10k-entity warehouse): paid here, at
    start-up, not by the first user.
    """
    state.catalog.warm()
    try:
        first = next(iter(state.catalog.entities.records), None)
        if first is not None:
            api.entity_detail(state, first)
    except Exception as exc:  # noqa: BLE001 - best effort: the app shut down meanwhile (its connection closed
        # under this thread), or an old warehouse; the page itself will say what is wrong
        log.info("entity reads not warmed: %s", exc)
    # The indexes are millions of long-lived objects: left to the collector, every full collection walks
    # them all (a pause of every request of 100 ms and more). Frozen, collections see only new objects.
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app on the warehouse ``settings.db_path``.

    The warehouse is opened read-only; when ``settings.web.api_key`` is set,
    the review queue may write analyst decisions (the file is held read-write
    only while one is written).

    >>> create_app(load_settings(db_path="missing.duckdb"))  # doctest: +SKIP
    """
    settings = settings or load_settings()
    wh = WebWarehouse(settings.db_path, settings.engine, writable=bool(settings.web.api_key),
                      query_threads=settings.web.query_threads)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    add_filters(templates.env)

    catalog = Catalog(wh)
    wh.on_change.append(catalog.refresh)  # another process rewrote the file: names reload on next use
    web = settings.web
    workers = Workers(web.match_threads, web.match_queue, web.request_budget_s, web.match_yield_s)
    sessions, throttle = Sessions(), Throttle(web.login_attempts, web.login_lockout_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Index names while the first pages are served; /match and /search wait for it if needed.
        threading.Thread(target=_warm, args=(app.state.diversion,), name="diversion-catalog", daemon=True).start()
        yield
        workers.close()
        wh.close()

    app = FastAPI(
        lifespan=lifespan,
        title="diversion",
        summary="Screening API and investigation views over a diversion warehouse.",
        description=(
            "`POST /match/{dataset}` answers in the shape of the OpenSanctions yente matching API. "
            "Everything is read-only except `POST /review`, which needs the operator's `X-API-Key`."
        ),
        version="0.1.0",
        docs_url=None,  # replaced below by a page that loads Swagger UI from this server, not a CDN
        redoc_url=None,
    )
    app.state.diversion = AppState(settings=settings, wh=wh, catalog=catalog, templates=templates, workers=workers)
    app.state.api_key = settings.web.api_key
    app.state.sessions, app.state.throttle = sessions, throttle
    hosts = frozenset(h.strip().lower() for h in web.allowed_hosts.split(",") if h.strip())
    app.add_middleware(InteractiveMiddleware, interactive=workers.interactive)
    app.add_middleware(SecurityMiddleware, max_body_bytes=web.max_body_bytes, allowed_hosts=hosts,
                       throttle=throttle, sessions=sessions)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.get("/assets/plotly.min.js", include_in_schema=False)
    def plotly_asset() -> Response:
        return Response(plotly_js(), media_type="text/javascript", headers={"cache-control": "public, max-age=86400"})

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        return templates.TemplateResponse(request, "docs.html", {"request": request})

    @app.get("/healthz", tags=["System information"])
    async def healthz() -> dict[str, str]:
        """200 while the server runs (async: answered on the event loop, even when every worker is busy)."""
        return {"status": "ok"}

    @app.exception_handler(DiversionError)
    async def diversion_error(request: Request, exc: DiversionError) -> Response:
        # Messages of DiversionError are written for users (the warehouse's SQL stays in the log).
        log.warning("request failed: %s %s: %s", request.method, request.url.path, exc)
        if _wants_html(request):
            return _error_page(request, 503, "The warehouse cannot answer", str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"retry-after": "1"})

    @app.exception_handler(OverBudget)
    async def over_budget(request: Request, exc: OverBudget) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Never a traceback or a query to the client: the log has them.
        log.exception("request failed: %s %s", request.method, request.url.path)
        detail = "internal error; the server log has the details"
        if _wants_html(request):
            return _error_page(request, 500, "Something went wrong", detail)
        return JSONResponse({"detail": detail}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # loc/msg/type only: the input is not echoed (it may be a lone surrogate that JSON cannot carry).
        errors = [{k: _printable(v) for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        if _wants_html(request):
            detail = "; ".join(f"{'.'.join(str(part) for part in _parts(e['loc']))}: {e['msg']}" for e in errors)
            return _error_page(request, 422, "Invalid request", detail)
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_html(request):
            return _error_page(request, exc.status_code, "Request refused", str(exc.detail))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    return app


def _wants_html(request: Request) -> bool:
    return request.url.path.startswith(("/ui/", "/login", "/logout")) or request.url.path == "/"


def _parts(loc: object) -> list[object]:
    """An error location (a list or tuple of keys) as a list."""
    return list(loc) if isinstance(loc, list | tuple) else [loc]


def _printable(value: object) -> object:
    """``value`` with lone surrogates replaced, so that the error itself can be sent as JSON."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    state: AppState = request.app.state.diversion
    return state.templates.TemplateResponse(
        request,
        "error.html",
        {"request": request, "title": title, "detail": detail, "can_write": False, "writable": False, "message": ""},
        status_code=status,
    )
