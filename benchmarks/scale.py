"""Benchmark: the whole pipeline on DuckDB and on Spark (local mode), side by side, at 1M and 10M rows.

The demo data set is generated once per size (``--rows`` shipment rows; the
demo's companies grow with it) and the same files run through every stage on
each engine: ingest (Spark keeps Parquet tables), resolve (Splink on the
engine's backend), graph, detect, leads, and two flow queries (monthly
machine-tool imports by origin with growth; by exporter with attribution).
Each stage runs in its own process, as the CLI runs it, so its time includes
opening the warehouse (and, on Spark, starting the JVM) and its peak memory is
its own: the resident memory of the whole process tree (Python and the Spark
JVM together), sampled every 0.2 s.

    .venv/bin/python benchmarks/scale.py --rows 1000000
    .venv/bin/python benchmarks/scale.py --rows 1000000 10000000 --engines duckdb spark
    .venv/bin/python benchmarks/scale.py --rows 10000000 --engines duckdb --stages ingest graph detect

A stage that fails or runs past ``--stage-timeout`` is reported as such and
the stages after it on that engine are skipped (they need its tables).

``--new-months K`` adds the monthly-update scenario (DuckDB): the last K months
of ``shipments_2023.csv`` are held back, the pipeline runs on the rest as
above, then the held-back months are ingested and every stage runs again as
``diversion run`` runs it (resolve builds on the last one), each timed as a
"new" row; last, a copy of that warehouse is rebuilt from scratch (``resolve
--full`` → leads) and the two are compared: mentions grouped differently,
entity ids kept, findings, and the order of the top 20 leads. The update also
says how far its shipments reach: the trade parties party to a new shipment,
and their share of all shipments' parties (the rows an update reads again for
every aggregate per entity: a finding, a lead, an edge's total).

    .venv/bin/python benchmarks/scale.py --rows 1000000 --engines duckdb --new-months 4
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STAGES = ("ingest", "resolve", "graph", "detect", "leads", "flows")
DEMO_ROWS_PER_SCALE = 30_500  # shipment rows the demo writes at --scale 1


# --- worker: one stage, in its own process ----------------------------------------------------------
@contextmanager
def detector_times() -> Iterator[dict[str, float]]:
    """Seconds per detector while detection runs in this block: from its first finding asked for to its
    last, so its query, the findings it makes and their writing (``detect_counts`` writes as they come)."""
    import diversion.detect.run as detect_run

    times: dict[str, float] = {}
    run_one_detector = detect_run.iter_one

    def timed(found: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        started = time.perf_counter()
        try:
            yield from run_one_detector(found, *args, **kwargs)
        finally:
            times[found.name] = times.get(found.name, 0.0) + time.perf_counter() - started

    detect_run.iter_one = timed  # the name ``detect_counts`` calls each detector through
    try:
        yield times
    finally:
        detect_run.iter_one = run_one_detector


def run_stage(stage: str, engine_name: str, db: Path, data: Path, master: str, plan: str = "plan.json",
              mode: str = "") -> str:
    """Run one pipeline stage on the warehouse at ``db``; return a one-line summary.

    ``plan``: the file list ingest loads; ``mode``: ``incremental`` or ``full`` for resolve (default: full).
    """
    from diversion.config import load_settings
    from diversion.engine import open_engine

    settings = load_settings(db_path=db, engine=engine_name, spark_master=master)
    engine = open_engine(db, engine_name, spark_master=master, memory_limit=settings.memory_limit)
    try:
        if stage == "ingest":
            from diversion.sources import ingest_file

            files = json.loads((data / plan).read_text())
            results = [ingest_file(engine, kind, Path(path), strict=False, mapping=Path(m) if m else None)
                       for kind, path, m in files]
            return f"{sum(r.rows_loaded for r in results):,} rows loaded, " \
                   f"{sum(r.rows_quarantined for r in results):,} quarantined"
        if stage == "resolve":
            from diversion.resolve.pipeline import resolve

            r = resolve(engine, settings, incremental=mode == "incremental")
            laps = ", ".join(f"{step} {seconds:.0f}" for step, seconds in r.timings.items())
            kept = f", {r.known_rows:,} linkage rows kept" if r.known_rows else ""
            return f"{r.mentions:,} mentions → {r.entities:,} entities, {r.scored_mentions:,} scored{kept} ({laps} s)"
        if stage == "graph":
            from diversion.graph import build_graph

            g = build_graph(engine, settings, carry=mode == "incremental")
            kept = f" ({g.carried:,} carried over)" if g.carried else ""
            return f"{g.nodes:,} nodes, {g.edges:,} edges{kept}"
        if stage == "detect":
            from diversion.detect import detect_counts

            carried: dict[str, int] = {}
            with detector_times() as times:
                counts = detect_counts(engine, settings, carry=mode == "incremental", carried=carried)
            kept = f" ({sum(carried.values()):,} carried over)" if carried else ""
            slowest = sorted(times.items(), key=lambda kv: -kv[1])[:5]
            return (f"{sum(counts.values()):,} findings{kept}; slowest detectors: "
                    + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest))
        if stage == "leads":
            from diversion.leads import build_leads

            carried: dict[str, int] = {}
            leads = build_leads(engine, settings, carry=mode == "incremental", carried=carried, top=4)
            kept = f" ({carried['leads']:,} rows carried over)" if carried.get("leads") else ""
            return "top: " + ", ".join(lead.name for lead in leads[:4]) + kept
        if stage == "flows":
            from datetime import date

            from diversion.flows import FlowQuery, compute_flows, make_filter, parse_period

            flt = make_filter(machine_tools=True, importer_countries=["RU"])
            monthly = compute_flows(engine, FlowQuery(filter=flt, by="origin", currency="USD",
                                                      cutoff=date(2022, 2, 24)))
            if not engine.count("entities"):  # run without resolve: by exporter needs entities
                return f"{len(monthly.series):,} monthly rows"
            by_exporter = compute_flows(engine, FlowQuery(filter=flt, by="exporter", currency="USD",
                                                          before=parse_period("2021"), after=parse_period("2023")))
            return f"{len(monthly.series):,} monthly rows, {len(by_exporter.growth):,} exporters compared"
        raise SystemExit(f"unknown stage {stage}")
    finally:
        engine.close()


# --- parent: sample memory, time, compare ------------------------------------------------------------
def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(parents.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    return total


def measure(cmd: list[str], timeout: float) -> tuple[float, float, int, str]:
    """Run ``cmd``; return (seconds, peak GiB of its process tree, exit code, last output line)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        done.set()
        return time.perf_counter() - started, peak / 2**30, -9, "timed out"
    done.set()
    sampler.join()
    lines = [line for line in (out or "").splitlines() if line.startswith("RESULT ")]
    tail = lines[-1][7:] if lines else ((out or "").strip().splitlines() or ["(no output)"])[-1][:200]
    return time.perf_counter() - started, peak / 2**30, proc.returncode, tail


