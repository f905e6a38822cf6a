"""``diversion ingest KIND FILE...``: load source files into the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from diversion.cli.app import app, console, warehouse, warehouse_command
from diversion.config import Settings

if TYPE_CHECKING:  # the parsers (and the warehouse) load when an ingest runs, not with the CLI
    from diversion.sources import LoadResult

ingest_app = typer.Typer(help="Load source files into the warehouse.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")

Files = Annotated[list[Path], typer.Argument(help="Files to load.", show_default=False)]
Strict = Annotated[
    bool, typer.Option("--strict", help="Fail the whole file, writing nothing, on any bad row.")
]
Encoding = Annotated[
    str | None,
    typer.Option("--encoding", help="The files' encoding when they are not UTF-8 (e.g. cp1251); "
                 "UTF-8 and UTF-16/32 with a byte-order mark are recognised without it.", show_default=False),
]


def _run(kind: str, files: list[Path], settings: Settings, strict: bool,
         mapping: Path | None = None, profile: str | None = None, encoding: str | None = None) -> list[LoadResult]:
    results: list[LoadResult] = []
    with warehouse(settings) as engine, Progress(
        TextColumn("{task.description}", style="bold", markup=False), BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as progress:
        task = progress.add_task(f"ingest {kind}", total=len(files))
        for path in files:
            progress.update(task, description=f"ingest {kind}: {path.name}")
            from diversion.sources import ingest_file

            results.append(ingest_file(engine, kind, path, strict=strict, mapping=mapping, profile=profile,
                                       encoding=encoding, limits=settings.ingest))
            progress.advance(task)
    _print_summary(results)
    return results


def _print_summary(results: list[LoadResult]) -> None:
    table = Table("file", "format", "read", "loaded", "duplicate", "quarantined", title="Ingest")
    for r in results:
        if r.already_loaded:
            table.add_row(r.path, "-", "-", "already loaded", "-", "-")
            continue
        table.add_row(r.path, r.format, f"{r.rows_read:,}", f"{r.rows_loaded:,}",
                      f"{r.rows_duplicate:,}", f"{r.rows_quarantined:,}")
    console.print(table)
    for r in results:
        if r.rows_empty:
            console.print(f"  {r.rows_empty:,} empty placeholder row(s) skipped, counted as loaded  "
                          f"({Path(r.path).name})", highlight=False, markup=False)
        for reason, n in sorted(r.quarantine_reasons.items(), key=lambda kv: -kv[1])[:10]:
            console.print(f"  [yellow]quarantined[/] {n:,} × {escape(reason)}  ({escape(Path(r.path).name)})",
                          markup=True)
    total_q = sum(r.rows_quarantined for r in results)
    if total_q:
        console.print(f"{total_q:,} row(s) quarantined; see `diversion status` or the quarantine table.")


@ingest_app.command("shipments")
@warehouse_command
def ingest_shipments(
    settings: Settings,
    files: Files,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="YAML column mapping.")] = None,
    strict: Strict = False,
) -> None:
    """Customs declarations: CSV (any delimiter; UTF-8, BOM, Windows-1251), Parquet, XLSX."""
    _run("shipments", files, settings, strict, mapping)


@ingest_app.command("sanctions")
@warehouse_command
def ingest_sanctions(settings: Settings, files: Files, strict: Strict = False, encoding: Encoding = None) -> None:
    """Sanctions lists: FollowTheMoney JSON lines or the OFAC SDN CSV set (detected)."""
    _run("sanctions", files, settings, strict, encoding=encoding)


@ingest_app.command("registry")
@warehouse_command
def ingest_registry(settings: Settings, files: Files, strict: Strict = False, encoding: Encoding = None) -> None:
    """Company registries: FtM JSON lines, or CSV of companies / ownership links."""
    _run("registry", files, settings, strict, encoding=encoding)


@ingest_app.command("web")
@warehouse_command
def ingest_web(settings: Settings, files: Files, strict: Strict = False, encoding: Encoding = None) -> None:
    """Web evidence: JSON lines, one site a line."""
    _run("web", files, settings, strict, encoding=encoding)


@ingest_app.command("distributors")
@warehouse_command
def ingest_distributors(settings: Settings, files: Files, strict: Strict = False, encoding: Encoding = None) -> None:
    """Authorised distributors: CSV brand, distributor_name, country, domain."""
    _run("distributors", files, settings, strict, encoding=encoding)


@ingest_app.command("rates")
@warehouse_command
def ingest_rates(settings: Settings, files: Files, strict: Strict = False, encoding: Encoding = None) -> None:
    """Exchange rates: CSV month, currency, per_usd (units of currency per US dollar)."""
    _run("rates", files, settings, strict, encoding=encoding)


@ingest_app.command("stats")
@warehouse_command
def ingest_stats(
    settings: Settings,
    files: Files,
    profile: Annotated[str | None, typer.Option(
        "--profile", help="Built-in layout: comtrade (legacy CSV), comtrade-plus (current API/bulk CSV), "
        "comext (Eurostat bulk or SDMX-CSV).")] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="YAML column mapping (other layouts).")] = None,
    strict: Strict = False,
) -> None:
    """Trade statistics (reporter, partner, flow, commodity, period, value): UN Comtrade, Eurostat Comext, others."""
    _run("stats", files, settings, strict, mapping, profile)
