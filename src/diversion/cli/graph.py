"""``diversion graph``, ``diversion path A B``, ``diversion export``: the network."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from diversion.cli.app import (
    app,
    console,
    err_console,
    warehouse,
    warehouse_command,
)
from diversion.config import Settings
from diversion.errors import DiversionError
from diversion.read.money import money

if TYPE_CHECKING:  # the graph stage (and FtM) loads when a graph command runs, not with the CLI
    from diversion.graph import PathResult


@app.command()
@warehouse_command
def graph(
    settings: Settings,
    full: Annotated[bool, typer.Option("--full", help="Make every edge again (default: trade and brand edges "
                                       "whose shipments did not change since the last build are kept).")] = False,
) -> None:
    """Build the network (nodes and edges tables) from the resolved warehouse.

    Trade and brand edges are aggregated again only for the shipments of new sources and the entities
    resolve regrouped since the last build; `--full` makes every edge again. The tables are the same.
    """
    from diversion.graph import build_graph
    from diversion.read.stages import require_stage

    with warehouse(settings) as engine:
        require_stage(engine, "graph")
        summary = build_graph(engine, settings, carry=not full)
    kept = f"; {summary.carried:,} trade and brand edges carried over" if summary.carried else ""
    table = Table("edge kind", "edges",
                  title=f"Network: {summary.nodes:,} nodes, {summary.edges:,} edges{kept}")
    for kind, n in summary.edges_by_kind.items():
        table.add_row(kind, f"{n:,}")
    console.print(table)


def _ids(edge: dict[str, Any]) -> str:
    ev = edge.get("evidence") or {}
    ids = ev.get("shipment_ids") or ev.get("link_ids") or ev.get("sanction_entity_ids") or []
    shown = ", ".join(map(str, ids[:5])) + (f" (+{len(ids) - 5} more)" if len(ids) > 5 else "")
    return shown or (ev.get("domain") or ", ".join(ev.get("distributor_names") or []) or edge["edge_id"])


def _print_path(result: PathResult, currency: str) -> None:
    console.print(f"From [bold]{escape(result.start.label)}[/] ({escape(result.start.node_id)}) "
                  f"to [bold]{escape(result.end.label)}[/] ({escape(result.end.node_id)})", highlight=False,
                  markup=True)
    for alt_of, match in (("start", result.start), ("end", result.end)):
        if match.alternatives:
            others = "; ".join(f"{label} ({nid})" for nid, label in match.alternatives[:3])
            console.print(f"  [dim]{alt_of} could also be: {escape(others)} — pass an id to choose[/]",
                          highlight=False, markup=True)
    if not result.chains:
        console.print("No chain connects them in the network.")
        return
    for i, chain in enumerate(result.chains, start=1):
        traded = [e.get("value") or 0.0 for hop in chain.hops for e in hop.edges if e["kind"] == "trade"]
        along = f", {money(min(traded), currency)} traded along it" if traded and min(traded) > 0 else ""
        console.print(f"\n[bold]Chain {i}[/] ({len(chain.hops)} hops{escape(along)})", markup=True)
        for hop in chain.hops:
            console.print(f"  {hop.source_label} → {hop.target_label}", highlight=False)
            for e in hop.edges:
                arrow = "→" if e["direction"] == "forward" else "←"
                amount = f" {money(e['value'], currency)}" if e.get("value") else ""
                count = f", {e['count']} record(s)" if e.get("count") else ""
                dates = f", {e['first_date']}..{e['last_date'] or 'open'}" if e.get("first_date") else ""
                console.print(f"      {arrow} {escape(str(e['kind']))}{escape(amount)}{count}{dates}  "
                              f"[dim]ids: {escape(str(_ids(e)))}[/]", highlight=False, markup=True)


@app.command()
@warehouse_command
def path(
    settings: Settings,
    start: Annotated[str, typer.Argument(help="Entity or brand: id or name (e.g. Tsugami).")],
    end: Annotated[str, typer.Argument(help="Entity: id or name (e.g. Kometa).")],
    limit: Annotated[int, typer.Option("--limit", help="Most chains to show.")] = 5,
) -> None:
    """Print the shortest evidenced chains between two entities, or a brand and an entity."""
    with warehouse(settings, read_only=settings.db_path.exists()) as engine:  # read-only: runs beside serve
        from diversion.read.paths import evidenced_chains

        result = evidenced_chains(engine, settings, start, end, limit=limit)
    _print_path(result, settings.report_currency)


@app.command()
@warehouse_command
def export(
    settings: Settings,
    folder: Annotated[Path | None, typer.Argument(help="Folder for --to parquet / --from parquet.",
                                                  show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="Network format: ftm or graphml.")] = "ftm",
    out: Annotated[str, typer.Option("--out", help="Output file, or - for standard output.")] = "-",
    to: Annotated[str | None, typer.Option("--to", help="`parquet`: write the whole warehouse to FOLDER.")] = None,
    source: Annotated[str | None, typer.Option("--from", help="`parquet`: replace the warehouse with FOLDER.")] = None,
) -> None:
    """Write the network as FollowTheMoney JSON lines (for Aleph) or GraphML.

    ``--to parquet DIR`` writes every warehouse table as Parquet (``DIR/<table>/``
    plus a manifest) and ``--from parquet DIR`` loads such a folder, to move a
    warehouse between engines: ``diversion export --to parquet w/`` then
    ``diversion export --from parquet w/ --engine spark``.
    """
    if to or source:
        if (to or source) != "parquet" or (to and source):
            raise DiversionError("use either --to parquet DIR or --from parquet DIR")
        if folder is None:
            raise DiversionError(f"--{'to' if to else 'from'} parquet needs a folder: diversion export "
                                 f"--{'to' if to else 'from'} parquet DIR")
        with warehouse(settings) as engine:
            from diversion.engine.transfer import export_parquet, import_parquet

            counts = export_parquet(engine, folder) if to else import_parquet(engine, folder)
        verb = "wrote" if to else "loaded"
        err_console.print(f"{verb} {len(counts)} tables ({sum(counts.values()):,} rows) "
                          f"{'to' if to else 'from'} {folder}")
        return
    from diversion.graph import export_network

    with warehouse(settings) as engine:
        if out == "-":
            n = export_network(engine, fmt, sys.stdout)
        else:
            try:
                with Path(out).open("w", encoding="utf-8") as handle:
                    n = export_network(engine, fmt, handle)
            except OSError as exc:
                raise DiversionError(f"{out}: cannot write ({exc.strerror})") from exc
    err_console.print(f"wrote {n:,} {'entities' if fmt == 'ftm' else 'nodes'} as {fmt} to {out}")
