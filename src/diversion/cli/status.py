"""``diversion status``: what the warehouse holds; ``diversion check``: whether it is exactly its files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from diversion.cli.app import app, console, err_console, warehouse, warehouse_command
from diversion.config import Settings

if TYPE_CHECKING:  # the integrity checks load the warehouse engine: imported when a command runs
    from diversion.sources.integrity import Problem


def _print_problems(problems: list[Problem]) -> None:
    table = Table("problem", "table", "file", "detail", title="Integrity problems")
    for p in problems:
        table.add_row(p.kind, p.table or "", p.path or (p.source_id or "")[:12], p.detail)
    console.print(table)


@app.command()
@warehouse_command
def status(settings: Settings) -> None:
    """Print counts per table and source, the date range, quarantined rows by reason, and integrity problems."""
    with warehouse(settings, read_only=settings.db_path.exists()) as engine:  # read-only: runs beside serve
        from diversion.warehouse_status import warehouse_status  # loads the warehouse engine

        report = warehouse_status(engine)
    console.print(f"Warehouse {settings.db_path}")
    tables = Table("table", "rows", title="Tables")
    for name, count in report.tables.items():
        tables.add_row(name, f"{count:,}")
    console.print(tables)
    if report.date_range:
        console.print(f"Shipments from {report.date_range[0]} to {report.date_range[1]}")
    sources = Table("source", "kind", "format", "loaded", "quarantined", "loaded at", title="Sources")
    for s in report.sources:
        sources.add_row(
            s["path"], s["kind"], s["format"], f"{s['rows_loaded']:,}",
            f"{s['rows_quarantined']:,}", str(s["loaded_at"])[:19],
        )
    console.print(sources)
    if report.quarantine:
        q = Table("kind", "field", "reason", "rows", title="Quarantined rows by reason")
        for row in report.quarantine:
            q.add_row(row["kind"], row["field"] or "", row["reason"], f"{row['n']:,}")
        console.print(q)
    else:
        console.print("No quarantined rows.")
    if report.problems:
        _print_problems(report.problems)
        console.print("Run `diversion check --repair` to remove rows of files that are not recorded.")
    else:
        console.print("Integrity: every loaded row belongs to a recorded file and every file's counts add up.")


@app.command()
@warehouse_command
def check(
    settings: Settings,
    repair: Annotated[bool, typer.Option("--repair", help="Remove rows of files not recorded in sources.")] = False,
) -> None:
    """Check that every loaded row belongs to a recorded file and each file's counts add up (exit 1 if not)."""
    from diversion.sources.integrity import check_warehouse, repair_warehouse

    with warehouse(settings, read_only=not repair and settings.db_path.exists()) as engine:
        if repair:
            removed = repair_warehouse(engine)
            for table, n in removed.items():
                console.print(f"removed {n:,} orphan row(s) from {table}")
        problems = check_warehouse(engine)
    if problems:
        _print_problems(problems)
        err_console.print(f"{len(problems)} integrity problem(s)"
                          + ("" if repair else "; `diversion check --repair` removes orphan rows"))
        raise typer.Exit(1)
    console.print("OK: every loaded row belongs to a recorded file and every file's counts add up.")
