"""Build the investigation report: gather, draw, render one self-contained HTML file, export PNG/PDF/CSV.

Leads, dossiers, evidence and money come from the read layer (``diversion.read``)
the CLI and the web app use. The HTML carries plotly.js once, inline, so it
opens offline and fetches nothing; every chart is also written as
``charts/<name>.png``, and every record behind the dossiers' findings as
``evidence.csv``. The page prints on A4 (print CSS, no chart toolbars).
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from plotly.offline import get_plotlyjs

from diversion.config import Settings
from diversion.detect.registry import severity
from diversion.engine import Engine
from diversion.errors import DiversionError
from diversion.flows.queries import check_currency
from diversion.flows.run import has_rates
from diversion.read.evidence import evidence_csv
from diversion.read.leads import lead_counts, lead_page
from diversion.read.money import amount, money
from diversion.read.stages import require_stage, synthetic_note
from diversion.report import sections
from diversion.report.dossier import build_dossier
from diversion.report.export import export_pdf, export_pngs
from diversion.report.flowcharts import flow_section

#: No mode bar (it would print on paper); charts still zoom and show values on hover.
PLOT_CONFIG = {"displaylogo": False, "displayModeBar": False, "responsive": True}


@dataclass
class ReportResult:
    """Files written and anything that could not be produced."""

    html: Path
    evidence: Path | None = None
    pngs: list[Path] = field(default_factory=list)
    pdf: Path | None = None
    charts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _env() -> Environment:
    env = Environment(loader=PackageLoader("diversion.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda v, digits=1: "–" if v is None else f"{v * 100:.{digits}f}%"
    env.filters["num"] = lambda v: "–" if v is None else f"{v:,}"
    env.filters["score"] = lambda v: "–" if v is None else f"{v:.2f}"
    env.filters["doc"] = doc_html
    env.filters["severity"] = severity
    env.filters["basename"] = lambda v: "" if v is None else Path(str(v)).name
    return env


def doc_html(text: str) -> Markup:
    """Method text (a docstring) as HTML: escaped, with ````name```` as code instead of literal backticks."""
    escaped = str(escape(text))
    return Markup(re.sub(r"``(.+?)``", r"<code>\1</code>", escaped))  # noqa: S704 (escaped above)


def _div(slug: str, fig: go.Figure) -> Markup:
    html = pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=slug, config=PLOT_CONFIG)
    return Markup(f'<figure class="chart" data-chart="{slug}">{html}</figure>')  # noqa: S704 (plotly's own HTML)


def build_report(engine: Engine, settings: Settings, out_dir: Path, top: int | None = None,
                 pdf: bool = False, png: bool | None = None, currency: str | None = None) -> ReportResult:
    """Write ``out_dir/report.html``, ``evidence.csv`` (and ``charts/*.png``, ``report.pdf``) from the warehouse.

    Sections whose stage has not run say which command to run instead; once
    detection has run, a report without (or with stale) leads is refused with
    the command to run.
    """
    if not engine.table_exists("shipments"):
        raise DiversionError("the warehouse holds no shipments; run `diversion ingest shipments FILE` first")
    require_stage(engine, "report")
    cur = check_currency(currency or settings.report_currency)
    top = settings.report.top_leads if top is None else top
    out_dir.mkdir(parents=True, exist_ok=True)
    result = ReportResult(html=out_dir / "report.html")
    if not has_rates(engine, cur):
        if currency is not None:
            raise DiversionError(f"no exchange rates for {cur}: load them with `diversion ingest rates FILE`")
        result.notes.append(f"no {cur} exchange rates (loaded or shipped): values are stated in USD")
        cur = "USD"
    notes = []
    if cur != settings.report_currency and has_rows_of(engine, "findings"):
        notes.append(f"Flag sentences state amounts in {settings.report_currency}, the currency detection ran in; "
                     f"tables and charts use {cur}.")

    flows = flow_section(engine, settings, cur)
    counts = lead_counts(engine, settings)
    listed = settings.report.max_leads_listed
    leads = lead_page(engine, settings, above_threshold=False, limit=listed)[1] if counts else None
    context = lead_page(engine, settings, section="context", above_threshold=False, limit=listed)[1] if counts \
        else None
    dossiers = [build_dossier(engine, settings, lead, cur) for lead in (leads or [])[:top]]
    figures: dict[str, go.Figure] = dict(flows.figures) if flows else {}
    for d in dossiers:
        figures.update(d.figures)
    result.charts = list(figures)
    result.evidence = out_dir / "evidence.csv"
    names = {d.entity.entity_id: d.entity.name for d in dossiers}
    result.evidence.write_text(evidence_csv([f for d in dossiers for f in d.entity.findings], names, cur),
                               encoding="utf-8")

    context_vars: dict[str, Any] = {
        "title": "Diversion investigation report",
        "generated": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "version": importlib.metadata.version("diversion"),
        "currency": cur,
        "cutoff": settings.detect.cutoff_date,
        "destination": settings.detect.destination_country,
        "synthetic": synthetic_note(engine),
        "notes": notes,
        "findings": sections.findings_summary(engine, settings),
        "findings_missing": sections.missing("findings"),
        "leads": leads,
        "counts": counts,
        "context": context,
        "leads_missing": sections.missing("leads"),
        "top": top,
        "dossiers": dossiers,
        "flows": flows,
        "provenance": sections.provenance(engine, settings),
        "chart": {slug: _div(slug, fig) for slug, fig in figures.items()},
        "money": lambda v: money(v, cur),
        "amount": lambda v: amount(v, cur),
        "plotly_js": Markup(get_plotlyjs()),  # noqa: S704 (the bundled library, inlined once)
    }
    html = _env().get_template("report.html.j2").render(**context_vars)
    result.html.write_text(html, encoding="utf-8")

    if settings.report.png if png is None else png:
        result.pngs, note = export_pngs(figures, out_dir / "charts")
        if note:
            result.notes.append(note)
    if pdf:
        target = out_dir / "report.pdf"
        note = export_pdf(result.html, target)
        if note:
            result.notes.append(note)
        else:
            result.pdf = target
    return result


def has_rows_of(engine: Engine, table: str) -> bool:
    """Whether ``table`` holds rows (the findings of a detection run)."""
    return sections.has_rows(engine, table)
