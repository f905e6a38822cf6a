"""Benchmark ``diversion flows`` and ``diversion report`` on a large synthetic warehouse.

Generates N shipment rows directly in DuckDB (dates 2020–2023, machine tools
and other goods, five currencies, thousands of parties), then times each flow
statistic next to two baselines run in the same process on the same data:

- ``raw``: the bare ``GROUP BY`` with no currency conversion (the floor);
- ``naive``: converting every row with ASOF joins before aggregating.

Usage: .venv/bin/python benchmarks/flows.py --rows 10000000 [--db /tmp/bench.duckdb] [--report]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from diversion.config import load_settings
from diversion.engine import DuckDBEngine
from diversion.flows import FlowQuery, compute_flows, make_filter, parse_period

CUT = date(2022, 2, 24)


def generate(engine: DuckDBEngine, rows: int, seed: float = 0.42) -> None:
    """Fill ``shipments`` and ``rates`` with synthetic rows (deterministic for a seed)."""
    con = engine.con
    con.execute(f"SELECT setseed({seed})")
    con.execute("""
        INSERT INTO rates
        SELECT m::DATE, c, CASE c WHEN 'GBP' THEN 0.78 WHEN 'EUR' THEN 0.91 WHEN 'CNY' THEN 6.9
                                  WHEN 'RUB' THEN 75.0 ELSE 140.0 END * (1 + 0.05 * sin(epoch(m) / 1e7)),
               'bench', row_number() OVER (), c || m::VARCHAR
        FROM range(DATE '2019-01-01', DATE '2024-01-01', INTERVAL 1 MONTH) t(m),
             (VALUES ('GBP'), ('EUR'), ('CNY'), ('RUB'), ('JPY')) c(c)""")
    con.execute(f"""
        INSERT INTO shipments
        WITH r AS (
          SELECT i, random() AS a, random() AS b, random() AS c, random() AS d, random() AS e FROM range({rows}) t(i)
        )
        SELECT 'b' || i, DATE '2020-01-01' + CAST(a * 1460 AS INTEGER),
          ['8458110000', '8459610000', '8457100000', '8466930000', '8501100000', '8542310000', '7308900000'][
              1 + CAST(b * 7 AS INTEGER) % 7],
          NULL, ['Tsugami', 'DMG Mori', 'Haas', NULL, 'Okuma'][1 + CAST(c * 5 AS INTEGER) % 5], NULL, NULL,
          'Exporter ' || CAST(d * 20000 AS INTEGER), NULL, NULL,
          'Importer ' || CAST(pow(e, 2) * 5000 AS INTEGER), NULL,
          CASE WHEN e < 0.9 THEN 'RU' ELSE 'KZ' END, NULL,
          CASE WHEN a > 0.55 AND b < 0.6 THEN 'CN'
               ELSE ['DE', 'JP', 'TW', 'KR', 'IT', 'CN', 'US'][1 + CAST(d * 7 AS INTEGER) % 7] END,
          CASE WHEN c < 0.2 THEN 'AE' WHEN c < 0.3 THEN 'TR' ELSE NULL END, NULL,
          round(1000 + pow(b, 3) * 500000, 2),
          ['USD', 'EUR', 'CNY', 'GBP', 'RUB'][1 + CAST(e * 5 AS INTEGER) % 5],
          NULL, 1, 'pcs', 100.0, 'bench', i, md5(i::VARCHAR)
        FROM r""")
    # Fill value_usd for most rows, as ingest does; leave 5% to the runtime conversion.
    con.execute("""
        UPDATE shipments s SET value_usd = s.value / r.per_usd FROM rates r
        WHERE r.currency = s.currency AND r.month = date_trunc('month', s.date) AND hash(s.record_id) % 20 <> 0""")
    con.execute("UPDATE shipments SET value_usd = value WHERE currency = 'USD'")
    # A few leads so the report draws dossiers.
    con.execute("""
        INSERT INTO leads SELECT row_number() OVER (ORDER BY n DESC), importer_name, importer_name, 'RU', 0.9,
               'intermediary_surge', 'benchmark lead'
        FROM (SELECT importer_name, count(*) n FROM shipments GROUP BY 1 ORDER BY n DESC LIMIT 5)""")


def timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best of ``repeat`` wall-clock runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


RAW = """SELECT date_trunc('month', date) AS m, origin_country, sum(value_usd), count(*) FROM shipments
         WHERE substr(hs_code, 1, 4) BETWEEN '8456' AND '8466' AND importer_country = 'RU' GROUP BY ALL"""
NAIVE = """
    WITH tgt AS (SELECT month, per_usd FROM rates WHERE currency = 'GBP')
    SELECT date_trunc('month', s.date) AS m, s.origin_country,
           sum(CASE WHEN s.currency = 'GBP' THEN s.value
                    ELSE coalesce(s.value_usd, s.value / src.per_usd) * tgt.per_usd END), count(*)
    FROM shipments s
    ASOF LEFT JOIN rates src ON src.currency = s.currency AND date_trunc('month', s.date) >= src.month
    ASOF LEFT JOIN tgt ON date_trunc('month', s.date) >= tgt.month
    WHERE substr(s.hs_code, 1, 4) BETWEEN '8456' AND '8466' AND s.importer_country = 'RU' GROUP BY ALL"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--db", type=Path, default=None, help="reuse/keep this warehouse (default: a temp file)")
    parser.add_argument("--report", action="store_true", help="also time `diversion report` (no PNG)")
    parser.add_argument("--png", action="store_true", help="with --report, export PNGs too")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    db = args.db or Path(tmp.name) / "bench.duckdb"
    engine = DuckDBEngine(db)
    have = engine.count("shipments")
    if have != args.rows:
        engine.execute("DELETE FROM shipments")
        engine.execute("DELETE FROM rates")
        engine.execute("DELETE FROM leads")
        t = time.perf_counter()
        generate(engine, args.rows)
        print(f"generated {args.rows:,} shipments in {time.perf_counter() - t:.1f}s")
    print(f"warehouse {db}: {engine.count('shipments'):,} shipments")

    mt_ru = make_filter(machine_tools=True, importer_countries=["RU"])
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("baseline raw GROUP BY (USD, no conversion)", lambda: engine.fetch_all(RAW)),
        ("baseline naive per-row conversion (GBP)", lambda: engine.fetch_all(NAIVE)),
        ("flows: monthly by origin + growth (GBP)", lambda: compute_flows(
            engine, FlowQuery(filter=mt_ru, by="origin", currency="GBP", cutoff=CUT))),
        ("flows: by exporter 2021 vs 2023 + attribution", lambda: compute_flows(
            engine, FlowQuery(filter=mt_ru, by="exporter", currency="GBP", before=parse_period("2021"),
                              after=parse_period("2023"), cutoff=CUT))),
        ("flows: one importer by exporter (name filter)", lambda: compute_flows(
            engine, FlowQuery(filter=make_filter(importers=["Importer 17"]), by="exporter", currency="GBP",
                              cutoff=CUT))),
        ("flows: origin+dispatch+importer (Sankey)", lambda: compute_flows(
            engine, FlowQuery(filter=mt_ru, by="origin+dispatch+importer", period="year", currency="GBP",
                              cutoff=CUT))),
    ]
    base = None
    print(f"{'case':<50} {'best s':>8} {'× raw':>7}")
    for name, fn in cases:
        secs = timed(fn, args.repeat)
        base = base or secs
        print(f"{name:<50} {secs:8.3f} {secs / base:7.2f}")

    if args.report:
        from diversion.report import build_report

        settings = load_settings(environ={})
        out = Path(tmp.name) / "report"
        t = time.perf_counter()
        result = build_report(engine, settings, out, png=args.png)
        secs = time.perf_counter() - t
        size = result.html.stat().st_size / 1e6
        print(f"{'report (' + str(len(result.charts)) + ' charts, ' + f'{size:.1f} MB html)':<50} {secs:8.3f} "
              f"{secs / base:7.2f}")
    engine.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
