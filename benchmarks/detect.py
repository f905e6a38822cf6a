"""Benchmark: graph + detect + leads on a synthetic resolved warehouse, at several sizes.

Each size runs in its own process (clean peak memory). The warehouse is
generated in DuckDB SQL directly in its resolved form (shipments,
shipment_entities, entities, mentions, registry, sanctions matches, websites,
distributors), with the test suite's mini case planted in it, so the timings
cover only the stages this benchmark is about. Side by side, in the same
process: the bare DuckDB aggregation of shipments per exporter→importer pair
(the floor any network build must pay), and the ratio of our time to it.

    .venv/bin/python benchmarks/detect.py --rows 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the mini case of the tests (tests.detect.minicase)

GEN_SQL = """
CREATE OR REPLACE TABLE _ents AS
SELECT 'b-' || i AS entity_id,
       CASE WHEN i % 3 = 0 THEN 'RU' ELSE (['CN','DE','TR','AE','IT','JP','KZ','IN','TW','KR'])[1 + (i % 10)] END
         AS country,
       'Company ' || i AS name
FROM range({entities}) t(i);

INSERT INTO entities SELECT entity_id, name, [name], [country], [], 'Company', 1 FROM _ents;

CREATE OR REPLACE TABLE _ru AS SELECT entity_id, row_number() OVER () - 1 AS k FROM _ents WHERE country = 'RU';
CREATE OR REPLACE TABLE _fx AS
SELECT entity_id, country, row_number() OVER () - 1 AS k FROM _ents WHERE country <> 'RU';

CREATE OR REPLACE TABLE _pick AS
SELECT i, CAST(hash(i, 6) % (SELECT count(*) FROM _fx) AS BIGINT) AS fk,
       CAST(hash(i, 7) % (SELECT count(*) FROM _ru) AS BIGINT) AS rk
FROM range({rows}) t(i);

INSERT INTO shipments (record_id, date, hs_code, brand, exporter_name, exporter_country, importer_name,
                       importer_country, origin_country, dispatch_country, value, currency, value_usd,
                       source_id, line, record_hash)
SELECT 'r' || p.i, DATE '2021-01-01' + CAST(hash(p.i) % 1095 AS INTEGER),
       (['84581100', '84571010', '73181500', '39269097', '85423190', '84596100', '90318020', '84669310'])
         [1 + CAST(hash(i, 1) % 8 AS BIGINT)],
       CASE WHEN hash(i, 2) % 5 = 0 THEN 'Brand' || (hash(i, 3) % 20) END,
       'x', f.country, 'y', 'RU', f.country,
       CASE WHEN hash(i, 4) % 50 = 0 THEN 'AE' ELSE f.country END,
       exp(8 + (hash(i, 5) % 600) / 100.0), 'USD', exp(8 + (hash(i, 5) % 600) / 100.0), 'bench', i, 'h' || i
FROM _pick p JOIN _fx f ON f.k = p.fk;

INSERT INTO shipment_entities
SELECT 'r' || p.i, f.entity_id, r.entity_id FROM _pick p JOIN _fx f ON f.k = p.fk JOIN _ru r ON r.k = p.rk;

INSERT INTO registry_entities (entity_id, schema, name, country, topics, source_id, line, record_hash)
SELECT 'reg-' || entity_id, 'Company', name, country,
       CASE WHEN hash(entity_id) % 500 = 0 THEN ['mil'] ELSE [] END, 'bench', 1, 'h' || entity_id
FROM _ents WHERE hash(entity_id, 1) % 10 = 0;
INSERT INTO mentions (mention_id, source_table, source_key, role, name)
SELECT 'm-' || entity_id, 'registry_entities', 'reg-' || entity_id, 'registry', name
FROM _ents WHERE hash(entity_id, 1) % 10 = 0;
INSERT INTO entity_mentions SELECT 'm-' || entity_id, entity_id, 1.0 FROM _ents WHERE hash(entity_id, 1) % 10 = 0;
INSERT INTO registry_links (link_id, kind, source_entity_id, target_entity_id, share, source_id, line, record_hash)
SELECT 'l' || a.entity_id, 'ownership', 'reg-' || a.entity_id, 'reg-' || b.entity_id, 0.6, 'bench', 1,
       'hl' || a.entity_id
FROM _ents a JOIN _ents b ON b.entity_id = 'b-' || ((CAST(substr(a.entity_id, 3) AS BIGINT) * 7 + 1) % {entities})
WHERE hash(a.entity_id, 1) % 10 = 0 AND hash(b.entity_id, 1) % 10 = 0 AND hash(a.entity_id, 2) % 4 = 0;

INSERT INTO sanctions_matches (entity_id, sanction_entity_id, list_name, programs, score, matched_name)
SELECT entity_id, 'ofac-' || entity_id, 'OFAC SDN', ['RUSSIA-EO14024'], 0.95, name FROM _ents
WHERE hash(entity_id, 3) % 400 = 0;

INSERT INTO distributors (brand, distributor_name, country, source_id, line, record_hash)
SELECT 'Brand' || (k % 5), 'Company ' || k, 'DE', 'bench', k, 'hd' || k FROM range(1, 200, 7) t(k);

