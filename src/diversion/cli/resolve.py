"""``diversion resolve | explain | review | decide | screen``: entities and sanctions screening."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from diversion.cli.app import app, console, warehouse, warehouse_command
from diversion.config import Settings
from diversion.errors import DiversionError


@app.command()
@warehouse_command
def resolve(
    settings: Settings,
    full: Annotated[bool, typer.Option("--full", help="Score every mention again and re-estimate the model "
                                       "(default: build on the last resolve).")] = False,
    incremental: Annotated[bool, typer.Option("--incremental", hidden=True,
                                              help="The default; kept for scripts written before it was.")] = False,
) -> None:
    """Link every party mention into entities (Splink) and match entities against sanctions lists.

    Builds on the last resolve (DuckDB): only the mentions it did not see are scored, with its model, and
    unchanged entities keep their ids. A warehouse never resolved, one resolved with other settings or an
    older version, or `--full`, is resolved in full.
    """
    if full and incremental:
        raise DiversionError("--full and --incremental contradict each other; give one")
    from diversion.resolve import resolve as run_resolve
    from diversion.runs import recorded_run

    with warehouse(settings) as eng, recorded_run(eng, "resolve") as log, log.stage("resolve"):
        report = run_resolve(eng, settings, incremental=not full)
    console.print(
        f"{report.mentions:,} mentions → {report.entities:,} entities "
        f"({report.merged_entities:,} with several mentions); {report.links:,} links at "
        f"p ≥ {settings.resolve.link_threshold}, {report.pairs_scored:,} pairs scored "
        f"({report.backend}, {report.seconds:.1f} s)"
    )
    if report.pairs_blocked is not None and report.pairs_compared is not None:
        console.print(f"Splink compared {report.pairs_compared:,} of {report.pairs_blocked:,} blocked pairs (the "
                      f"others cannot reach p ≥ {settings.resolve.review_low})")
    elif report.pairs_bounded is not None and report.pairs_compared is not None:
        console.print(f"Splink compared {report.pairs_compared:,} of the {report.pairs_bounded:,} blocked pairs that "
                      "share a value a link needs: a name, an identifier, a domain, an address's numbers or words "
                      f"(the others cannot reach p ≥ {settings.resolve.review_low})")
    console.print(f"model: {report.method}" + (f" — {'; '.join(report.notes)}" if report.notes else ""))
    if report.known_rows:
        console.print(f"{report.known_rows:,} parties' linkage rows taken as the last resolve kept them beside the "
                      "warehouse: only new or changed parties' names were worked on")
    if report.unresolved:
        reasons = ", ".join(f"{k}: {v}" for k, v in report.unresolved_reasons.items())
        console.print(f"{report.unresolved:,} mentions kept unresolved ({reasons})")
    console.print(f"{report.decisions:,} analyst decisions honoured; {report.sanctions_matches:,} sanctions matches")


@app.command()
@warehouse_command
def explain(
    settings: Settings,
    a: Annotated[str, typer.Argument(help="Mention id, entity id or name.")],
    b: Annotated[str, typer.Argument(help="Mention id, entity id or name.")],
) -> None:
    """Show which comparisons made two mentions one entity (or not), with Splink's match weights."""
    from diversion.resolve.explain import explain_pair

    with warehouse(settings, read_only=True) as eng:
        result = explain_pair(eng, a, b, settings.resolve.link_threshold, settings.resolve.max_name_length)
    for line in result.lines():
        console.print(line, highlight=False, soft_wrap=True)


@app.command()
@warehouse_command
def review(
    settings: Settings,
    limit: Annotated[int, typer.Option("--limit", help="Pairs to list.")] = 20,
) -> None:
    """List uncertain pairs for an analyst, most valuable first."""
    from diversion.resolve.review import review_queue

    with warehouse(settings, read_only=True) as eng:
        items = review_queue(eng, settings.resolve.review_low, settings.resolve.review_high, limit)
    if not items:
        console.print("No uncertain pairs to review.")
        return
    table = Table("p", "traded", "A", "B", "decide with", title="Uncertain pairs")
    for it in items:
        table.add_row(f"{it.probability:.2f}", f"{it.traded_value:,.0f}", f"{it.left_name} ({it.left_role})",
                      f"{it.right_name} ({it.right_role})", f"{it.left_id} {it.right_id}")
    console.print(table)
    console.print("Record a judgement: diversion decide A B --same | --different [--why TEXT]")


