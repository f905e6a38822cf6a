"""Run the app with uvicorn: one process, or several (``--workers``) for more screening throughput."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI

from diversion.config import Settings, load_settings
from diversion.errors import ConfigError
from diversion.web.app import create_app

log = logging.getLogger(__name__)

#: Addresses that mean "every interface": they name no host a browser would send.
ANY_INTERFACE = {"0.0.0.0", "::", ""}  # noqa: S104 (names, not a bind)
#: How long a worker process may take to answer the supervisor's health ping (startup included).
WORKER_STARTUP_S = 120


def with_bound_host(settings: Settings, host: str) -> Settings:
    """The settings with the address ``serve`` listens on added to the Host allow-list.

    >>> with_bound_host(Settings(), "10.0.0.5").web.allowed_hosts
    'localhost,127.0.0.1,[::1],10.0.0.5'
    """
    allowed = [h.strip() for h in settings.web.allowed_hosts.split(",") if h.strip()]
    name = f"[{host}]" if ":" in host else host
    if host in ANY_INTERFACE or name in allowed or "*" in allowed:
        return settings
    return replace(settings, web=replace(settings.web, allowed_hosts=",".join([*allowed, name])))


def app_from_env() -> FastAPI:
    """The app of one worker process: settings from ``DIVERSION_*`` (set by ``serve``) and the config file."""
    return create_app(load_settings())


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    announce: Callable[[str], None] | None = None,
    workers: int = 1,
    config: Path | None = None,
) -> None:
    """Serve the warehouse at ``http://host:port/`` until interrupted.

    Writing (the review queue) is enabled only when ``settings.web.api_key``
    is set; the key itself is never printed. ``announce`` receives one line
    once the warehouse is open (the CLI prints it). ``workers`` > 1 runs that
    many processes, each with its own read-only connection and name indexes;
    review decisions need one process (a write needs every reader to let go).
    """
    import uvicorn

    # Screening computes in a pool thread; other requests' threads get the interpreter within 0.5 ms of
    # asking (Python's default is 5 ms), which keeps /search and /entities quick while /match is loaded.
    sys.setswitchinterval(0.0005)
    settings = with_bound_host(settings, host)
    if workers > 1 and settings.web.api_key:
        raise ConfigError("review decisions (an API key is set) need --workers 1: a write needs the only connection")
    mode = "read-write for API-key holders" if settings.web.api_key else "read-only"
    line = f"Serving {settings.db_path} on http://{host}:{port}/ ({mode}"
    line += f", {workers} processes); API docs at /docs" if workers > 1 else "); API docs at /docs"
    if workers <= 1:
        app = create_app(settings)
        (announce or log.info)(line)
        # proxy_headers off: the app is meant for loopback or behind a proxy the operator configures.
        uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False, server_header=False)
        return
    # Worker processes rebuild the settings from the environment: the command line's choices go there.
    os.environ["DIVERSION_DB"] = str(settings.db_path)
    os.environ["DIVERSION_WEB__ALLOWED_HOSTS"] = settings.web.allowed_hosts
    if config is not None:
        os.environ["DIVERSION_CONFIG"] = str(config)
    create_app(settings).state.diversion.wh.close()  # fail here, in words, if the warehouse cannot be opened
    (announce or log.info)(line)
    # A worker answers the supervisor's health pings only once it has imported the app and built its name
    # indexes: seconds, and more on a busy machine. With uvicorn's default of 5 s it was killed and restarted
    # over and over, and the server never answered.
    uvicorn.run("diversion.web.serve:app_from_env", factory=True, workers=workers,
                timeout_worker_healthcheck=WORKER_STARTUP_S, host=host, port=port, log_level=log_level,
                proxy_headers=False, server_header=False)
