"""Plotly figures for the report: pure functions from flow data to figures.

Every figure states its currency in an axis title, uses fonts that carry
Cyrillic and CJK glyphs, and has a fixed height so it prints on one page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import plotly.graph_objects as go

from diversion.read.money import money, symbol

FONT = "DejaVu Sans, 'WenQuanYi Zen Hei', 'Noto Sans CJK SC', Arial, sans-serif"
#: Colour-blind-safe palette (Okabe–Ito), then greys for "other".
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
OTHER = "other"


def _layout(fig: go.Figure, title: str, height: int = 440) -> go.Figure:
    # Titles wrap rather than run off the figure (an A4 page is about 700 px wide at print scale).
    text = wrap(title)
    lines = text.count("<br>") + 1
    fig.update_layout(
        title={"text": text, "x": 0.01, "xanchor": "left", "y": 1, "yanchor": "top", "pad": {"t": 10 + 9 * (lines - 1)},
               "font": {"size": 15}},
        template="plotly_white", height=height + 20 * (lines - 1), font={"family": FONT, "size": 12},
        # Room above the plot for every title line and the cut-off label.
        margin={"l": 70, "r": 30, "t": 40 + 22 * lines, "b": 60},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
    )
    return fig


def _prefix(currency: str) -> str:
    return symbol(currency).strip() if len(symbol(currency).strip()) == 1 else ""


def wrap(title: str, width: int = 70) -> str:
    """A chart title broken into lines of at most ``width`` characters (``<br>`` between them)."""
    words, lines, line = title.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line]) if line else "<br>".join(lines)


def top_groups(series: Sequence[dict[str, Any]], top: int) -> list[str]:
    """The ``top`` groups by total value."""
    totals: dict[str, float] = defaultdict(float)
    for r in series:
        totals[str(r["group"])] += r["value"] or 0.0
    return sorted(totals, key=lambda g: (-totals[g], g))[:top]


def _pivot(series: Sequence[dict[str, Any]], top: int) -> tuple[list[date], dict[str, list[float]]]:
    keep = top_groups(series, top)
    periods = sorted({r["period"] for r in series})
    index = {p: i for i, p in enumerate(periods)}
    values: dict[str, list[float]] = {g: [0.0] * len(periods) for g in [*keep, OTHER]}
    for r in series:
        g = str(r["group"]) if str(r["group"]) in keep else OTHER
        values[g][index[r["period"]]] += r["value"] or 0.0
    if not any(values[OTHER]):
        del values[OTHER]
    return periods, values


def _cutoff_line(fig: go.Figure, cutoff: date | None) -> None:
    if cutoff is None:
        return
    fig.add_vline(x=cutoff.isoformat(), line={"color": "#444", "dash": "dash", "width": 1.5})
    fig.add_annotation(x=cutoff.isoformat(), y=1, yref="paper", text=f"cut-off {cutoff.isoformat()}",
                       showarrow=False, xanchor="left", yanchor="bottom", font={"size": 11, "color": "#444"})


def monthly_value_figure(series: Sequence[dict[str, Any]], currency: str, cutoff: date | None,
                         title: str, top: int = 6, stacked: bool = False) -> go.Figure:
    """Value per period for the largest groups (lines, or stacked bars), cut-off marked."""
    periods, values = _pivot(series, top)
    fig = go.Figure()
    for i, (group, ys) in enumerate(values.items()):
        color = "#9e9e9e" if group == OTHER else PALETTE[i % len(PALETTE)]
        hover = f"{group}<br>%{{x|%b %Y}}: {_prefix(currency)}%{{y:,.0f}}<extra></extra>"
        if stacked:
            fig.add_bar(x=periods, y=ys, name=group, marker_color=color, hovertemplate=hover)
        else:
            fig.add_scatter(x=periods, y=ys, name=group, mode="lines+markers", marker={"size": 4},
                            line={"color": color, "width": 2}, hovertemplate=hover)
    if stacked:
        fig.update_layout(barmode="stack")
    fig.update_yaxes(title=f"value ({currency})", tickprefix=_prefix(currency), rangemode="tozero")
    _cutoff_line(fig, cutoff)
    return _layout(fig, title)


def shares_figure(series: Sequence[dict[str, Any]], cutoff: date | None, title: str, top: int = 6) -> go.Figure:
    """Each group's share of the period's total (stacked to 100%)."""
    periods, values = _pivot(series, top)
    fig = go.Figure()
    for i, (group, ys) in enumerate(values.items()):
        color = "#bdbdbd" if group == OTHER else PALETTE[i % len(PALETTE)]
        fig.add_scatter(x=periods, y=ys, name=group, stackgroup="one", groupnorm="percent", mode="lines",
                        line={"color": color, "width": 0.5},
                        hovertemplate=f"{group}<br>%{{x|%b %Y}}: %{{y:.1f}}%<extra></extra>")
    fig.update_yaxes(title="share of total (%)", ticksuffix="%", range=[0, 100])
    _cutoff_line(fig, cutoff)
    return _layout(fig, title)


def waterfall_figure(attribution: dict[str, Any], currency: str, title: str, top: int = 8,
                     labels: tuple[str, str] = ("before", "after")) -> go.Figure:
    """Before total, each counterpart's change (largest first, rest summed), after total."""
    parts = attribution.get("counterparts", [])
    shown = sorted(parts, key=lambda c: -abs(c["change"]))[:top]
    rest = sum(c["change"] for c in parts) - sum(c["change"] for c in shown)
    names = [labels[0]] + [short(str(c["counterpart"])) + (" (new)" if c["is_new"] else "") for c in shown]
    changes = [c["change"] for c in shown]
    if abs(rest) > 1e-9:
        names.append("all others")
        changes.append(rest)
    names.append(labels[1])
    before, after = attribution.get("before_total", 0.0), attribution.get("after_total", 0.0)
    texts = [money(before, currency)] + [money(v, currency) for v in changes] + [money(after, currency)]
    fig = go.Figure(go.Waterfall(
        x=names, y=[before, *changes, after], measure=["absolute"] + ["relative"] * len(changes) + ["total"],
        text=texts, textposition="outside", cliponaxis=False,
        increasing={"marker": {"color": "#D55E00"}}, decreasing={"marker": {"color": "#009E73"}},
        totals={"marker": {"color": "#0072B2"}}, connector={"line": {"color": "#999", "width": 1}},
        hovertemplate="%{x}: %{text}<extra></extra>",
    ))
    fig.update_yaxes(title=f"value ({currency})", tickprefix=_prefix(currency), rangemode="tozero")
    fig.update_xaxes(tickangle=-20, automargin=True)
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height=480)


