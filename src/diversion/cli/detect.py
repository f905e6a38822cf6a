"""``diversion detect``, ``diversion leads``, ``diversion lead ID``: red flags and the ranked lead list."""

from __future__ import annotations

import csv
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from diversion.cli.app import app, console, warehouse, warehouse_command
from diversion.config import Settings
from diversion.errors import DiversionError
from diversion.read.money import amount, money

if TYPE_CHECKING:  # the detect stage (and the graph, FtM) loads when a command runs, not with the CLI
    from diversion.read.dossier import Dossier
    from diversion.read.evidence import Evidence

COLUMNS = ["rank", "entity_id", "name", "country", "score", "flags", "evidence"]


@app.command()
@warehouse_command
def detect(
    settings: Settings,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only this detector (repeatable).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Make every finding again (default: entities whose rows, "
                                       "name and country did not change keep the last run's findings).")] = False,
) -> None:
    """Run the red-flag detectors on the network (run `diversion graph` first) and write the findings table.

    Detectors that make one finding per row (priority goods, brand diversion) make it again only for
    entities whose rows changed since the last run; `--full` (or `--only`) makes every finding again.
    """
    carried: dict[str, int] = {}
    with warehouse(settings) as engine:
        from diversion.detect import detect_counts
        from diversion.runs import recorded_run

        with recorded_run(engine, "detect") as log, log.stage("detect"):
            counts = detect_counts(engine, settings, only=only, carry=not full, carried=carried)
    table = Table("detector", "findings", "carried over", title=f"{sum(counts.values()):,} findings")
    for name, n in counts.items():
        if n:
            table.add_row(name, f"{n:,}", f"{carried[name]:,}" if name in carried else "")
    console.print(table)
    console.print("Next: `diversion leads`.")


@app.command()
@warehouse_command
def leads(
    settings: Settings,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    top: Annotated[int | None, typer.Option("--top", help="Most leads to show (0 = all).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Include leads below the threshold.")] = False,
    context: Annotated[bool, typer.Option("--context", help="List the entities with findings but no trade "
                                          "(e.g. sanctions-list entries) instead of the leads.")] = False,
) -> None:
    """Rank entities by their combined findings (run `diversion detect` first)."""
    if fmt not in ("table", "csv", "json"):
        raise DiversionError(f"unknown format {fmt!r}; choose table, csv or json")
    section = "context" if context else "lead"
    from diversion.leads import build_leads, shown_leads
    from diversion.read.leads import lead_counts

    with warehouse(settings) as engine:
        from diversion.runs import recorded_run

        with recorded_run(engine, "leads") as log, log.stage("leads"):
            ranked = build_leads(engine, settings)
        counts = lead_counts(engine, settings)
    chosen = shown_leads(ranked, settings, top=top, show_all=show_all or context, section=section)
    rows = [lead.row() for lead in chosen]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        return
    what = "Entities with findings but no trade (context)" if context else (
        f"Leads at or above {settings.leads.threshold}" if not show_all else "Leads (all scores)")
    table = Table(*COLUMNS, title=what, show_lines=True)
    for r in rows:
        table.add_row(str(r["rank"]), r["entity_id"], r["name"], r["country"] or "", f"{r['score']:.2f}",
                      r["flags"].replace(";", "; "), r["evidence"])
    console.print(table)
    if counts:
        console.print(f"{counts.above:,} of {counts.leads:,} leads score at or above the threshold "
                      f"{counts.threshold}; {counts.context:,} entities with findings but no trade are listed apart "
                      "(`diversion leads --context`).", highlight=False)


@app.command()
@warehouse_command
def lead(
    settings: Settings,
    entity: Annotated[str, typer.Argument(help="Entity id or name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the dossier as JSON.")] = False,
) -> None:
    """Print one entity's dossier: findings with the records behind them, counterparts, matches, links."""
    from diversion.read.dossier import dossier

    with warehouse(settings, read_only=settings.db_path.exists()) as engine:  # read-only: runs beside serve
        found = dossier(engine, settings, entity)
    if as_json:
        sys.stdout.write(json.dumps(found.as_dict(), ensure_ascii=False, indent=2, default=str) + "\n")
        return
    _print_dossier(found)


