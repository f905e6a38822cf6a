"""Check: a network built carrying edges over is the network a full build writes, and the time of each.

Takes a warehouse whose network was last built carrying over (``scale.py --new-months N`` leaves one:
``DIR/duckdb-ROWS.duckdb`` after the update), builds the network in full on a copy, and compares the
``nodes`` and ``edges`` of the two row by row (``EXCEPT ALL`` both ways; amounts to 6 decimals: a sum's
last bits depend on the order an engine adds in).

    .venv/bin/python benchmarks/graph_carry.py --db /tmp/work/duckdb-3000000.duckdb

Timing is in-process; the copy is removed afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import duckdb

from diversion.config import load_settings
from diversion.engine import open_engine
from diversion.graph import build_graph

_EDGE_COLUMNS = ("edge_id, source, target, kind, round(value_usd, 6), count, first_date, last_date, share, "
                 "CAST(evidence AS VARCHAR)")


def compare(carried: Path, full: Path) -> dict[str, tuple[int, int, int, int]]:
    """Per table: rows in each warehouse, rows only in the carried one, rows only in the full one."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{carried}' AS c (READ_ONLY)")
    con.execute(f"ATTACH '{full}' AS f (READ_ONLY)")
    out = {}
    for table, cols in (("nodes", "*"), ("edges", _EDGE_COLUMNS)):
        def only(a: str, b: str, table: str = table, cols: str = cols) -> int:
            return int(con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {a}.{table} "
                                   f"EXCEPT ALL SELECT {cols} FROM {b}.{table})").fetchone()[0])
        n = con.execute(f"SELECT (SELECT count(*) FROM c.{table}), (SELECT count(*) FROM f.{table})").fetchone()
        out[table] = (int(n[0]), int(n[1]), only("c", "f"), only("f", "c"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a warehouse whose network was built carrying over")
    args = parser.parse_args()
    if not args.db.exists():
        print(f"no warehouse at {args.db}", file=sys.stderr)
        return 2
    copy = args.db.with_name(args.db.stem + "-fullgraph.duckdb")
    shutil.copyfile(args.db, copy)
    try:
        settings = load_settings(db_path=copy)
        engine = open_engine(copy, "duckdb", memory_limit=settings.memory_limit)
        started = time.perf_counter()
        summary = build_graph(engine, settings)
        print(f"full build on a copy: {time.perf_counter() - started:.1f} s, {summary.nodes:,} nodes, "
              f"{summary.edges:,} edges")
        del engine
        for table, (a, b, only_c, only_f) in compare(args.db, copy).items():
            print(f"{table}: {a:,} carried vs {b:,} full; rows only in the carried network {only_c:,}, "
                  f"only in the full one {only_f:,}")
    finally:
        copy.unlink(missing_ok=True)
        copy.with_name(copy.name + ".wal").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
