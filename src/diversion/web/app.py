"""The FastAPI application factory."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from diversion.config import Settings, load_settings
from diversion.errors import DiversionError
from diversion.web import api, pages
from diversion.web.catalog import Catalog
from diversion.web.security import SecurityMiddleware
from diversion.web.state import AppState
from diversion.web.templating import add_filters
from diversion.web.warehouse import WebWarehouse

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def plotly_js() -> bytes:
    """plotly.js as shipped inside the plotly wheel (served locally: no CDN)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app on the warehouse ``settings.db_path``.

    The warehouse is opened read-only unless ``settings.web.api_key`` is set,
    in which case the review queue may write analyst decisions.

    >>> create_app(load_settings(db_path="missing.duckdb"))  # doctest: +SKIP
    """
    settings = settings or load_settings()
    wh = WebWarehouse(settings.db_path, writable=bool(settings.web.api_key))
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    add_filters(templates.env)

    catalog = Catalog(wh)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Index names while the first pages are served; /match and /search wait for it if needed.
        threading.Thread(target=catalog.warm, name="diversion-catalog", daemon=True).start()
        yield
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
    app.state.diversion = AppState(settings=settings, wh=wh, catalog=catalog, templates=templates)
    app.state.api_key = settings.web.api_key
    app.add_middleware(SecurityMiddleware, max_body_bytes=settings.web.max_body_bytes)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.get("/assets/plotly.min.js", include_in_schema=False)
    def plotly_asset() -> Response:
        return Response(plotly_js(), media_type="text/javascript", headers={"cache-control": "public, max-age=86400"})

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        return templates.TemplateResponse(request, "docs.html", {"request": request})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(DiversionError)
    async def diversion_error(request: Request, exc: DiversionError) -> JSONResponse:
        log.warning("request failed: %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        if _wants_html(request):
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
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


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    state: AppState = request.app.state.diversion
    return state.templates.TemplateResponse(
        request,
        "error.html",
        {"request": request, "title": title, "detail": detail, "can_write": False, "writable": False, "message": ""},
        status_code=status,
    )