def _evidence_tables(f: Evidence, currency: str) -> list[Table]:
    """A finding's facts and records as labelled tables."""
    tables = []
    if f.facts:
        facts = Table("", "", show_header=False, box=None, padding=(0, 2))
        for label, value in f.facts:
            facts.add_row(Text(label, style="dim"), value)
        tables.append(facts)
    if f.shipments:
        t = Table("record id", "file", "line", "date", f"value ({currency})", "declared", "goods",
                  title="shipments behind this finding", title_justify="left")
        for s in f.shipments:
            goods = " ".join(str(x) for x in (s["brand"], s["model"], s["manufacture_year"]) if x)
            t.add_row(s["record_id"], str(s["file"] or ""), str(s["line"]), str(s["date"]),
                      amount(s["value_converted"], currency), s["declared"], goods or (s["description"] or "")[:40])
        tables.append(t)
    if f.links:
        t = Table("link id", "file", "line", "kind", "from", "to", "role", "start", "end",
                  title="registry links", title_justify="left")
        for x in f.links:
            t.add_row(str(x["link_id"]), str(x["file"] or ""), str(x["line"]), x["kind"], x["source_name"],
                      x["target_name"], x["role"] or "", str(x["start_date"] or ""), str(x["end_date"] or ""))
        tables.append(t)
    if f.entries:
        t = Table("entry id", "list", "file", "line", "name", "programs", "listed on",
                  title="sanctions-list entries", title_justify="left")
        for x in f.entries:
            t.add_row(str(x["entry_id"]), x["list_name"], str(x["file"] or ""), str(x["line"]), x["name"],
                      ", ".join(x["programs"] or []), str(x["listing_date"] or "not given"))
        tables.append(t)
    if f.websites:
        t = Table("domain", "file", "line", "hosted in", "registrant", "claims", "fetched",
                  title="websites", title_justify="left")
        for x in f.websites:
            t.add_row(x["domain"], str(x["file"] or ""), str(x["line"]), x["hosting_country"] or "",
                      x["registrant_country"] or "", x["claimed_address"] or "", str(x["fetched_at"] or ""))
        tables.append(t)
    return tables


def _print_dossier(d: Dossier) -> None:
    lead_row: dict[str, Any] = d.lead or {}
    console.rule(Text.assemble((str(d.name), "bold"), f" ({d.entity_id})"))
    if d.alternatives:
        also = "; ".join(f"{lbl} ({nid})" for nid, lbl in d.alternatives)
        console.print(Text(f"Also matching: {also}", style="dim"))
    if lead_row:
        kind = "Lead" if lead_row.get("section", "lead") == "lead" else "Context entry (no trade)"
        console.print(f"{kind} rank {lead_row['rank']}, score {lead_row['score']:.2f}, flags {lead_row['flags']}")
    ent = d.entity or {}
    if ent:
        console.print(f"Names: {'; '.join(ent.get('names') or [])}", highlight=False)
        countries, ids = ", ".join(ent.get("countries") or []), ", ".join(ent.get("identifiers") or [])
        console.print(f"Countries: {countries}  Ids: {ids}", highlight=False)
    console.print(Text.assemble("\n", ("Findings", "bold"), f" (values in {d.currency})"))
    for f in d.findings:
        console.print(Text.assemble("  ", (f.detector, "bold"), f" {f.score:.2f} — {f.summary}"), highlight=False)
        for table in _evidence_tables(f, d.currency):
            console.print(table)
    if d.sanctions:
        console.print(Text.assemble("\n", ("Sanctions matches", "bold")))
        for m in d.sanctions:
            listed = f"listed {m['listing_date']}" if m["listing_date"] else "listing date not given by the list"
            console.print(f"  {m['matched_name']} — {m['list_name']} {', '.join(m['programs'] or [])} "
                          f"score {m['score']:.2f}, {listed} (entry {m['sanction_entity_id']})",
                          highlight=False)
    if d.counterparts:
        table = Table("relation", "counterpart", f"value ({d.currency})", "shipments", "first", "last",
                      title="Trade counterparts")
        for c in d.counterparts:
            table.add_row(c["relation"], c["name"] or "?", money(c["value"], d.currency), str(c["shipments"]),
                          str(c["first_date"]), str(c["last_date"]))
        console.print(table)
    if d.links:
        console.print(Text.assemble("\n", ("Ownership, links, websites", "bold")))
        for link in d.links:
            share = f" {link['share']:.0%}" if link.get("share") is not None else ""
            dates = f" ({link['first_date'] or '?'} to {link['last_date'] or 'open'})" if link["kind"] in (
                "ownership", "directorship", "link", "commissioning") else ""
            ids = f" ids: {', '.join(link['link_ids'] or link['shipment_ids'])}" if (
                link["link_ids"] or link["shipment_ids"]) else ""
            console.print(Text.assemble(f"  {link['direction']} {link['other_name']}{share}{dates}", (ids, "dim")),
                          highlight=False)