INSERT INTO web_evidence (domain, company_name, claimed_country, hosting_country, registrant_country, text,
                          source_id, line, record_hash)
SELECT 'site' || i || '.com', 'Company ' || i, 'CN', CASE WHEN i % 40 = 0 THEN 'RU' ELSE 'CN' END, 'CN',
       'Company ' || i || ' ' || array_to_string(list_transform(range(40), x -> 'w' || (hash(i, x) % 3000)), ' '),
       'bench', i, 'hw' || i
FROM range(1, least({entities}, 3000)) t(i);
INSERT INTO mentions (mention_id, source_table, source_key, role, name, domain)
SELECT 'mw' || i, 'web_evidence', 'site' || i || '.com', 'website', 'Company ' || i, 'site' || i || '.com'
FROM range(1, least({entities}, 3000)) t(i);
INSERT INTO entity_mentions SELECT 'mw' || i, 'b-' || i, 1.0 FROM range(1, least({entities}, 3000)) t(i);
DROP TABLE _pick;
"""


def peak_mib() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(rows: int, workdir: Path) -> dict[str, float]:
    """Generate, then time baseline, graph, each detector, and leads at one size."""
    from diversion.config import Settings
    from diversion.detect import DETECTORS, DetectContext, run_one, write_findings
    from diversion.engine import DuckDBEngine
    from diversion.graph import build_graph
    from diversion.leads import build_leads
    from tests.detect.minicase import build_minicase

    db = workdir / f"bench-{rows}.duckdb"
    engine = DuckDBEngine(db)
    case = build_minicase(engine)
    t = time.perf_counter()
    for stmt in GEN_SQL.format(rows=rows, entities=max(1000, rows // 50)).split(";"):
        if stmt.strip():
            engine.execute(stmt)
    out: dict[str, float] = {"rows": engine.count("shipments"), "generate_s": time.perf_counter() - t}
    t = time.perf_counter()
    engine.fetch_all("""SELECT se.exporter_entity_id, se.importer_entity_id, sum(s.value_usd), count(*),
                               min(s.date), max(s.date)
                        FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id GROUP BY 1, 2""")
    out["baseline_pair_aggregate_s"] = time.perf_counter() - t
    settings = Settings()
    t = time.perf_counter()
    build_graph(engine, settings)
    out["graph_s"] = time.perf_counter() - t
    findings = []
    t0 = time.perf_counter()
    ctx = DetectContext(engine, settings)  # lookups built once, as in run_detection
    for name, found in DETECTORS.items():
        t = time.perf_counter()
        findings.extend(run_one(found, engine, settings, ctx))
        out[f"detect.{name}_s"] = time.perf_counter() - t
    write_findings(engine, findings)
    out["detect_s"] = time.perf_counter() - t0
    t = time.perf_counter()
    leads = build_leads(engine, settings, findings)
    out["leads_s"] = time.perf_counter() - t
    out["total_s"] = out["graph_s"] + out["detect_s"] + out["leads_s"]
    out["ratio_to_baseline"] = out["total_s"] / max(out["baseline_pair_aggregate_s"], 1e-9)
    out["findings"] = len(findings)
    out["leads_above_threshold"] = sum(1 for lead in leads
                                       if lead.section == "lead" and lead.score >= settings.leads.threshold)
    planted = {case.importer, case.broker, case.front, case.end_user}
    out["planted_rank_max"] = max(lead.rank for lead in leads if lead.entity_id in planted and lead.section == "lead")
    out["peak_rss_mib"] = peak_mib()
    engine.close()
    db.unlink(missing_ok=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 1_000_000],
                        help="Shipment rows per run (default: demo scale and 1M).")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, default=None, help="Where the temporary warehouses go.")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="diversion-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.one:
        print(json.dumps(one(args.one, workdir)))
        return
    results = []
    for rows in args.rows:
        proc = subprocess.run([sys.executable, __file__, "--one", str(rows), "--workdir", str(workdir)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"{rows:>12,} rows: failed\n{proc.stderr[-2000:]}")
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    keys = ["rows", "baseline_pair_aggregate_s", "graph_s", "detect_s", "leads_s", "total_s", "ratio_to_baseline",
            "peak_rss_mib", "findings", "leads_above_threshold", "planted_rank_max"]
    print(" | ".join(f"{k:>14}" for k in keys))
    for r in results:
        print(" | ".join(f"{r[k]:>14,.2f}" if isinstance(r[k], float) else f"{r[k]:>14,}" for k in keys))
    for r in results:
        slow = sorted(((k, v) for k, v in r.items() if k.startswith("detect.")), key=lambda kv: -kv[1])[:4]
        print(f"{int(r['rows']):,} rows, slowest detectors: " + ", ".join(f"{k[7:-2]} {v:.2f}s" for k, v in slow))
    if len(results) >= 2:
        a, b = results[-2], results[-1]
        per_row = (b["total_s"] - a["total_s"]) / max(b["rows"] - a["rows"], 1)
        print(f"Extrapolated to 10M rows (linear from the two largest runs): "
              f"{b['total_s'] + per_row * (10_000_000 - b['rows']):,.0f} s")


if __name__ == "__main__":
    main()
