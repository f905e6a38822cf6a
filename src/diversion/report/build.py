"""Build the investigation report: gather, draw, render one self-contained HTML file, export PNG/PDF.

The HTML carries plotly.js once, inline, so it opens offline and fetches
nothing; every chart is also written as ``charts/<name>.png`` for print.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from diversion.config import Settings
from diversion.engine import Engine
from diversion.errors import DiversionError
from diversion.flows.queries import check_currency
from diversion.flows.render import money
from diversion.flows.run import has_rates
from diversion.report import sections
from diversion.report.dossier import build_dossier
from diversion.report.export import export_pdf, export_pngs
from diversion.report.flowcharts import flow_section

PLOT_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png", "scale": 2}}


@dataclass
class ReportResult:
    """Files written and anything that could not be produced."""

    html: Path
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
    return env


def _div(slug: str, fig: go.Figure) -> Markup:
    html = pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=slug, config=PLOT_CONFIG)
    return Markup(f'<figure class="chart" data-chart="{slug}">{html}</figure>')  # noqa: S704 (plotly's own HTML)


def build_report(engine: Engine, settings: Settings, out_dir: Path, top: int | None = None,
                 pdf: bool = False, png: bool | None = None, currency: str | None = None) -> ReportResult:
    """Write ``out_dir/report.html`` (and ``charts/*.png``, ``report.pdf``) from the warehouse.

    Sections whose stage has not run say which command to run instead.
    """
    if not engine.table_exists("shipments"):
        raise DiversionError("the warehouse holds no shipments; run `diversion ingest shipments FILE` first")
    cur = check_currency(currency or settings.report_currency)
    top = settings.report.top_leads if top is None else top
    out_dir.mkdir(parents=True, exist_ok=True)
    result = ReportResult(html=out_dir / "report.html")
    if currency is None and not has_rates(engine, cur):
        # The default currency is a preference; without its rates, state values in US dollars instead.
        result.notes.append(f"no {cur} exchange rates loaded: values are stated in USD")
        cur = "USD"

    flows = flow_section(engine, settings, cur)
    leads = sections.ranked_leads(engine, settings.report.max_leads_listed)
    dossiers = [build_dossier(engine, settings, lead, cur) for lead in (leads or [])[:top]]
    figures: dict[str, go.Figure] = dict(flows.figures) if flows else {}
    for d in dossiers:
        figures.update(d.figures)
    result.charts = list(figures)

    context: dict[str, Any] = {
        "title": "Diversion investigation report",
        "generated": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "version": importlib.metadata.version("diversion"),
        "currency": cur,
        "cutoff": settings.detect.cutoff_date,
        "destination": settings.detect.destination_country,
        "findings": sections.findings_summary(engine),
        "findings_missing": sections.missing("findings"),
        "leads": leads,
        "leads_missing": sections.missing("leads"),
        "top": top,
        "dossiers": dossiers,
        "flows": flows,
        "provenance": sections.provenance(engine, settings),
        "chart": {slug: _div(slug, fig) for slug, fig in figures.items()},
        "money": lambda v: money(v, cur),
        "plotly_js": Markup(get_plotlyjs()),  # noqa: S704 (the bundled library, inlined once)
    }
    html = _env().get_template("report.html.j2").render(**context)
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
