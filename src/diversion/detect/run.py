"""Run detectors with one prepared context, and keep their findings in the ``findings`` table."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from itertools import islice
from typing import Any, cast, overload

import orjson
import pyarrow as pa

from diversion.collector import collector_paused
from diversion.config import Settings
from diversion.detect.bulk import as_findings
from diversion.detect.carry import TABLE as DIGESTS
from diversion.detect.context import DetectContext
from diversion.detect.finding import Finding
from diversion.detect.registry import Detector, detector, registry
from diversion.engine import Engine
from diversion.read.stages import record_stage, require_stage

#: Findings written at a time by ``detect_counts``: a detector that yields its findings is never held whole.
WRITE_CHUNK = 20_000


def run_one(found: Detector, engine: Engine, settings: Settings, ctx: DetectContext | None = None) -> list[Finding]:
    """Run one detector: build the lookups it declares, then call it with the context."""
    return list(iter_one(found, engine, settings, ctx))


def iter_one(found: Detector, engine: Engine, settings: Settings,
             ctx: DetectContext | None = None) -> Iterator[Finding]:
    """``run_one``, finding by finding as the detector yields them (a list-returning detector gives its list)."""
    ctx = ctx or DetectContext(engine, settings)
    ctx.need(*found.tables)
    for f in found.find(ctx):
        if f.detector != found.name:
            raise ValueError(f"detector {found.name} returned a {f.detector} finding")
        yield f


def run_detection(engine: Engine, settings: Settings, only: Iterable[str] | None = None) -> list[Finding]:
    """Run the detectors (all, or those named in ``only``) and rewrite the ``findings`` table.

    Needs the network: without ``diversion graph`` it stops and says so (it
    never builds the graph silently). Returns every finding (``detect_counts``
    writes the same table holding one detector's findings at a time).

    >>> findings = run_detection(engine, load_settings())  # doctest: +SKIP
    >>> sorted({f.detector for f in findings})  # doctest: +SKIP
    ['brand_diversion', 'impersonation', ...]
    """
    findings: list[Finding] = []
    with collector_paused(), engine.transaction():
        engine.reset_table(DIGESTS)
        _run(engine, settings, only, _collecting(findings))  # records digests
        engine.replace_arrow("findings", findings_table(_unique(findings)))
        chosen = len(dict.fromkeys(only)) if only else len(registry())
        record_stage(engine, "detect", f"{len(findings)} findings from {chosen} detectors")
    return findings


def detect_counts(engine: Engine, settings: Settings, only: Iterable[str] | None = None, carry: bool = False,
                  carried: dict[str, int] | None = None) -> dict[str, int]:
    """``run_detection``, writing each detector's findings as it ends: returns the findings per detector.

    The same ``findings`` table, in one transaction; what the CLI and ``diversion run`` use (at 10M
    shipment rows a run raises a million findings, and their evidence held at once is gigabytes).
    ``carry``: entities whose rows did not change keep the last run's findings (``detect.carry``; all
    detectors, on an engine with ``cheap_row_deletes``; otherwise ignored); ``carried`` is then filled with
    the findings kept per detector.
    """
    carry = carry and only is None and engine.cheap_row_deletes

    def write(ctx: DetectContext, name: str, found: Iterator[Finding]) -> None:
        chunk = list(islice(found, WRITE_CHUNK))  # the detector's query has run: what it carried is known
        if carry and name not in ctx.carried:  # made again in full: its last findings and digests go
            engine.execute("DELETE FROM findings WHERE detector = ?", [name])
            engine.execute(f"DELETE FROM {DIGESTS} WHERE detector = ?", [name])
        written: set[str] = set()

        def put(rows: pa.Table) -> None:
            ids = rows.column("finding_id").to_pylist()
            again = [i for i in ids if i in written]
            if again:  # the same finding in an earlier chunk: the last one is kept, as in ``run_detection``
                engine.execute(f"DELETE FROM findings WHERE finding_id IN ({', '.join('?' * len(again))})", again)
            engine.insert_arrow("findings", rows)
            written.update(ids)

        while chunk:
            put(findings_table(_unique(chunk)))
            chunk = list(islice(found, WRITE_CHUNK))
        for made in ctx.made.pop(name, []):  # the findings made in SQL (``detect.bulk``)
            # In chunks too: inserted whole (300,000 rows in a 10M update), the warehouse's file grew by 0.29 GB.
            for start in range(0, made.num_rows, WRITE_CHUNK):
                put(made.slice(start, WRITE_CHUNK))

    # A carrying run's findings stored as plain text: an update makes a third of them again, and DuckDB
    # compressing the table it compacts after took 6-8 s at 10M shipment rows (``Engine.plain_text``). A full
    # run writes compressed (with a full run's edges and findings plain, a 10M warehouse's file grew by 42 %).
    # The collector is paused: labels, rows and findings are millions of acyclic objects.
    with collector_paused(), engine.plain_text() if carry else nullcontext(), engine.transaction():
        if carry:  # flags no detector raises any more go; each detector replaces its own
            known = list(registry())
            engine.execute(f"DELETE FROM findings WHERE detector NOT IN ({', '.join('?' * len(known))})", known)
        else:
            _reset(engine)
        ctx = _run(engine, settings, only, write, carry)
        names = [detector(n).name for n in dict.fromkeys(only)] if only else list(registry())
        found = dict(engine.fetch_all("SELECT detector, count(*) FROM findings GROUP BY detector"))
        counts = {name: int(found.get(name, 0)) for name in names}
        kept = sum(ctx.carried.values())
        record_stage(engine, "detect", f"{sum(counts.values())} findings from {len(names)} detectors"
                     + (f" ({kept} carried over)" if kept else ""))
    if carried is not None:
        carried.update(ctx.carried)
    return counts


def _collecting(findings: list[Finding]) -> Callable[[DetectContext, str, Iterator[Finding]], None]:
    """A ``_run`` sink adding each detector's findings to ``findings``: those it yields, then those made as rows
    (``DetectContext.made``, made in SQL)."""
    def collect(ctx: DetectContext, name: str, found: Iterator[Finding]) -> None:
        findings.extend(found)
        for made in ctx.made.pop(name, []):
            findings.extend(as_findings(made))
    return collect


def _reset(engine: Engine) -> None:
    """Empty the findings and the digests they were made from (written together, emptied together)."""
    engine.reset_table("findings")
    engine.reset_table(DIGESTS)


def _run(engine: Engine, settings: Settings, only: Iterable[str] | None,
         sink: Callable[[DetectContext, str, Iterator[Finding]], None], carry: bool = False) -> DetectContext:
    """Run the chosen detectors with one context, giving each one's findings to ``sink``; the context."""
    chosen = [detector(n) for n in dict.fromkeys(only)] if only else list(registry().values())
    require_stage(engine, "detect")
    ctx = DetectContext(engine, settings, digests=True, carry=carry, writes_made=True)
    for found in chosen:
        sink(ctx, found.name, iter_one(found, engine, settings, ctx))
    return ctx


