"""``diversion demo``: write the synthetic case data set and load it into the warehouse."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from diversion.cli.app import app, console, warehouse, warehouse_command
from diversion.cli.run import run_and_print
from diversion.config import Settings

# The demo generator and loader are imported by the commands: the CLI starts without them (issue #14).
if TYPE_CHECKING:
    from diversion.sources import LoadResult


@app.command("demo")
@warehouse_command
def demo(
    settings: Settings,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the data set to.")] = Path("demo-data"),
    scale: Annotated[int, typer.Option("--scale", min=1, help="Multiply ordinary companies and shipments.")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 7,
    no_load: Annotated[bool, typer.Option("--no-load", help="Only write the files.")] = False,
    pipeline: Annotated[bool, typer.Option("--pipeline/--no-pipeline",
                                           help="After loading, run resolve, graph, detect and leads.")] = True,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the HTML investigation report "
                                                "to this folder.")] = None,
) -> None:
    """Write a SYNTHETIC data set replaying the seeds' case (FT / C4ADS, 2024) and load it.

    Every record is invented; the figures mimic the reported aggregates. The
    answer key is in OUT/truth/ (not loaded).
    """
    started = time.perf_counter()
    with console.status(f"writing synthetic data set to {out} (scale {scale}, seed {seed})"):
        from diversion.demo import generate_demo

        files = generate_demo(out, scale=scale, seed=seed)
    written = time.perf_counter() - started
    n_files = len(files.plan())
    console.print(f"[bold]SYNTHETIC DATA[/] written to {escape(str(out))}: {n_files} files in {written:.1f}s "
                  f"(answer key in {escape(str(out / 'truth'))})", markup=True)
    if no_load:
        return
    with warehouse(settings) as engine, Progress(
        TextColumn("{task.description}", style="bold", markup=False), BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as progress:
        task = progress.add_task("load", total=n_files)

        def step(path: Path, done: int, total: int) -> None:
            progress.update(task, completed=done, description=f"load {path.parent.name}/{path.name}")

        from diversion.demo import load_demo

        results = load_demo(engine, files, progress=step)
    _summary(results, settings.db_path, time.perf_counter() - started)
    if not pipeline:
        return
    run_and_print(settings, report, "the pipeline on the demo", command="demo")
    console.print("Next: `diversion leads`, `diversion lead AMG`, `diversion path Tsugami Kometa`, "
                  "`diversion serve`.")


def _summary(results: list[LoadResult], db: Path, seconds: float) -> None:
    table = Table("kind", "file", "read", "loaded", "quarantined", title="Demo load")
    for r in results:
        name = "/".join(Path(r.path).parts[-2:])
        if r.already_loaded:
            table.add_row(r.kind, name, "-", "already loaded", "-")
        else:
            table.add_row(r.kind, name, f"{r.rows_read:,}", f"{r.rows_loaded:,}", f"{r.rows_quarantined:,}")
    console.print(table)
    quarantined = sum(r.rows_quarantined for r in results)
    console.print(f"Loaded into {db} in {seconds:.1f}s; {quarantined:,} planted bad row(s) quarantined "
                  "(see `diversion status`).")
