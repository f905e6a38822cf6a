"""``diversion serve``: the web app and screening API."""

from __future__ import annotations

from typing import Annotated

import typer

from diversion.cli.app import ConfigOption, DbOption, app, console, settings_for
from diversion.errors import DiversionError


@app.command()
def serve(
    db: DbOption = None,
    config: ConfigOption = None,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Processes (more screening throughput; read-only only).")
    ] = 1,
) -> None:
    """Serve the warehouse in a browser and as a JSON API (read-only unless DIVERSION_WEB__API_KEY is set)."""
    from diversion.engine import engine_class  # loaded when serve runs: keeps every other command's start fast
    from diversion.web import serve as run

    settings = settings_for(db, config=config)
    if not engine_class(settings.engine).interactive:
        # The web app answers single-entity lookups in milliseconds: a job engine cannot.
        raise DiversionError(
            f"serve reads a warehouse whose engine answers lookups in milliseconds (DuckDB), not "
            f"{settings.engine}; copy the warehouse over first: `diversion export --engine {settings.engine} "
            "--to parquet DIR`, then `diversion export --from parquet DIR`")
    run(settings, host=host, port=port, announce=lambda line: console.print(line, highlight=False), workers=workers,
        config=config)