@app.command()
@warehouse_command
def decide(
    settings: Settings,
    a: Annotated[str, typer.Argument(help="Mention id, entity id or name.")],
    b: Annotated[str, typer.Argument(help="Mention id, entity id or name.")],
    same: Annotated[bool, typer.Option("--same", help="They are the same party.")] = False,
    different: Annotated[bool, typer.Option("--different", help="They are different parties.")] = False,
    why: Annotated[str | None, typer.Option("--why", help="The reason, for the record.")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Who decides (default: login name).")] = None,
) -> None:
    """Record that two mentions are the same or different parties; every later resolve honours it."""
    from diversion.resolve.decisions import record_decision

    if same == different:
        raise DiversionError("give exactly one of --same or --different")
    with warehouse(settings) as eng:
        d = record_decision(eng, a, b, "same" if same else "different", author, why)
    console.print(f"recorded: {d.left_id} and {d.right_id} are {d.judgement} (by {d.author}); "
                  "run `diversion resolve` to apply")


@app.command()
@warehouse_command
def screen(
    settings: Settings,
    name: Annotated[str | None, typer.Argument(help="Name to screen (any script).")] = None,
    country: Annotated[str | None, typer.Option("--country", help="Country of the party (ISO2 or name).")] = None,
    schema: Annotated[str | None, typer.Option(
        "--schema", help="FtM schema of the party: LegalEntity (default: companies, organisations and people), "
        "Company, Organization, Person; Vessel, Airplane or Thing (everything) to include assets.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    file: Annotated[Path | None, typer.Option("--file", help="CSV of parties: name[,country,schema].")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="With --file: write results to this CSV.")] = None,
    threshold: Annotated[float | None, typer.Option("--threshold", help="Minimum score (default: config).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Most hits per name.")] = None,
) -> None:
    """Screen a name (or a CSV of parties) against every sanctions name and alias."""
    from diversion.resolve.screen_cache import screening_index
    from diversion.resolve.screen_file import read_parties, results_json, screen_parties, write_results

    if (name is None) == (file is None):
        raise DiversionError("give a NAME or --file parties.csv (one of them)")
    rs = settings.resolve
    cut = rs.screen_threshold if threshold is None else threshold
    top = limit or rs.screen_limit
    index = screening_index(settings)  # saved beside the warehouse: no rebuild while the lists are unchanged
    try:
        index.query_schema(schema)
    except ValueError as exc:
        raise DiversionError(str(exc)) from exc
    if file is not None:
        results = screen_parties(index, read_parties(file), cut, top)
        if out is not None:
            n = write_results(results, out)
            console.print(f"screened {n:,} parties → {out}")
        elif as_json:
            sys.stdout.write(results_json(results) + "\n")
        else:
            for party, hits in results:
                best = f"{hits[0].score:.2f} {hits[0].caption} ({hits[0].list_name})" if hits else "no match"
                console.print(f"{party.line}: {party.name} → {best}", highlight=False)
        return
    if country:  # country names in any language: loaded only when one is given
        from diversion.reference import to_iso2

        country = to_iso2(country) or country
    hits = index.search(name or "", country, schema, cut, top)
    if as_json:
        sys.stdout.write(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=1) + "\n")
        return
    if not hits:
        console.print(f"No sanctions match for {name!r} at score ≥ {cut}.")
        return
    table = Table("score", "listed entity", "list", "programs", "listed", "why", title=f"Screening {name!r}")
    for h in hits:
        table.add_row(f"{h.score:.2f}", f"{h.caption} [{h.sanction_entity_id}]", h.list_name or "",
                      ", ".join(h.programs), h.listing_date.isoformat() if h.listing_date else "", h.explanation)
    console.print(table)
