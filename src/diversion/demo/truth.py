"""The answer key (``truth/``, never ingested): the planted network, its figures, every name mention.

* ``truth.json``: roles → parties (canonical name, country, every alias written,
  expected flags), the case's figures as targets and as generated, the market
  anchors, and per file the rows and planted bad rows;
* ``mentions.csv``: every party name written anywhere, with its true entity id,
  so entity resolution can be scored pairwise;
* ``background_companies.csv``: the ordinary companies (false-positive base);
* ``bad_rows.csv`` and ``case_shipments.csv``: the planted bad rows and the case's record ids.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from diversion.demo.names import SLOTS
from diversion.demo.sanction_files import Mention
from diversion.demo.shipments_gen import ShipmentOutput
from diversion.demo.world import World

NETWORK_ROLES = ("importer", "end_user", "broker", "front", "owner")


def _shipment_mentions(world: World, shipments: ShipmentOutput) -> list[tuple[pa.Table, np.ndarray]]:
    """Distinct (file, role, company, name variant) of the shipment files, with a record id where each occurs."""
    ids = pa.array(world.pool.ids, pa.string())
    out = []
    for stem, written in shipments.files.items():
        for role, parts in written.mentions.items():
            keys = np.concatenate([k for k, _ in parts])
            first_ids = pa.array([i for _, chunk in parts for i in chunk], pa.string())
            unique, first = np.unique(keys, return_index=True)
            companies = unique // SLOTS
            table = pa.table({
                "source_file": pa.array(np.full(len(unique), f"shipments/{stem}.csv")),
                "source_key": first_ids.take(pa.array(first)),
                "role": pa.array(np.full(len(unique), role)),
                "name": world.pool.names.take(pa.array(unique)),
                "true_entity_id": ids.take(pa.array(companies)),
            })
            out.append((table, companies))
    return out


def _figures(world: World, shipments: ShipmentOutput) -> dict[str, Any]:
    scenario, spec = world.scenario, world.scenario.market
    by_year: dict[int, float] = defaultdict(float)
    by_exporter: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    flows = {}
    for i, flow in enumerate(scenario.flows):
        value = shipments.case_by_flow.get(i, 0.0)
        by_year[flow.year] += value
        by_exporter[flow.exporter][flow.year] += value
        flows[flow.label or f"flow_{i}"] = {"exporter": flow.exporter, "year": flow.year, "target_gbp": flow.value_gbp,
                                            "generated_gbp": round(value, 2), "trading_country": flow.trading_country}
    market: dict[str, dict[str, float]] = defaultdict(dict)
    for (month, origin), value in sorted(shipments.market.items()):
        market[month][origin] = round(value, 2)
    rising = spec.rising_origin
    cut = scenario.cutoff.strftime("%Y-%m")
    share = {m: round(v.get(rising, 0.0) / sum(v.values()), 4) for m, v in market.items()}
    return {
        "currency": "GBP (converted with rates/monthly_rates.csv)",
        "targets": {label: value for label, (_, _, value) in scenario.figures.items()},
        "importer_by_year_gbp": {str(y): round(v, 2) for y, v in sorted(by_year.items())},
        "importer_by_exporter_year_gbp": {k: {str(y): round(v, 2) for y, v in d.items()}
                                          for k, d in by_exporter.items()},
        "flows": flows,
        "market": {
            "definition": f"HS headings {', '.join(spec.headings)}, importer country {spec.importer_country}",
            "rising_origin": rising,
            "anchors": {"prewar_share": spec.prewar_share, "cutoff_month": cut,
                        "cutoff_value_gbp": spec.cutoff_value_gbp, "peak_month": spec.peak_month,
                        "peak_value_gbp": spec.peak_value_gbp, "peak_share": spec.peak_share},
            "rising_origin_by_month_gbp": {m: v.get(rising, 0.0) for m, v in market.items()},
            "rising_origin_share_by_month": share,
            "total_by_month_gbp": {m: round(sum(v.values()), 2) for m, v in market.items()},
            "by_month_origin_gbp": market,
        },
    }


def write_truth(out: Path, world: World, shipments: ShipmentOutput, mentions: list[Mention],
                bad_lines: dict[str, int], meta: dict[str, Any]) -> Path:
    """Write every truth file under ``out/truth`` and return the path of ``truth.json``."""
    folder = out / "truth"
    folder.mkdir(parents=True, exist_ok=True)
    scenario = world.scenario
    ship_mentions = _shipment_mentions(world, shipments)
    written: dict[str, set[str]] = defaultdict(set)
    for m in mentions:
        written[m[4]].add(m[3])
    case_ids = set(world.party_index)
    for table, _ in ship_mentions:
        for name, key in zip(table.column("name").to_pylist(), table.column("true_entity_id").to_pylist(),
                             strict=True):
            if key in case_ids:
                written[key].add(name)
    roles: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for party in scenario.parties:
        roles[party.role].append({
            "key": party.key, "canonical_name": party.canonical, "schema": party.schema, "country": party.country,
            "inn": party.inn, "website": party.website, "aliases_used": sorted(written.get(party.key, ())),
            "expected_flags": list(party.expected_flags), "in_network": party.role in NETWORK_ROLES,
            "note": party.note,
        })
    files: dict[str, Any] = {}
    for stem, w in shipments.files.items():
        kinds = Counter(kind for _, _, kind in w.bad)
        files[f"shipments/{stem}.csv"] = {"kind": "shipments", "rows": w.rows, "bad_rows": len(w.bad),
                                          "bad_by_kind": dict(sorted(kinds.items())),
                                          "case_rows": len(w.case)}
    for path, count in bad_lines.items():
        files.setdefault(path, {})["bad_rows"] = count
    truth = {
        "synthetic": True,
        "notice": "SYNTHETIC DATA: invented records replaying public reporting; every record is made up.",
        **meta,
        "scenario": scenario.name, "title": scenario.title, "source_note": scenario.source_note,
        "cutoff": scenario.cutoff.isoformat(), "brand": scenario.brand.name,
        "roles": roles,
        "network": [p.key for p in scenario.parties if p.role in NETWORK_ROLES],
        "links": {"ownership": [list(map(str, o)) for o in scenario.ownership],
                  "end_user_contract": list(scenario.end_user_link or ()),
                  "end_user_contract_role": scenario.end_user_link_role},
        "figures": _figures(world, shipments),
        "files": files,
    }
    truth_path = folder / "truth.json"
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2), encoding="utf-8")
    with (folder / "mentions.csv").open("wb") as handle:
        handle.write(b"source_file,source_key,role,name,true_entity_id\n")
        for table, _ in ship_mentions:
            pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=False))
    with (folder / "mentions.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(mentions)
    _background(folder, world, ship_mentions)
    with (folder / "bad_rows.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_file", "line", "record_id", "kind"])
        for stem, w in shipments.files.items():
            writer.writerows((f"shipments/{stem}.csv", line, rid, kind) for line, rid, kind in w.bad)
    with (folder / "case_shipments.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_file", "record_id", "flow", "exporter", "year", "value_gbp"])
        for stem, w in shipments.files.items():
            for rid, flow, gbp in w.case:
                f = scenario.flows[flow]
                writer.writerow([f"shipments/{stem}.csv", rid, f.label, f.exporter, f.year, round(gbp, 2)])
    return truth_path


def _background(folder: Path, world: World, ship_mentions: list[tuple[pa.Table, np.ndarray]]) -> None:
    pool = world.pool.source
    roles: dict[int, set[str]] = defaultdict(set)
    for table, companies in ship_mentions:
        role = table.column("role")[0].as_py() if table.num_rows else ""
        for company in np.unique(companies).tolist():
            roles[company].add(role)
    near = {p.key for p in world.scenario.parties if p.role == "near_miss"}
    with (folder / "background_companies.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["true_entity_id", "name", "country", "roles", "inn", "website", "near_miss"])
        for i in world.background_ids:
            writer.writerow([pool.ids[i], pool.canonical[i], pool.country[i], ";".join(sorted(roles.get(i, ()))),
                             pool.inn[i] or "", pool.website[i] or "", pool.ids[i] in near])