def hold_back(data: Path, months: int) -> tuple[str, str, int]:
    """Split the plan: the last ``months`` months of ``shipments_2023.csv`` go to a file of their own.

    Returns the plan files (base, new) written in ``data`` and the rows held back.
    """
    import csv

    base_name, new_name = f"plan_base_{months}.json", f"plan_new_{months}.json"
    count_file = data / f"held_back_{months}.txt"
    if (data / base_name).exists() and count_file.exists():
        return base_name, new_name, int(count_file.read_text())
    plan = json.loads((data / "plan.json").read_text())
    src = next(Path(p) for kind, p, _ in plan if kind == "shipments" and Path(p).name == "shipments_2023.csv")
    with src.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        at = header.index("date")
        last = sorted({row[at][:7] for row in reader})[-months:]
    before, after = src.with_name("shipments_2023_before.csv"), src.with_name(f"shipments_2023_last{months}.csv")
    held = 0
    with src.open(encoding="utf-8", newline="") as handle, before.open("w", encoding="utf-8", newline="") as b, \
            after.open("w", encoding="utf-8", newline="") as a:
        reader, wb, wa = csv.reader(handle), csv.writer(b), csv.writer(a)
        header = next(reader)
        wb.writerow(header)
        wa.writerow(header)
        for row in reader:
            if row[at][:7] in last:
                wa.writerow(row)
                held += 1
            else:
                wb.writerow(row)
    base = [[k, str(before) if p == str(src) else p, m] for k, p, m in plan]
    (data / base_name).write_text(json.dumps(base))
    (data / new_name).write_text(json.dumps([["shipments", str(after), None]]))
    count_file.write_text(str(held))
    return base_name, new_name, held


