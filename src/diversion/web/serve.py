"""Run the app with uvicorn."""

from __future__ import annotations

import logging
from collections.abc import Callable

from diversion.config import Settings
from diversion.web.app import create_app

log = logging.getLogger(__name__)


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve the warehouse at ``http://host:port/`` until interrupted.

    Writing (the review queue) is enabled only when ``settings.web.api_key``
    is set; the key itself is never printed. ``announce`` receives one line
    once the warehouse is open (the CLI prints it).
    """
    import uvicorn

    app = create_app(settings)
    mode = "read-write for API-key holders" if settings.web.api_key else "read-only"
    line = f"Serving {settings.db_path} on http://{host}:{port}/ ({mode}); API docs at /docs"
    (announce or log.info)(line)
    # proxy_headers off: the app is meant for loopback or behind a proxy the operator configures.
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False, server_header=False)
