"""``diversion run``: every stage after ingest, in order."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from diversion.cli.app import app, console, warehouse, warehouse_command
from diversion.config import Settings
from diversion.errors import DiversionError

if TYPE_CHECKING:  # the pipeline (every stage) is imported when it runs: the CLI starts without it
    from diversion.pipeline import PipelineRun


def print_pipeline(result: PipelineRun) -> None:
    """The per-stage summary table shared by ``run`` and ``demo``."""
    table = Table("stage", "result", "seconds", title="Pipeline")
    for stage in result.stages:
        table.add_row(stage.stage, stage.summary, f"{stage.seconds:.1f}")
    console.print(table)
    if result.report is not None:
        console.print(f"Investigation report: [bold]{escape(str(result.report))}[/]", markup=True)


def run_and_print(settings: Settings, report: Path | None, what: str = "the pipeline", command: str = "run",
                  incremental: bool = False) -> None:
    """Run the stages after ingest with a status line, then print their summary (``run`` and ``demo``)."""
    with warehouse(settings) as engine, console.status(f"running {what}") as status:
        from diversion.pipeline import run_pipeline

        result = run_pipeline(engine, settings, report_dir=report,
                              on_stage=lambda stage: status.update(f"running {stage}"), command=command,
                              incremental=incremental)
    print_pipeline(result)


@app.command("run")
@warehouse_command
def run(
    settings: Settings,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the HTML report to this folder.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Resolve every mention again, re-estimate the model and "
                                       "make every finding again (default: only the mentions the last resolve did "
                                       "not see are scored, and unchanged entities keep their findings).")
                    ] = False,
    incremental: Annotated[bool, typer.Option("--incremental", hidden=True,
                                              help="The default; kept for scripts written before it was.")] = False,
) -> None:
    """Resolve entities, build the network, detect red flags and rank leads (optionally report).

    Resolve builds on the last one: after a new month is ingested only its new mentions are scored (see
    `diversion resolve`), and detectors make findings again only for entities whose rows changed (see
    `diversion detect`); `--full` rebuilds from scratch.
    """
    if full and incremental:
        raise DiversionError("--full and --incremental contradict each other; give one")
    run_and_print(settings, report, incremental=not full)
    console.print("Next: `diversion leads`, `diversion lead NAME`, `diversion path BRAND END-USER`, "
                  "`diversion serve`.")
