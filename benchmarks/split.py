"""Benchmark: a row-wise detector's findings made on one core, then on two (``detect.split``), side by side.

On an existing warehouse after its graph (read-only: nothing is written), each round runs the detector
twice in this process, every finding made and turned into its ``findings`` rows as ``detect_counts``
writes them: first with every row made here, then with the first ``detect.split.CHILD_SHARE`` of the rows
handed to a worker process. Alternating rounds, because a shared machine's speed drifts. Prints each
run's seconds, the findings, how long this process waited for the worker, and the ratio.

    .venv/bin/python benchmarks/split.py --db DIR/duckdb-10000000.duckdb --detector priority_goods --rounds 2
"""

from __future__ import annotations

import argparse
import time
from itertools import islice
from pathlib import Path
from typing import Any

from diversion import workers
from diversion.collector import collector_paused
from diversion.config import load_settings
from diversion.detect import split
from diversion.detect.context import DetectContext
from diversion.detect.registry import detector
from diversion.detect.run import WRITE_CHUNK, findings_table, iter_one
from diversion.engine import open_engine


def _timed_results(waits: list[float]) -> None:
    """Record how long each ``Share.result`` call waited for its worker."""
    real = workers.Share.result

    def timed(self: workers.Share) -> Any:
        started = time.perf_counter()
        try:
            return real(self)
        finally:
            waits.append(time.perf_counter() - started)

    workers.Share.result = timed  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True, help="a DuckDB warehouse after its graph stage")
    parser.add_argument("--detector", default="priority_goods", help="a detector that streams rowwise")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--split-rows", type=int, default=split.SPLIT_ROWS,
                        help="rows from which the worker takes a share (default: the package's)")
    args = parser.parse_args()
    settings = load_settings(db_path=args.db, engine="duckdb")
    engine = open_engine(args.db, "duckdb", read_only=True, memory_limit=settings.memory_limit)
    found = detector(args.detector)
    waits: list[float] = []
    _timed_results(waits)
    labels = None
    print(f"{'round':>5} {'cores':>5} {'seconds':>8} {'findings':>9} {'waited':>7}")
    for rnd in range(args.rounds):
        seconds = {}
        for cores in (1, 2):
            split.SPLIT_ROWS = args.split_rows if cores == 2 else 10**15
            ctx = DetectContext(engine, settings, split=True)
            if labels is not None:  # read once: the labels are not what is compared
                ctx.__dict__["labels"] = labels
            waits.clear()
            with collector_paused():
                started = time.perf_counter()
                made, stream = 0, iter_one(found, engine, settings, ctx)
                while chunk := list(islice(stream, WRITE_CHUNK)):
                    made += findings_table(chunk).num_rows
                made += sum(table.num_rows for table in ctx.made.pop(found.name, []))
                seconds[cores] = time.perf_counter() - started
            labels = ctx.labels
            print(f"{rnd:>5} {cores:>5} {seconds[cores]:>8.1f} {made:>9,} {sum(waits):>7.1f}", flush=True)
        print(f"round {rnd}: two cores / one = {seconds[2] / seconds[1]:.2f}", flush=True)
    engine.close()


if __name__ == "__main__":
    main()
