"""Move a warehouse between engines as Parquet: one folder per table.

Layout: ``DIR/<table>/*.parquet`` for every contract table, plus
``DIR/manifest.json`` with row counts, so a DuckDB file can be handed to a
Spark cluster (and back) without loss.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from diversion.engine.base import Engine
from diversion.engine.duckdb import DuckDBEngine
from diversion.engine.schema import STAGE_TABLES, TABLES, columns
from diversion.errors import DiversionError

MANIFEST = "manifest.json"


def export_parquet(engine: Engine, out_dir: Path) -> dict[str, int]:
    """Write every contract table of ``engine`` to ``out_dir``; return row counts."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name in [*TABLES, *STAGE_TABLES]:
        folder = out_dir / name
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.parquet"):
            old.unlink()
        target = folder / "part-0.parquet"
        if isinstance(engine, DuckDBEngine):
            # DuckDB streams large tables straight to Parquet without Python in between.
            engine.execute(f"COPY (SELECT * FROM {name}) TO '{target.as_posix()}' (FORMAT parquet)")
        else:
            pq.write_table(engine.fetch_arrow(f"SELECT * FROM {name}"), target)
        counts[name] = engine.count(name)
    manifest = {"exported_at": datetime.now().isoformat(timespec="seconds"), "engine": engine.name,
                "tables": counts}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return counts


def import_parquet(engine: Engine, in_dir: Path) -> dict[str, int]:
    """Replace the contract tables of ``engine`` with those found in ``in_dir``."""
    in_dir = Path(in_dir)
    if not (in_dir / MANIFEST).is_file():
        raise DiversionError(f"{in_dir}: not a diversion Parquet export (no {MANIFEST})")
    counts: dict[str, int] = {}
    with engine.transaction():
        for name in [*TABLES, *STAGE_TABLES]:
            files = sorted((in_dir / name).glob("*.parquet"))
            if not files:
                continue
            data = pq.ParquetDataset([str(f) for f in files]).read()
            wanted = [c for c in columns(name) if c in data.column_names]
            engine.replace_arrow(name, data.select(wanted))
            counts[name] = data.num_rows
    return counts