def sankey_figure(rows: Sequence[tuple[str, str, str, float]], currency: str, title: str) -> go.Figure:
    """Origin → dispatch → importer, link width = value."""
    labels: list[str] = []
    index: dict[tuple[int, str], int] = {}

    def node(stage: int, name: str) -> int:
        key = (stage, name)
        if key not in index:
            index[key] = len(labels)
            labels.append(short(name, 34))
        return index[key]

    links: dict[tuple[int, int], float] = defaultdict(float)
    for origin, dispatch, importer, value in rows:
        if not value or value <= 0:
            continue
        o, d, i = node(0, f"origin {origin}"), node(1, f"via {dispatch}"), node(2, importer)
        links[(o, d)] += value
        links[(d, i)] += value
    colors = [PALETTE[stage % len(PALETTE)] for (stage, _name) in index]
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": labels, "pad": 14, "thickness": 16, "color": colors, "line": {"width": 0}},
        link={"source": [s for s, _ in links], "target": [t for _, t in links], "value": list(links.values()),
              "color": "rgba(120,120,120,0.25)",
              "customdata": [money(v, currency) for v in links.values()],
              "hovertemplate": "%{source.label} → %{target.label}: %{customdata}<extra></extra>"},
    ))
    fig.update_layout(font={"family": FONT, "size": 12})
    return _layout(fig, title + f" ({currency})", height=520)


def short(text: str, limit: int = 28) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (labels in a chart; hover shows the full name)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
