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