def _unique(findings: list[Finding]) -> list[Finding]:
    """The same finding twice (same id) once, the last one kept."""
    return list({f.finding_id: f for f in findings}.values())


#: The columns of the ``findings`` table, in its order.
FINDINGS_COLUMNS = ("finding_id", "detector", "entity_id", "score", "summary", "evidence")


def last_of_each(rows: pa.Table) -> pa.Table:
    """``findings`` rows with each finding id once: its last row (as ``_unique`` keeps the last finding)."""
    ids = rows.column("finding_id").to_pylist()
    last = {finding_id: i for i, finding_id in enumerate(ids)}
    return rows if len(last) == len(ids) else rows.take(sorted(last.values()))


def findings_table(findings: list[Finding]) -> pa.Table:
    """The ``findings`` rows of ``findings`` (ids assumed distinct)."""
    return pa.table({
        "finding_id": pa.array([f.finding_id for f in findings], pa.string()),
        "detector": pa.array([f.detector for f in findings], pa.string()),
        "entity_id": pa.array([f.entity_id for f in findings], pa.string()),
        "score": pa.array([f.score for f in findings], pa.float64()),
        "summary": pa.array([f.summary for f in findings], pa.string()),
        "evidence": pa.array([f.evidence_json() for f in findings], pa.string()),
    })


