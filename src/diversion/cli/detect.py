"""``diversion detect``, ``diversion leads``, ``diversion lead ID``: red flags and the ranked lead list."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from diversion.cli.app import app, console, warehouse, warehouse_command
from diversion.config import Settings
from diversion.detect import run_detection
from diversion.errors import DiversionError
from diversion.leads import build_leads, lead_dossier, shown_leads


@app.command()
@warehouse_command
def detect(
    settings: Settings,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only this detector (repeatable).")] = None,
) -> None:
    """Run the red-flag detectors (building the network if needed) and write the findings table."""
    with warehouse(settings) as engine:
        findings = run_detection(engine, settings, only=only)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.detector] = counts.get(f.detector, 0) + 1
    table = Table("detector", "findings", title=f"{len(findings):,} findings")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)


@app.command()
@warehouse_command
def leads(
    settings: Settings,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    top: Annotated[int | None, typer.Option("--top", help="Most leads to show (0 = all).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Include leads below the threshold.")] = False,
) -> None:
    """Rank entities by their combined findings (runs detection first when needed)."""
    if fmt not in ("table", "csv", "json"):
        raise DiversionError(f"unknown format {fmt!r}; choose table, csv or json")
    with warehouse(settings) as engine:
        ranked = shown_leads(build_leads(engine, settings), settings, top=top, show_all=show_all)
    rows = [lead.row() for lead in ranked]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=["rank", "entity_id", "name", "country", "score", "flags",
                                                        "evidence"])
        writer.writeheader()
        writer.writerows(rows)
    else:
        table = Table("rank", "entity_id", "name", "country", "score", "flags", "evidence",
                      title=f"Leads (threshold {settings.leads.threshold})", show_lines=True)
        for r in rows:
            table.add_row(str(r["rank"]), r["entity_id"], r["name"], r["country"] or "", f"{r['score']:.2f}",
                          r["flags"].replace(";", "; "), r["evidence"])
        console.print(table)


@app.command()
@warehouse_command
def lead(
    settings: Settings,
    entity: Annotated[str, typer.Argument(help="Entity id or name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the dossier as JSON.")] = False,
) -> None:
    """Print the full dossier of one entity: findings with evidence, counterparts, matches, ownership."""
    with warehouse(settings, read_only=settings.db_path.exists()) as engine:  # read-only: runs beside serve
        dossier = lead_dossier(engine, settings, entity)
    if as_json:
        sys.stdout.write(json.dumps(dossier, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    _print_dossier(dossier)


def _print_dossier(d: dict) -> None:
    lead_row = d["lead"] or {}
    console.rule(Text.assemble((str(d["name"]), "bold"), f" ({d['entity_id']})"))
    if d["alternatives"]:
        also = "; ".join(f"{lbl} ({nid})" for nid, lbl in d["alternatives"])
        console.print(f"[dim]Also matching: {escape(also)}[/]", markup=True)
    if lead_row:
        console.print(f"Lead rank {lead_row['rank']}, score {lead_row['score']:.2f}, flags {lead_row['flags']}")
    ent = d["entity"] or {}
    if ent:
        console.print(f"Names: {'; '.join(ent.get('names') or [])}", highlight=False)
        countries, ids = ", ".join(ent.get("countries") or []), ", ".join(ent.get("identifiers") or [])
        console.print(f"Countries: {countries}  Ids: {ids}", highlight=False)
    console.print("\n[bold]Findings[/]", markup=True)
    for f in d["findings"]:
        console.print(f"  [bold]{escape(f['detector'])}[/] {f['score']:.2f} — {escape(f['summary'])}",
                      highlight=False, markup=True)
        console.print(f"    [dim]{escape(json.dumps(f['evidence'], ensure_ascii=False, default=str)[:600])}[/]",
                      highlight=False, markup=True)
    if d["sanctions_matches"]:
        console.print("\n[bold]Sanctions matches[/]", markup=True)
        for m in d["sanctions_matches"]:
            console.print(f"  {m['matched_name']} — {m['list_name']} {m['programs']} score {m['score']:.2f} "
                          f"listed {m['listing_date']}", highlight=False)
    if d["counterparts"]:
        table = Table("direction", "counterpart", "country", "value USD", "shipments", "first", "last",
                      title="Trade counterparts")
        for c in d["counterparts"]:
            table.add_row(c["direction"], c["name"], c["country"] or "", f"{c['value_usd'] or 0:,.0f}",
                          str(c["shipments"]), str(c["first_date"]), str(c["last_date"]))
        console.print(table)
    if d["links"]:
        console.print("\n[bold]Ownership, links, websites[/]", markup=True)
        for link in d["links"]:
            share = f" {link['share']:.0%}" if link.get("share") is not None else ""
            console.print(f"  {link['kind']} {link['direction']} {link['name']}{share}", highlight=False)
