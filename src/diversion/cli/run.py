"""``diversion run``: every stage after ingest, in order."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from diversion.cli.app import ConfigOption, DbOption, app, console, settings_for, warehouse
from diversion.pipeline import PipelineRun, run_pipeline


def print_pipeline(result: PipelineRun) -> None:
    """The per-stage summary table shared by ``run`` and ``demo``."""
    table = Table("stage", "result", "seconds", title="Pipeline")
    for stage in result.stages:
        table.add_row(stage.stage, stage.summary, f"{stage.seconds:.1f}")
    console.print(table)
    if result.report is not None:
        console.print(f"Investigation report: [bold]{result.report}[/]")


@app.command("run")
def run(
    report: Annotated[Path | None, typer.Option("--report", help="Also write the HTML report to this folder.")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Resolve entities, build the network, detect red flags and rank leads (optionally report)."""
    settings = settings_for(db, config=config)
    with warehouse(settings) as engine, console.status("running the pipeline") as status:
        result = run_pipeline(engine, settings, report_dir=report,
                              on_stage=lambda stage: status.update(f"running {stage}"))
    print_pipeline(result)
    console.print("Next: `diversion leads`, `diversion lead NAME`, `diversion path BRAND END-USER`, "
                  "`diversion serve`.")
