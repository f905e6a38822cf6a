"""Demo generator speed: shipment rows per second at several scales, with the bare CSV write as baseline.

Usage: python benchmarks/demo_generate.py --scales 1 20 [--out /tmp/demo-bench]

For each scale it times building the companies, writing the shipment files
and writing everything else, and prints rows/s of the shipment part side by
side with pyarrow writing the same number of rows of an all-numeric table
(the floor no generator can beat), plus peak memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from diversion.demo.generate import generate_demo
from diversion.demo.shipments_gen import write_shipments
from diversion.demo.tsugami import tsugami_scenario
from diversion.demo.world import build_world


def _baseline(rows: int, folder: Path) -> float:
    """Seconds pyarrow needs to write ``rows`` rows of 22 numeric columns to CSV."""
    started = time.perf_counter()
    table = pa.table({f"c{i}": np.arange(rows, dtype=np.float64) for i in range(22)})
    pacsv.write_csv(table, folder / "baseline.csv")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="scratch folder (default: a temp dir)")
    args = parser.parse_args()
    scratch = args.out or Path(tempfile.mkdtemp(prefix="demo-bench-"))
    print("wall-clock seconds; rows/s on CPU time in brackets (the CPU figure is stable on a shared machine)")
    print(f"{'scale':>6} {'rows':>11} {'world s':>8} {'ship s':>8} {'rows/s':>10} {'(cpu)':>10} "
          f"{'baseline rows/s':>16} {'ratio':>6} {'full demo s':>12}")
    for scale in args.scales:
        folder = scratch / f"scale{scale}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        rng = np.random.default_rng(args.seed)
        t0 = time.perf_counter()
        world = build_world(tsugami_scenario(), scale, rng)
        t1, c1 = time.perf_counter(), time.process_time()
        out = write_shipments(world, folder, rng)
        t2, c2 = time.perf_counter(), time.process_time()
        rows = sum(w.rows for w in out.files.values())
        base = _baseline(rows, folder)
        t3 = time.perf_counter()
        generate_demo(folder / "full", scale=scale, seed=args.seed)
        full = time.perf_counter() - t3
        rate, base_rate = rows / (t2 - t1), rows / base
        cpu_rate = rows / (c2 - c1)
        print(f"{scale:>6} {rows:>11,} {t1 - t0:>8.1f} {t2 - t1:>8.1f} {rate:>10,.0f} {cpu_rate:>10,.0f} "
              f"{base_rate:>16,.0f} {rate / base_rate:>6.2f} {full:>12.1f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mb:,.0f} MB")
    if args.out is None:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
