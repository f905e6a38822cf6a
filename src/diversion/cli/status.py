"""``diversion status``: what the warehouse holds."""

from __future__ import annotations

from rich.table import Table

from diversion.cli.app import app, console, warehouse, warehouse_command
from diversion.config import Settings


@app.command()
@warehouse_command
def status(settings: Settings) -> None:
    """Print counts per table and source, the date range and quarantined rows by reason."""
    with warehouse(settings, read_only=settings.db_path.exists()) as engine:  # read-only: runs beside serve
        from diversion.warehouse_status import warehouse_status  # loads the warehouse engine

        report = warehouse_status(engine)
    console.print(f"Warehouse [bold]{settings.db_path}[/]")
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
