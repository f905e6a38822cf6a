"""Ingest speed: ``diversion`` shipments ingest vs DuckDB's bare ``read_csv``.

Writes (or takes) a standard-profile shipments CSV, then in the same run:

1. baseline: ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` in a fresh DuckDB file;
2. ours: ``ingest_file(engine, "shipments", file)`` into a fresh warehouse
   (hashing, parsing, normalising, quarantine, idempotent insert, value_usd fill).

Each runs in its own child process so that its peak memory (``ru_maxrss``) is
its own. Prints rows/s for both, the ratio (target: ours >= 0.5x), and peak RSS.

    .venv/bin/python benchmarks/ingest.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

COUNTRIES = ["CN", "China", "КИТАЙ", "DE", "Germany", "JP", "Japan", "AE", "TR", "Turkey", "KR", "TW", "IT", "RU"]
CURRENCIES = ["USD", "USD", "USD", "EUR", "CNY", "RUB"]
HS = ["845811", "845891", "846229", "8459.61", "846011", "847989", "0101", "850440", "854231", "846693"]


def write_standard_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` synthetic standard-profile shipment rows (vectorised, seconds per million)."""
    rng = np.random.default_rng(seed)
    chunk = 250_000
    writer = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        ids = np.arange(start, start + n)
        exporters = np.array([f"Exporter {i} Co., Ltd" for i in range(5000)])
        importers = np.array([f'ООО "Импортёр {i}"' for i in range(8000)])
        days = rng.integers(0, 5 * 365, n).astype("timedelta64[D]") + np.datetime64("2019-01-01")
        table = pa.table({
            "record_id": pa.array(np.char.add("D", ids.astype(str))),
            "date": pa.array(days.astype(str)),
            "hs_code": pa.array(rng.choice(HS, n)),
            "description": pa.array(rng.choice(["CNC lathe", "machining centre", "spare parts, tools"], n)),
            "brand": pa.array(rng.choice(["Tsugami", "DMG Mori", "Haas", ""], n)),
            "model": pa.array(rng.choice(["B0326", "M08SY", "VF-2", ""], n)),
            "manufacture_year": pa.array(rng.choice(["2001", "2005", "2019", ""], n)),
            "exporter_name": pa.array(rng.choice(exporters, n)),
            "exporter_address": pa.array(rng.choice(["1 Harbour Rd, Shenzhen", "Dubai, JAFZA", ""], n)),
            "exporter_country": pa.array(rng.choice(COUNTRIES, n)),
            "importer_name": pa.array(rng.choice(importers, n)),
            "importer_address": pa.array(rng.choice(["Москва, ул. Ленина 1", "St Petersburg", ""], n)),
            "importer_country": pa.array(rng.choice(["RU", "Russia", "РОССИЯ"], n)),
            "importer_id": pa.array(rng.integers(7700000000, 7799999999, n).astype(str)),
            "origin_country": pa.array(rng.choice(COUNTRIES, n)),
            "dispatch_country": pa.array(rng.choice(COUNTRIES, n)),
            "trading_country": pa.array(rng.choice(COUNTRIES, n)),
            "value": pa.array(np.round(rng.lognormal(10, 2, n), 2).astype(str)),
            "currency": pa.array(rng.choice(CURRENCIES, n)),
            "quantity": pa.array(rng.integers(1, 20, n).astype(str)),
            "unit": pa.array(rng.choice(["pcs", "set", "kg"], n)),
            "net_weight_kg": pa.array(np.round(rng.lognormal(7, 1, n), 1).astype(str)),
        })
        if writer is None:
            writer = pacsv.CSVWriter(str(path), table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def _child(mode: str, csv_path: Path, db_path: Path) -> dict[str, float]:
    """Run one timed load in this (child) process; return seconds, rows and peak RSS."""
    import resource

    import duckdb

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    if mode == "ours":  # imports are not part of the load
        import pandas  # noqa: F401  (DuckDB imports it on the first query with parameters: 0.3-0.5 s)

        from diversion.sources import _parsers

        _parsers()
    start, cpu_start = time.perf_counter(), cpu()
    if mode == "baseline":
        con = duckdb.connect(str(db_path))
        con.execute("CREATE TABLE shipments AS SELECT * FROM read_csv(?)", [str(csv_path)])
        rows = con.execute("SELECT count(*) FROM shipments").fetchone()[0]
        con.close()
    else:
        from diversion.engine import open_engine
        from diversion.sources import ingest_file

        engine = open_engine(db_path)
        result = ingest_file(engine, "shipments", csv_path)
        rows = result.rows_read
        engine.close()
    seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rows": rows, "peak_mib": peak_mib, "cpu_seconds": cpu_seconds}


def _run_child(mode: str, csv_path: Path, work: Path, index: int) -> dict[str, float]:
    db = work / f"{mode}-{index}.duckdb"
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--csv", str(csv_path), "--db", str(db)],
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"the {mode} run failed:\n{out.stderr[-4000:]}")
    db.unlink(missing_ok=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Parse arguments, prepare the file, run baseline and ours alternately, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to generate (default 1,000,000)")
    parser.add_argument("--csv", type=Path, help="use this standard-profile CSV instead of generating one")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, alternating (median reported)")
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=["baseline", "ours"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.csv, args.db)))
        return
    with tempfile.TemporaryDirectory(prefix="diversion-bench-") as tmp:
        work = Path(tmp)
        csv_path = args.csv
        if csv_path is None:
            csv_path = work / "shipments.csv"
            started = time.perf_counter()
            write_standard_csv(csv_path, args.rows)
            print(f"wrote {args.rows:,} rows ({csv_path.stat().st_size / 2**20:,.0f} MiB) "
                  f"in {time.perf_counter() - started:.1f} s")
        runs: dict[str, list[dict[str, float]]] = {"baseline": [], "ours": []}
        for i in range(args.repeat):
            for mode in ("baseline", "ours"):
                runs[mode].append(_run_child(mode, csv_path, work, i))
    median = {mode: sorted(r, key=lambda x: x["seconds"])[len(r) // 2] for mode, r in runs.items()}
    rate = {mode: m["rows"] / m["seconds"] for mode, m in median.items()}
    print(f"{'':28}{'rows':>12}{'seconds':>10}{'rows/s':>12}{'CPU s':>8}{'peak RSS MiB':>14}")
    for mode, label in (("baseline", "duckdb read_csv -> table"), ("ours", "diversion ingest shipments")):
        m = median[mode]
        print(f"{label:28}{m['rows']:>12,.0f}{m['seconds']:>10.2f}{rate[mode]:>12,.0f}{m['cpu_seconds']:>8.1f}"
              f"{m['peak_mib']:>14,.0f}")
    if args.repeat > 1:
        for mode in runs:
            print(f"  {mode} runs (s): " + ", ".join(f"{r['seconds']:.2f}" for r in runs[mode]))
    ratio = rate["ours"] / rate["baseline"]
    cpu_ratio = median["baseline"]["cpu_seconds"] / median["ours"]["cpu_seconds"]
    print(f"ratio ours/baseline (rows/s): {ratio:.2f}x (target >= 0.50x) -> {'OK' if ratio >= 0.5 else 'BELOW TARGET'}")
    print(f"ratio by CPU time (steadier on a busy machine): {cpu_ratio:.2f}x")
    if args.repeat > 1:
        # "On every run": each of ours against the baseline run just before it (run side by side).
        paired = [b["seconds"] / o["seconds"] for b, o in zip(runs["baseline"], runs["ours"], strict=True)]
        print(f"ratio per run pair: {', '.join(f'{r:.2f}x' for r in paired)} (lowest {min(paired):.2f}x)")


if __name__ == "__main__":
    main()
