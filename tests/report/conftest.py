"""A small case warehouse for report tests: a market, the AMG case, and every later stage's tables."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from diversion.engine import Engine
from tests.flows.factory import add_rates, add_shipments

MONTHS = [f"{y}-{m:02d}" for y in (2021, 2022, 2023) for m in range(1, 13)]


def build_case(engine: Engine) -> None:
    """Market shipments by origin, the importer's case flows, and resolve/graph/detect/leads tables."""
    add_rates(engine, "GBP", 0.8, MONTHS)
    rows = []
    for i, m in enumerate(MONTHS):
        after = m >= "2022-03"
        rows += [
            {
                "date": f"{m}-10",
                "value": 1_000_000 * (6 if after else 1),
                "origin_country": "CN",
                "dispatch_country": "CN",
                "importer_name": "ООО Станкоимпорт",
            },
            {
                "date": f"{m}-12",
                "value": 4_000_000 * (0.5 if after else 1),
                "origin_country": "DE",
                "dispatch_country": "DE",
                "importer_name": "Metall Trade",
            },
            {
                "date": f"{m}-14",
                "value": 2_000_000,
                "origin_country": "JP",
                "dispatch_country": "AE",
                "importer_name": "AMG-Stanki",
                "exporter_name": "Amegino FZE" if after else "Tsugami Japan",
                "brand": "Tsugami",
            }
            if i % 3 == 0
            else {
                "date": f"{m}-14",
                "value": 500_000,
                "origin_country": "TW",
                "dispatch_country": "TW",
                "importer_name": "深圳 ELE Technology",
            },
        ]
    add_shipments(engine, *rows)
    engine.execute(
        "INSERT INTO entities VALUES ('e-amg', 'AMG-Stanki', ['AMG-Stanki', 'АМГ'], ['RU'], [], 'Company', 3)"
    )
    engine.execute(
        "INSERT INTO shipment_entities SELECT record_id, "
        "CASE exporter_name WHEN 'Amegino FZE' THEN 'e-ameg' ELSE 'e-' || md5(exporter_name) END, "
        "CASE importer_name WHEN 'AMG-Stanki' THEN 'e-amg' ELSE 'e-' || md5(importer_name) END FROM shipments"
    )
    engine.execute("INSERT INTO entities VALUES ('e-ameg', 'Amegino FZE', ['Amegino FZE'], ['AE'], [], 'Company', 1)")
    ev = json.dumps(
        {
            "flow": "AMG-Stanki / Tsugami",
            "before": 1.0,
            "after": 2.5,
            "counterparts": [{"name": "Amegino FZE", "share_of_growth": 1.0, "is_new": True}],
            "record_ids": [f"r{i}" for i in range(40)],
        }
    )
    engine.execute(
        "INSERT INTO findings VALUES ('f1', 'intermediary_surge', 'e-amg', 0.9, "
        "'New supplier Amegino FZE carries all growth', ?)",
        [ev],
    )
    engine.execute("INSERT INTO findings VALUES ('f2', 'sanctioned', 'e-amg', 1.0, 'Listed by OFAC', '{}')")
    engine.execute(
        "INSERT INTO leads VALUES (1, 'e-amg', 'AMG-Stanki', 'RU', 0.97, "
"'sanctioned;intermediary_surge', 'OFAC listed; new supplier carries growth', 'lead')"
    )
    engine.execute(
        "INSERT INTO leads VALUES (2, 'e-ameg', 'Amegino FZE', 'AE', 0.8, 'sanctioned', 'OFAC listed', 'lead')"
    )
    engine.execute(
        "INSERT INTO sanctions_matches VALUES ('e-amg', 'ofac-1', 'OFAC SDN', ['RUSSIA-EO14024'], "
        "DATE '2023-05-19', 0.97, 'AMG', 'name and INN match')"
    )
    for node, kind, label, sanc in [
        ("e-amg", "entity", "AMG-Stanki", True),
        ("e-ameg", "entity", "Amegino FZE", True),
        ("e-x", "entity", "Андрей Миронов", False),
        ("brand:tsugami", "brand", "Tsugami", False),
    ]:
        engine.execute("INSERT INTO nodes VALUES (?, ?, ?, 'RU', 'Company', ?, '{}')", [node, kind, label, sanc])
    for i, (s, t, k) in enumerate(
        [("e-ameg", "e-amg", "trade"), ("e-x", "e-ameg", "ownership"), ("brand:tsugami", "e-ameg", "brand")]
    ):
        engine.execute("INSERT INTO edges VALUES (?, ?, ?, ?, 1000.0, 1, NULL, NULL, NULL, '{}')", [f"x{i}", s, t, k])
    engine.execute(
        "INSERT INTO registry_entities VALUES ('reg-1', 'Company', 'Amegino FZE', [], 'AE', 'Dubai', "
        "'123', NULL, DATE '2021-06-01', 'amegino.ae', [], '{}', 's', 1, 'rh1')"
    )
    engine.execute(
        "INSERT INTO web_evidence VALUES ('amegino.ae', 'Amegino FZE', 'Dubai', 'AE', 'RU', 'RU', "
        "TIMESTAMP '2024-01-01 00:00:00', 'CNC machines from Japan', 's', 1, 'wh1')"
    )
    engine.execute(
        "INSERT INTO sources VALUES ('fixture', 'shipments.csv', 'shipments', 'csv', 'utf-8', 80, 72, 3, 5, ?)",
        [datetime(2024, 1, 2, 3, 4)],
    )
    engine.execute(
        "INSERT INTO quarantine VALUES ('fixture', 'shipments.csv', 'shipments', 7, 'value', 'not a number', '{}')"
    )


@pytest.fixture
def case_engine(engine: Engine) -> Engine:
    """The report case in the test's warehouse."""
    build_case(engine)
    return engine


@pytest.fixture
def make_case_shipments_only(engine: Engine, tmp_path) -> Engine:
    """Only ingest has run: shipments and rates; also saved as ship.parquet for CLI tests."""
    eng = engine
    add_rates(eng, "GBP", 0.8, MONTHS)
    add_shipments(
        eng,
        *[
            {"date": f"{m}-10", "value": 1000.0 * (i + 1), "origin_country": "CN" if i % 2 else "DE"}
            for i, m in enumerate(MONTHS)
        ],
    )
    eng.execute(f"COPY shipments TO '{tmp_path / 'ship.parquet'}' (FORMAT parquet)")
    return eng
