"""Run the stages after ingest in order: resolve → graph → detect → leads (→ report).

The library entry point behind ``diversion run`` and the end of ``diversion demo``.
Each stage rebuilds its own tables, so running the pipeline twice gives the
same warehouse. Run alone, a stage whose input stage has not run stops and
names the command (``read.stages``); ``run`` chains them so each finds its input.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from diversion.config import Settings
from diversion.engine import Engine

#: The stages in pipeline order.
STAGES = ("resolve", "graph", "detect", "leads")


@dataclass
class StageRun:
    """One stage's outcome: a one-line summary and how long it took."""

    stage: str
    summary: str
    seconds: float


@dataclass
class PipelineRun:
    """What ``run_pipeline`` did, stage by stage."""

    stages: list[StageRun] = field(default_factory=list)
    report: Path | None = None


def run_pipeline(
    engine: Engine,
    settings: Settings,
    report_dir: Path | None = None,
    on_stage: Callable[[str], None] | None = None,
    command: str = "run",
    incremental: bool = False,
) -> PipelineRun:
    """Resolve entities, build the network, detect red flags and rank leads.

    With ``report_dir``, also write the HTML investigation report there.
    ``on_stage`` is called with each stage's name before it starts (progress).
    The run is recorded in the run log as ``command`` (``diversion changes``).
    ``incremental``: resolve scores only new mentions (``resolve.incremental``), the network keeps the trade
    and brand edges whose shipments did not change (``graph.carry``), and detectors keep the findings of
    entities whose rows did not change (``detect.carry``).
    """
    from diversion.runs import recorded_run

    out = PipelineRun()
    with recorded_run(engine, command) as log:
        _run_stages(engine, settings, report_dir, on_stage, out, log.stage, incremental)
    return out


def _run_stages(
    engine: Engine,
    settings: Settings,
    report_dir: Path | None,
    on_stage: Callable[[str], None] | None,
    out: PipelineRun,
    logged: Callable[[str], AbstractContextManager[None]],
    incremental: bool = False,
) -> None:
    # Imported here: each stage pulls heavy libraries (Splink, plotly) that
    # commands which never run the pipeline should not pay for.
    from diversion.detect import detect_counts
    from diversion.graph import build_graph
    from diversion.leads import build_leads
    from diversion.read.leads import LeadCounts, lead_counts
    from diversion.resolve.pipeline import resolve

    def timed(stage: str, work: Callable[[], str]) -> None:
        if on_stage is not None:
            on_stage(stage)
        started = time.perf_counter()
        with logged(stage):
            summary = work()
        out.stages.append(StageRun(stage, summary, time.perf_counter() - started))

    def do_resolve() -> str:
        r = resolve(engine, settings, incremental=True) if incremental else resolve(engine, settings)
        return (f"{r.mentions:,} mentions → {r.entities:,} entities; {r.sanctions_matches:,} sanctions matches; "
                f"{r.decisions:,} analyst decisions honoured")

    def do_graph() -> str:
        g = build_graph(engine, settings, carry=incremental)
        kept = f" ({g.carried:,} carried over unchanged)" if g.carried else ""
        return f"{g.nodes:,} nodes, {g.edges:,} edges{kept}"

    def do_detect() -> str:
        carried: dict[str, int] = {}
        counts = detect_counts(engine, settings, carry=incremental, carried=carried)
        kept = f" ({sum(carried.values()):,} carried over unchanged)" if sum(carried.values()) else ""
        return f"{sum(counts.values()):,} findings from {sum(1 for n in counts.values() if n)} detectors{kept}"


    def do_leads() -> str:
        carried: dict[str, int] = {}
        build_leads(engine, settings, carry=incremental, carried=carried, top=0)  # counted in the table
        counts = lead_counts(engine, settings) or LeadCounts(settings.leads.threshold, 0, 0, 0)
        kept = f" ({carried['leads']:,} rows carried over unchanged)" if carried.get("leads") else ""
        return (f"{counts.above:,} leads at or above the threshold {counts.threshold} (of {counts.leads:,} ranked); "
                f"{counts.context:,} entities with findings but no trade listed apart{kept}")

    timed("resolve", do_resolve)
    timed("graph", do_graph)
    timed("detect", do_detect)
    timed("leads", do_leads)
    if report_dir is not None:
        from diversion.report.build import build_report

        def do_report() -> str:
            result = build_report(engine, settings, report_dir)
            out.report = result.html
            return f"{result.html} ({len(result.charts)} charts)"

        timed("report", do_report)
