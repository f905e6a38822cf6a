"""The Typer application and what every command shares.

Each command module (``cli/ingest.py``, ``cli/resolve.py``, ...) registers its
commands on ``app`` and only parses arguments and calls one library function.
Errors a user can act on (``DiversionError``) print one line and exit 2.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from diversion.config import Settings, load_settings

if TYPE_CHECKING:  # DuckDB and Arrow load when a command opens the warehouse, not with the CLI
    from diversion.engine import Engine
from diversion.errors import DiversionError

app = typer.Typer(
    name="diversion",
    help="Find export-control evasion networks in trade data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Markup and emoji codes are off: names, paths, queries and error messages are user text, and "[/]" or
# ":flag_ru:" in them must print as written (Rich would raise MarkupError or replace them). Styled output
# says so with ``markup=True`` and escapes what it interpolates (``rich.markup.escape``).
console = Console(markup=False, emoji=False)
err_console = Console(stderr=True, markup=False, emoji=False)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Warehouse file (default: diversion.duckdb here, or $DIVERSION_DB).",
        show_default=False,
    ),
]
EngineOption = Annotated[
    str | None,
    typer.Option("--engine", help="Execution engine: duckdb (default) or spark (Parquet tables in DB's .spark folder).",
                 show_default=False),
]
MasterOption = Annotated[
    str | None,
    typer.Option("--spark-master", help="Spark master URL for --engine spark (default local[2]; "
                 "e.g. spark://host:7077, yarn).", show_default=False),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML config file (default: $DIVERSION_CONFIG or ./diversion.toml)."),
]


def settings_for(
    db: Path | None, engine: str | None = None, config: Path | None = None, spark_master: str | None = None
) -> Settings:
    """Settings with the command line's overrides applied."""
    return load_settings(config_file=config, db_path=db, engine=engine, spark_master=spark_master)


#: The options every warehouse command takes, as (parameter name, annotated type).
_WAREHOUSE_OPTIONS = (
    ("db", DbOption), ("config", ConfigOption), ("engine_name", EngineOption), ("spark_master", MasterOption),
)


def warehouse_command(func: Callable[..., None]) -> Callable[..., None]:
    """Give a command the warehouse options (``--db``, ``--config``, ``--engine``, ``--spark-master``).

    The command declares ``settings: Settings`` as its first parameter instead
    of the four options; Typer sees the command's own parameters followed by
    the options, and the command gets the settings they select.
    """
    signature = inspect.signature(func, eval_str=True)
    own = [p for name, p in signature.parameters.items() if name != "settings"]
    options = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
               for name, annotation in _WAREHOUSE_OPTIONS]

    @functools.wraps(func)
    def command(*args: Any, db: Path | None = None, config: Path | None = None, engine_name: str | None = None,
                spark_master: str | None = None, **kwargs: Any) -> None:
        func(*args, settings=settings_for(db, engine_name, config, spark_master), **kwargs)

    del command.__wrapped__  # Typer reads the signature below, not the function's
    command.__signature__ = signature.replace(parameters=[*own, *options])  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in [*own, *options]}
    return command


@contextmanager
def warehouse(settings: Settings, read_only: bool = False) -> Iterator[Engine]:
    """Open the warehouse the settings name, and close it afterwards.

    Opened for writing, the rows a killed load left behind (``sources.integrity``)
    are removed first, so no stage reads rows of a file that was never recorded.
    """
    from diversion.engine import open_engine

    engine = open_engine(settings.db_path, settings.engine, read_only=read_only, spark_master=settings.spark_master,
                         spark_driver_memory=settings.spark_driver_memory, memory_limit=settings.memory_limit)
    try:
        if not read_only:
            from diversion.sources.integrity import remove_interrupted_loads

            removed = remove_interrupted_loads(engine)
            if removed:
                err_console.print(f"removed {sum(removed.values()):,} row(s) of an interrupted load "
                                  f"({', '.join(sorted(removed))})")
        yield engine
    finally:
        engine.close()


def print_error(message: object) -> None:
    """Print ``error: MESSAGE`` on stderr; the message is plain text, and printing it never raises."""
    try:
        err_console.print(Text.assemble(("error:", "bold red"), " ", str(message)), highlight=False, soft_wrap=True)
    except Exception:  # noqa: BLE001 - the last resort must not fail: a broken terminal, an odd encoding
        sys.stderr.write(f"error: {str(message)!r}\n")


def main() -> None:
    """Console entry point: run the app, turning known errors into one line."""
    try:
        app()
    except DiversionError as exc:
        print_error(exc)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


@app.callback()
def _root() -> None:
    """Find export-control evasion networks in trade data.

    Stages: ingest → resolve → graph → detect → leads; flows, report and serve
    show the results. Every command takes --db (default ./diversion.duckdb).
    """
