"""``diversion flows``: trade-flow statistics (series, shares, growth, attribution)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.text import Text

from diversion.cli.app import app, console, err_console, warehouse, warehouse_command
from diversion.config import Settings
from diversion.errors import ConfigError


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{option} {text!r}: expected a date as YYYY-MM-DD") from exc


@app.command()
@warehouse_command
def flows(
    settings: Settings,
    by: Annotated[str, typer.Option(help="Group by: origin, dispatch, trading, importer_country, "
                                    "exporter_country, heading, hs6, brand, exporter, importer, total.")] = "origin",
    period: Annotated[str, typer.Option(help="Time bucket: month, quarter or year.")] = "month",
    currency: Annotated[str | None, typer.Option(help="Report in this currency (default: report_currency, "
                                                 "GBP), converted via the rates table.")] = None,
    hs: Annotated[list[str] | None, typer.Option("--hs", help="HS code or prefix (chapter/heading/"
                                                 "subheading); repeatable.", show_default=False)] = None,
    tier: Annotated[list[str] | None, typer.Option("--tier", help="CHPL tier (1, 2, 3.A, 3.B, 4.A, 4.B); "
                                                   "repeatable.", show_default=False)] = None,
    machine_tools: Annotated[bool, typer.Option("--machine-tools", help="Only HS 8456–8466.")] = False,
    brand: Annotated[list[str] | None, typer.Option("--brand", help="Brand (case-insensitive); repeatable.",
                                                    show_default=False)] = None,
    importer: Annotated[list[str] | None, typer.Option("--importer", help="Importer: a name (after resolve: "
                                                       "every spelling of the entity it names) or an entity id; "
                                                       "repeatable.", show_default=False)] = None,
    exporter: Annotated[list[str] | None, typer.Option("--exporter", help="Exporter: a name or an entity id, as "
                                                       "--importer; repeatable.", show_default=False)] = None,
    origin: Annotated[list[str] | None, typer.Option("--origin", help="Origin country (code or name); "
                                                     "repeatable.", show_default=False)] = None,
    dispatch: Annotated[list[str] | None, typer.Option("--dispatch", help="Dispatch country; repeatable.",
                                                       show_default=False)] = None,
    importer_country: Annotated[list[str] | None, typer.Option("--importer-country", help="Importer's "
                                                               "country, e.g. RU; repeatable.",
                                                               show_default=False)] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First date, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date, YYYY-MM-DD.")] = None,
    before: Annotated[str | None, typer.Option(help="Before period START:END or a year (default: up to "
                                               "the cut-off date).")] = None,
    after: Annotated[str | None, typer.Option(help="After period START:END or a year (default: from the "
                                              "cut-off date).")] = None,
    source: Annotated[str, typer.Option("--source", help="declarations (shipments) or statistics "
                                        "(trade statistics: `ingest stats`).")] = "declarations",
    flow: Annotated[str, typer.Option("--flow", help="Statistics: import (as the importer reports it) or "
                                      "export (as the exporter reports it).")] = "import",
    classification: Annotated[str | None, typer.Option(help="Statistics: HS (default when present), SITC, "
                                                       "BEC...")] = None,
    mirror: Annotated[bool, typer.Option("--mirror", help="Mirror statistics: each exporter's reported exports "
                                         "against the importer's reported imports, and with --before/--after "
                                         "the re-export route through the hubs.")] = False,
    via: Annotated[list[str] | None, typer.Option("--via", help="Mirror: hub countries of the re-export route "
                                                  "(default: the transshipment-hub list); repeatable.",
                                                  show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    table: Annotated[str, typer.Option("--table", help="For CSV: series, growth or attribution "
                                       "(mirror: pairs or routes).")] = "series",
    top: Annotated[int, typer.Option(help="Groups shown as columns in the table view.")] = 6,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the terminal.")] = None,
) -> None:
    """Monthly value and count by origin/dispatch/heading/brand, shares, growth and its attribution.

    Example: diversion flows --machine-tools --importer-country RU --by origin --format json
    """
    if fmt not in ("table", "csv", "json"):
        raise ConfigError(f"--format {fmt!r}: choose table, csv or json")
    if mirror:
        _mirror(settings, hs or (), tier or (), machine_tools, origin or (), importer_country or (),
                date_from, date_to, before, after, currency, classification, via, fmt,
                "pairs" if table == "series" else table, top, out)
        return
    if table not in ("series", "growth", "attribution"):
        raise ConfigError(f"--table {table!r}: choose series, growth or attribution")
    # The flows stage loads when the command runs, not with the CLI.
    from diversion.flows import FlowQuery, compute_flows, make_filter, parse_period
    from diversion.flows.filters import resolve_parties
    from diversion.flows.render import rich_view, to_csv, to_json

    query = FlowQuery(
        filter=make_filter(
            hs_codes=hs or (), chpl_tiers=tier or (), machine_tools=machine_tools, brands=brand or (),
            importers=importer or (), exporters=exporter or (), origins=origin or (), dispatch=dispatch or (),
            importer_countries=importer_country or (), date_from=_date(date_from, "--from"),
            date_to=_date(date_to, "--to"),
        ),
        by=by, period=period, currency=currency or settings.report_currency,
        before=parse_period(before) if before else None, after=parse_period(after) if after else None,
        cutoff=settings.detect.cutoff_date, source=source, flow=flow, classification=classification,
    )
    with warehouse(settings, read_only=settings.db_path.exists()) as engine:
        resolved, matches = resolve_parties(engine, query.filter)
        result = compute_flows(engine, replace(query, filter=resolved))
    for match in matches:  # on standard error: CSV and JSON on standard output stay clean
        err_console.print(Text(match.note(), style="dim"), highlight=False)
    if fmt == "table":
        if out:
            raise ConfigError("--out needs --format csv or json")
        console.print(rich_view(result, top))
        return
    text = to_json(result) if fmt == "json" else to_csv(result, table)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out} ({result.currency})")
    else:
        typer.echo(text)


def _mirror(settings: Settings, hs: Sequence[str], tier: Sequence[str], machine_tools: bool, origin: Sequence[str],
            importer_country: Sequence[str], date_from: str | None, date_to: str | None, before: str | None,
            after: str | None, currency: str | None, classification: str | None, via: list[str] | None,
            fmt: str, table: str, top: int, out: Path | None) -> None:
    """``flows --mirror``: the mirror pairs and, with periods, the re-export route to the destination."""
    from diversion.flows import make_filter, parse_period
    from diversion.flows.mirror import MirrorResult, compute_mirror
    from diversion.flows.render import mirror_csv, mirror_view
    from diversion.reference import load_hubs, to_iso2

    if table not in ("pairs", "routes"):
        raise ConfigError(f"--table {table!r}: with --mirror choose pairs or routes")
    flt = make_filter(hs_codes=hs, chpl_tiers=tier, machine_tools=machine_tools, origins=origin,
                      importer_countries=importer_country, date_from=_date(date_from, "--from"),
                      date_to=_date(date_to, "--to"))
    hubs = [to_iso2(v) or v for v in via] if via else sorted(load_hubs())
    with warehouse(settings, read_only=settings.db_path.exists()) as engine:
        result: MirrorResult = compute_mirror(
            engine, flt, currency=currency or "USD",
            before=parse_period(before) if before else None, after=parse_period(after) if after else None,
            destination=settings.detect.destination_country, hubs=hubs, classification=classification,
        )
    if fmt == "table":
        if out:
            raise ConfigError("--out needs --format csv or json")
        console.print(mirror_view(result, max(top, 20)))
        return
    text = orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode() if fmt == "json" \
        else mirror_csv(result, table)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out} ({result.currency})")
    else:
        typer.echo(text)
