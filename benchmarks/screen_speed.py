"""``diversion screen "NAME"`` from a cold shell: wall-clock and CPU time per call, side by side.

A warehouse holding the official 2021 OFAC SDN set (``--ofac DIR``, default
``../shared/real/ofac-2021``: 8,890 entries, 23k names) is made once. Then
each call is a fresh ``diversion screen NAME --db W --json`` process, as a
user types it:

- **rebuilt**: the saved index removed before every call (what every call
  cost before issue #14: imports of every stage, the index built from the
  warehouse);
- **saved**: the index saved beside the warehouse (``<db>.screening``) by the
  first call and read by the next ones.

Reported per mode: median and best wall-clock seconds and the median CPU
seconds (user + system) of the child processes; the target is < 1 s wall.
On a shared machine wall-clock time includes waiting for a CPU: the CPU
seconds say what a call costs on an idle one.

Usage: python benchmarks/screen_speed.py [--ofac DIR] [--calls 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERIES = ["Evgenii Prigozhin", "Oleg Deripaska", "Banco Nacional de Cuba", "Rosoboroneksport", "Kalashnikov Concern",
           "ATA LLC", "Mahan Air"]


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("diversion")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "diversion.cli"]


def _call(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = next((d / "shared" / "real" / "ofac-2021" for d in Path(__file__).resolve().parents
                    if (d / "shared" / "real").is_dir()), Path("shared/real/ofac-2021"))
    parser.add_argument("--ofac", type=Path, default=default, help="folder with the OFAC sdn.csv, alt.csv, add.csv")
    parser.add_argument("--calls", type=int, default=7, help="calls per mode")
    args = parser.parse_args()
    cli = _cli()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ofac.duckdb"
        files = [str(args.ofac / f) for f in ("sdn.csv", "alt.csv", "add.csv")]
        subprocess.run([*cli, "ingest", "sanctions", *files, "--strict", "--db", str(db)], check=True,
                       stdout=subprocess.DEVNULL)
        saved = db.with_name(db.name + ".screening")
        results: dict[str, list[tuple[float, float]]] = {"rebuilt": [], "saved": []}
        for i in range(args.calls):
            query = QUERIES[i % len(QUERIES)]
            saved.unlink(missing_ok=True)
            results["rebuilt"].append(_call([*cli, "screen", query, "--db", str(db), "--json"]))
            _call([*cli, "screen", query, "--db", str(db), "--json"])  # saves the index
            results["saved"].append(_call([*cli, "screen", query, "--db", str(db), "--json"]))
        print(f"diversion screen NAME, OFAC 2021 warehouse, {args.calls} calls per mode, fresh process each")
        medians = {}
        for mode, runs in results.items():
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            medians[mode] = statistics.median(walls)
            print(f"  {mode:<8} wall median {statistics.median(walls):6.2f} s  best {min(walls):6.2f} s  "
                  f"CPU median {statistics.median(cpus):6.2f} s")
        print(f"  saved index vs rebuilt: {medians['rebuilt'] / medians['saved']:.1f}x faster (median wall)")
        print(f"  target < 1 s wall: {'met' if medians['saved'] < 1.0 else 'NOT met'} (load: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