def write_findings(engine: Engine, findings: list[Finding]) -> None:
    """Replace the ``findings`` table with ``findings`` (same finding twice is written once).

    The digests of the last run's rows go with the findings they were made from: nothing is carried
    over from findings written this way.
    """
    with engine.transaction():
        engine.replace_arrow("findings", findings_table(_unique(findings)))
        engine.reset_table(DIGESTS)


def _evidence(text: str) -> dict[str, Any]:
    """A finding's stored evidence (orjson, twice as fast; what it refuses, such as an older run's ``NaN``, by
    the standard library)."""
    try:
        return cast(dict[str, Any], orjson.loads(text))
    except orjson.JSONDecodeError:
        return cast(dict[str, Any], json.loads(text))


def load_findings(engine: Engine, best_only: bool = False,
                  keep: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                  flagged_by: Iterable[str] | None = None, among: str | None = None) -> list[Finding]:
    """The findings the last detection run wrote (a flag no detector declares any more is skipped).

    ``best_only``: one finding per entity and flag, its highest score (then the last summary in sort
    order): all that lead ranking reads (``leads.rank_leads``). ``keep``: what of each finding's evidence
    to hold (the rest is dropped as each is read: a million findings' evidence is gigabytes).
    ``flagged_by``: only the findings of entities that one of these flags raised (every flag of theirs).
    ``among``: only the findings of the entities in this table (its ``entity_id`` column).
    """
    query = findings_query(best_only, flagged_by, among)
    if query is None or not engine.table_exists("findings"):
        return []
    return stored_findings(engine.fetch_batches(*query), keep)


@overload
def findings_query(best_only: bool = False, flagged_by: None = None,
                   among: str | None = None) -> tuple[str, list[Any]]: ...


@overload
def findings_query(best_only: bool = False, flagged_by: Iterable[str] | None = None,
                   among: str | None = None) -> tuple[str, list[Any]] | None: ...


def findings_query(best_only: bool = False, flagged_by: Iterable[str] | None = None,
                   among: str | None = None) -> tuple[str, list[Any]] | None:
    """The query ``load_findings`` reads (``detector``, ``entity_id``, ``score``, ``summary``, ``evidence``) and
    its parameters; ``None`` when it reads nothing (no flag in ``flagged_by``: without it there is always one)."""
    where, params = "", []
    if flagged_by is not None:
        params = sorted(set(flagged_by))
        if not params:
            return None
        where = (" WHERE entity_id IN (SELECT entity_id FROM findings "
                 f"WHERE detector IN ({', '.join('?' * len(params))}))")
    if among is not None:
        where += (" AND" if where else " WHERE") + f" entity_id IN (SELECT entity_id FROM {among})"
    best = (" QUALIFY row_number() OVER (PARTITION BY entity_id, detector "
            "ORDER BY score DESC, summary DESC, finding_id) = 1") if best_only else ""
    return f"SELECT detector, entity_id, score, summary, evidence FROM findings{where}{best}", params


def stored_findings(batches: Iterable[pa.RecordBatch | pa.Table],
                    keep: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> list[Finding]:
    """The findings of ``findings_query``'s rows (a flag no detector declares any more is skipped); ``keep``:
    what of each finding's evidence to hold (``load_findings``)."""
    known = set(registry())
    out = []
    for batch in batches:
        for name, entity_id, score, summary, text in zip(*(column.to_pylist() for column in batch.columns),
                                                         strict=True):
            if name not in known:
                continue
            evidence = _evidence(text) if text else {}
            if keep is not None:
                evidence = keep(evidence)
            out.append(Finding.stored(name, entity_id, score, summary, evidence))
    return out
