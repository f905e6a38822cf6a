"""``diversion report``: the investigation report as self-contained HTML (PNG charts, optional PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from diversion.cli.app import app, console, warehouse, warehouse_command
from diversion.config import Settings


@app.command()
@warehouse_command
def report(
    settings: Settings,
    out: Annotated[Path, typer.Option("--out", help="Folder to write report.html (and charts/, report.pdf) into.")],
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print report.pdf with headless Chromium.")] = False,
    top: Annotated[int | None, typer.Option("--top", help="Leads that get a full dossier (default: "
                                            "report.top_leads, 5).", show_default=False)] = None,
    png: Annotated[bool | None, typer.Option("--png/--no-png", help="Export every chart as PNG for print "
                                             "(default: report.png).", show_default=False)] = None,
    currency: Annotated[str | None, typer.Option(help="Report values in this currency (default: "
                                                 "report_currency).")] = None,
) -> None:
    """Summary, ranked leads, one dossier per top lead (with the records behind each finding), charts, method.

    Needs the leads once `diversion detect` has run (it says so and stops otherwise).

    Example: diversion report --out report/ --pdf
    """
    with warehouse(settings, read_only=settings.db_path.exists()) as engine, console.status("building report"):
        from diversion.report import build_report

        result = build_report(engine, settings, out, top=top, pdf=pdf, png=png, currency=currency)
    console.print(f"wrote [bold]{escape(str(result.html))}[/] ({len(result.charts)} charts)", markup=True)
    if result.evidence:
        console.print(f"wrote {result.evidence} (every record behind the dossiers' findings)")
    if result.pngs:
        console.print(f"wrote {len(result.pngs)} PNG chart(s) in {result.pngs[0].parent}")
    if result.pdf:
        console.print(f"wrote [bold]{escape(str(result.pdf))}[/]", markup=True)
    for note in result.notes:
        console.print(f"[yellow]{escape(note)}", markup=True)
