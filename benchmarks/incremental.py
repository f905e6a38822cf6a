"""Benchmark: a new month into a resolved warehouse, incremental resolve vs a full rebuild, side by side.

The demo's last month of ``shipments_2023.csv`` is held back: the warehouse
is loaded without it and resolved in full; then the month is ingested and
resolved twice from that same state, on two copies: ``resolve --incremental``
(only the new mentions scored, with the stored model) and a full rebuild.
Printed: each resolve's time, the mentions it scored, how many mentions end
up grouped differently, whether every entity whose mentions did not change
kept its id, and the demo-truth quality of both (``er_quality.py`` part a).

    .venv/bin/python benchmarks/incremental.py --demo /tmp/inc-demo --rows 30000    # generates the demo first
    .venv/bin/python benchmarks/incremental.py --demo /tmp/work/demo-100000         # one of scale.py's (--work)

Timings are in-process (no interpreter start); the machine may be shared: compare the two columns.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def split_last_month(src: Path, out: Path) -> tuple[Path, Path, str]:
    """``src`` (a demo shipments CSV) as the rows before its last month and the rows of it."""
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    month = max(r[header.index("date")][:7] for r in body)
    out.mkdir(parents=True, exist_ok=True)
    paths = out / f"{src.stem}_before.csv", out / f"{src.stem}_{month}.csv"
    for path, keep in zip(paths, (lambda r: r[:7] != month, lambda r: r[:7] == month), strict=True):
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(r for r in body if keep(r[header.index("date")]))
    return paths[0], paths[1], month


def groups(engine: object) -> dict[str, frozenset[str]]:
    """Entity id → its mention ids."""
    sql = "SELECT entity_id, list(mention_id) FROM entity_mentions GROUP BY 1"
    rows = engine.fetch_all(sql)  # type: ignore[attr-defined]
    return {e: frozenset(ms) for e, ms in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", type=Path, required=True,
                        help="demo folder with plan.json (scale.py --work writes one; --rows generates it)")
    parser.add_argument("--rows", type=int, help="generate the demo for this many shipment rows first (as scale.py)")
    parser.add_argument("--work", type=Path, default=None, help="folder for the warehouses (default: beside DEMO)")
    args = parser.parse_args()
    from er_quality import demo_part

    from diversion.config import load_settings
    from diversion.engine import DuckDBEngine
    from diversion.resolve.linkage_cache import cache_path
    from diversion.resolve.pipeline import resolve
    from diversion.sources import ingest_file

    if args.rows and not (args.demo / "plan.json").exists():
        import math

        from diversion.demo import generate_demo

        files = generate_demo(args.demo, scale=max(1, math.ceil(args.rows / 30_500)))
        (args.demo / "plan.json").write_text(json.dumps([[k, str(p), str(m) if m else None]
                                                         for k, p, m in files.plan()]))
    work = args.work or args.demo.parent / f"incremental-{args.demo.name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shipments = args.demo / "shipments" / "shipments_2023.csv"
    before_csv, month_csv, month = split_last_month(shipments, work / "files")
    plan = json.loads((args.demo / "plan.json").read_text())
    base = work / "base.duckdb"
    engine = DuckDBEngine(base)
    for kind, path, mapping in plan:
        p = before_csv if Path(path) == shipments else Path(path)
        ingest_file(engine, kind, p, strict=False, mapping=Path(mapping) if mapping else None)
    settings = load_settings(db_path=base)
    first = resolve(engine, settings)
    known = groups(engine)
    loaded = ingest_file(engine, "shipments", month_csv, strict=False)
    engine.close()
    print(f"held back {month} of {shipments.name}: {loaded.rows_loaded:,} rows; first resolve "
          f"{first.mentions:,} mentions in {first.seconds:.1f} s")
    results = {}
    for mode in ("incremental", "full"):
        db = work / f"{mode}.duckdb"
        shutil.copy(base, db)
        if cache_path(base).exists():  # the linkage rows the first resolve kept travel with its warehouse
            shutil.copy(cache_path(base), cache_path(db))
        engine = DuckDBEngine(db)
        started = time.perf_counter()
        report = resolve(engine, load_settings(db_path=db), incremental=mode == "incremental")
        seconds = time.perf_counter() - started
        results[mode] = (report, seconds, groups(engine), db)
        engine.close()
    print("\n| resolve after the new month | incremental | full rebuild |\n|---|---|---|")
    inc, full = results["incremental"], results["full"]
    print(f"| seconds | {inc[1]:.1f} | {full[1]:.1f} |")
    print(f"| mentions scored | {inc[0].scored_mentions:,} | {full[0].scored_mentions:,} |")
    print(f"| linkage rows kept | {inc[0].known_rows:,} | {full[0].known_rows:,} |")
    print(f"| entities | {inc[0].entities:,} | {full[0].entities:,} |")
    print(f"| predict s | {inc[0].timings.get('predict', 0):.1f} | {full[0].timings.get('predict', 0):.1f} |")
    print(f"| train s | {inc[0].timings.get('train', 0):.1f} | {full[0].timings.get('train', 0):.1f} |")
    same_sets = set(inc[2].values()) & set(full[2].values())
    moved = sum(len(ms) for ms in inc[2].values() if ms not in same_sets)
    print(f"\nmentions grouped differently from the full rebuild: {moved:,} of {inc[0].mentions:,}")
    kept = [e for e, ms in inc[2].items() if known.get(e) == ms]
    unchanged = {ms for ms in known.values()} & set(inc[2].values())
    print(f"entities whose mentions did not change: {len(unchanged):,}; kept their id: {len(kept):,}")
    for mode in ("incremental", "full"):
        print(f"[{mode}]", end=" ")
        demo_part(args.demo, results[mode][3])


if __name__ == "__main__":
    main()