def _compare(incremental: Path, rebuilt: Path) -> str:
    """How the warehouse built month by month differs from the one rebuilt from scratch."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{incremental}' AS i (READ_ONLY)")
    con.execute(f"ATTACH '{rebuilt}' AS f (READ_ONLY)")

    def groups(db: str) -> str:
        return (f"(SELECT list(mention_id ORDER BY mention_id) AS ms, entity_id FROM {db}.entity_mentions "
                "GROUP BY entity_id)")

    moved = con.execute(f"SELECT count(*) FROM (SELECT ms FROM {groups('i')} EXCEPT SELECT ms FROM {groups('f')})"
                        ).fetchone()[0]
    entities = con.execute("SELECT (SELECT count(*) FROM i.entities), (SELECT count(*) FROM f.entities)").fetchone()
    same_id = con.execute(f"SELECT count(*) FROM {groups('i')} a JOIN {groups('f')} b USING (ms) "
                          "WHERE a.entity_id = b.entity_id").fetchone()[0]
    findings = con.execute("SELECT (SELECT count(*) FROM i.findings), (SELECT count(*) FROM f.findings)").fetchone()
    edges = con.execute("SELECT (SELECT count(*) FROM i.edges), (SELECT count(*) FROM f.edges)").fetchone()
    top = [con.execute(f"SELECT list(name ORDER BY rank) FROM (SELECT * FROM {db}.leads ORDER BY rank LIMIT 20)"
                       ).fetchone()[0] for db in ("i", "f")]
    return (f"entities {entities[0]:,} vs {entities[1]:,} rebuilt; {moved:,} groups differ; {same_id:,} with the "
            f"same id; edges {edges[0]:,} vs {edges[1]:,}; findings {findings[0]:,} vs {findings[1]:,}; top-20 leads "
            + ("identical" if top[0] == top[1] else f"differ: {top[0][:5]} vs {top[1][:5]}"))


def reach(db: Path, new_file: str) -> str:
    """How far an update's new shipments reach: the trade parties that are party to one, and the share of every
    shipment's parties they are (what an update must read again of every entity-level aggregate)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("""
            CREATE TEMP TABLE touched AS
            SELECT unnest([se.exporter_entity_id, se.importer_entity_id]) AS e
            FROM shipment_entities se SEMI JOIN (
                SELECT record_id FROM shipments
                WHERE source_id IN (SELECT source_id FROM sources WHERE path = ?)) s ON s.record_id = se.record_id
            """, [new_file])
        parties, touched, rows, reached = con.execute("""
            WITH p AS (SELECT unnest([exporter_entity_id, importer_entity_id]) AS e FROM shipment_entities)
            SELECT count(DISTINCT e), count(DISTINCT e) FILTER (WHERE e IN (SELECT e FROM touched)),
                   count(e), count(e) FILTER (WHERE e IN (SELECT e FROM touched)) FROM p""").fetchone()
    finally:
        con.close()
    return (f"the new shipments reach {touched:,} of {parties:,} trade parties ({touched / max(parties, 1):.0%}), "
            f"party to {reached:,} of {rows:,} shipments' parties ({reached / max(rows, 1):.0%})")


def bench_size(rows: int, engines: list[str], stages: list[str], master: str, timeout: float,
               work: Path, record: Path | None = None, new_months: int = 0) -> list[dict[str, object]]:
    """Generate the demo at ``rows`` and time every stage on every engine (and the new months' update)."""
    from diversion.demo import generate_demo

    scale = max(1, math.ceil(rows / DEMO_ROWS_PER_SCALE))
    data = work / f"demo-{rows}"
    if (data / "plan.json").exists():  # kept from an earlier run with the same --work: same files
        print(f"\n== {rows:,} rows (demo --scale {scale}); reusing the files in {data}", flush=True)
    else:
        t = time.perf_counter()
        files = generate_demo(data, scale=scale)
        plan = [[kind, str(path), str(mapping) if mapping else None] for kind, path, mapping in files.plan()]
        (data / "plan.json").write_text(json.dumps(plan))
        print(f"\n== {rows:,} rows (demo --scale {scale}); generated in {time.perf_counter() - t:.0f} s", flush=True)
    plan_base, plan_new, held = ("plan.json", "", 0)
    if new_months:
        plan_base, plan_new, held = hold_back(data, new_months)
        print(f"   {held:,} rows of the last {new_months} month(s) held back for the update", flush=True)
    results = []

    def timed(engine_name: str, db: Path, stage: str, phase: str, plan: str, mode: str) -> bool:
        cmd = [sys.executable, __file__, "--worker", stage, "--engine-name", engine_name, "--db", str(db),
               "--data", str(data), "--spark-master", master, "--plan", plan, "--mode", mode]
        seconds, peak, code, summary = measure(cmd, timeout)
        status = "ok" if code == 0 else ("timed out" if code == -9 else "failed")
        results.append({"rows": rows, "engine": engine_name, "phase": phase, "stage": stage, "status": status,
                        "seconds": round(seconds, 1), "peak_gib": round(peak, 2), "summary": summary})
        print(f"  {engine_name:7} {phase + ' ' + stage:14} {status:9} {seconds:8.1f} s  peak {peak:5.2f} GiB  "
              f"{summary}", flush=True)
        if record is not None:  # one JSON line per stage as it ends: a long run keeps what it measured
            with record.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(results[-1]) + "\n")
        return status == "ok"

    for engine_name in engines:
        db = work / f"{engine_name}-{rows}.duckdb"
        if "ingest" in stages:  # a timed ingest starts from an empty warehouse; later stages alone reuse it
            db.unlink(missing_ok=True)
            shutil.rmtree(db.with_suffix(".spark"), ignore_errors=True)
        failed = False
        for stage in stages:
            if failed:
                results.append({"rows": rows, "engine": engine_name, "phase": "", "stage": stage,
                                "status": "skipped"})
                continue
            failed = not timed(engine_name, db, stage, "", plan_base, "full")
        if not new_months or failed or engine_name != "duckdb":
            continue
        for stage in stages:  # the update, as `diversion ingest` then `diversion run` do it
            if not timed(engine_name, db, stage, "new", plan_new if stage == "ingest" else plan_base,
                         "incremental"):
                break
        else:
            if "resolve" in stages:  # the new shipments' parties are known once resolved
                new_file = json.loads((data / plan_new).read_text())[0][1]
                reached = reach(db, new_file)
                results.append({"rows": rows, "engine": engine_name, "phase": "reach", "stage": "reach",
                                "status": "ok", "summary": reached})
                print(f"  update: {reached}", flush=True)
            rebuilt = db.with_name(db.stem + "-rebuilt.duckdb")
            shutil.copyfile(db, rebuilt)
            for stage in [s for s in stages if s not in ("ingest", "flows")]:
                if not timed(engine_name, rebuilt, stage, "rebuilt", plan_base, "full"):
                    break
            else:
                comparison = _compare(db, rebuilt)
                results.append({"rows": rows, "engine": engine_name, "phase": "compare", "stage": "compare",
                                "status": "ok", "summary": comparison})
                print(f"  update vs rebuild: {comparison}", flush=True)
    return results


