"""What every request handler shares: settings, the warehouse, the name catalog, templates, workers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.templating import Jinja2Templates

from diversion.config import Settings
from diversion.web.catalog import Catalog
from diversion.web.warehouse import WebWarehouse
from diversion.web.workers import Workers


@dataclass
class AppState:
    """The app's long-lived objects, built once by ``create_app``."""

    settings: Settings
    wh: WebWarehouse
    catalog: Catalog
    templates: Jinja2Templates
    workers: Workers


async def get_state(request: Request) -> AppState:
    """FastAPI dependency: the app's shared state (async: no thread-pool hop)."""
    return request.app.state.diversion  # type: ignore[no-any-return]