def print_table(results: list[dict[str, object]], engines: list[str]) -> None:
    """Stage by stage, engine beside engine, with the ratio to the first engine."""
    print("\n| rows | stage | " + " | ".join(f"{e} s | {e} peak GiB" for e in engines)
          + (f" | {engines[1]} / {engines[0]} time" if len(engines) > 1 else "") + " |")
    print("|---" * (2 + 2 * len(engines) + (1 if len(engines) > 1 else 0)) + "|")
    phases = ["", "new", "rebuilt"]
    timed = [r for r in results if r.get("phase", "") in phases]
    keys = sorted({(r["rows"], r.get("phase", ""), r["stage"]) for r in timed},
                  key=lambda k: (k[0], phases.index(k[1]), STAGES.index(k[2])))
    totals = sorted({(r["rows"], r.get("phase", "")) for r in timed}, key=lambda k: (k[0], phases.index(k[1])))
    for rows, phase, stage in [*keys, *[(n, p, "total") for n, p in totals]]:
        cells, times = [], []
        for e in engines:
            mine = [r for r in timed if r["rows"] == rows and r["engine"] == e and r.get("phase", "") == phase
                    and (stage == "total" or r["stage"] == stage)]
            if stage == "total":
                ok = all(r["status"] == "ok" for r in mine) and mine
                sec = sum(float(r.get("seconds", 0)) for r in mine)
                peak = max((float(r.get("peak_gib", 0)) for r in mine), default=0.0)
                cells += [f"{sec:.0f}" + ("" if ok else " (incomplete)"), f"{peak:.2f}"]
                times.append(sec if ok else None)
            elif mine and mine[0]["status"] == "ok":
                cells += [f"{mine[0]['seconds']}", f"{mine[0]['peak_gib']}"]
                times.append(float(mine[0]["seconds"]))
            else:
                cells += [str(mine[0]["status"]) if mine else "-", "-"]
                times.append(None)
        ratio = ""
        if len(engines) > 1:
            ratio = f" | {times[1] / times[0]:.1f}×" if times[0] and times[1] else " | -"
        label = {"": stage, "new": f"new months: {stage}", "rebuilt": f"rebuilt after: {stage}"}[phase]
        print(f"| {rows:,} | {label} | " + " | ".join(cells) + ratio + " |")
    for r in results:
        if r.get("phase") == "reach":
            print(f"\nupdate at {r['rows']:,} rows: {r['summary']}")
        if r.get("phase") == "compare":
            print(f"\nupdate vs rebuild at {r['rows']:,} rows: {r['summary']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000], help="shipment rows per run")
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"], choices=["duckdb", "spark"])
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=list(STAGES))
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--stage-timeout", type=float, default=3600, help="seconds before a stage is stopped")
    parser.add_argument("--work", type=Path, help="folder for data and warehouses, kept and reused by later runs "
                        "(default: a temporary one); each stage's result is appended to stages.jsonl there")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--worker", choices=list(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--engine-name", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--plan", default="plan.json", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="", help=argparse.SUPPRESS)
    parser.add_argument("--new-months", type=int, default=0, help="also time an update: the last N months of "
                        "shipments_2023.csv held back, then ingested and run again (DuckDB), and compared with a "
                        "rebuild")
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + run_stage(args.worker, args.engine_name, args.db, args.data, args.spark_master,
                                    args.plan, args.mode))
        return
    tmp = None if args.work else tempfile.TemporaryDirectory(prefix="diversion-scale-")
    work = args.work or Path(tmp.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; engines {', '.join(args.engines)}; Spark master {args.spark_master}")
    results: list[dict[str, object]] = []
    try:
        for rows in args.rows:
            results += bench_size(rows, args.engines, args.stages, args.spark_master, args.stage_timeout, work,
                                  work / "stages.jsonl", args.new_months)
            if not args.work:  # a --work folder keeps the generated files for the next run
                shutil.rmtree(work / f"demo-{rows}", ignore_errors=True)
    finally:
        print_table(results, args.engines)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
