"""Done means: ``diversion flows --format json`` reproduces the seeds' figures on the demo (within 5%).

- China's share of Russia's machine-tool imports (HS 8456–8466): ~12% pre-war → 57% in July 2023;
- Chinese-origin machine tools: £6.5m (February 2022) → £68m (July 2023) a month;
- AMG's Tsugami purchases: £0.49m (2021) → £40m (2023), all growth through Amegino and ELE Technology.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diversion.cli import app
from diversion.engine import DuckDBEngine

demo = pytest.importorskip("diversion.demo")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    files = demo.generate_demo(out / "files", scale=1, seed=7)
    db = out / "demo.duckdb"
    engine = DuckDBEngine(db)
    demo.load_demo(engine, files)
    engine.close()
    return db


def flows_json(db: Path, *args: str) -> dict:
    result = CliRunner().invoke(app, ["flows", "--db", str(db), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_china_share_and_value_of_machine_tool_imports(demo_db):
    data = flows_json(demo_db, "--machine-tools", "--importer-country", "RU", "--by", "origin")
    assert data["currency"] == "GBP" and data["rows_unconverted"] == 0
    cn = {r["period"]: r for r in data["series"] if r["group"] == "CN"}
    prewar = [cn[p]["share"] for p in cn if p < "2022-02-01"]
    assert len(prewar) >= 12
    assert sum(prewar) / len(prewar) == pytest.approx(0.12, rel=0.05)
    assert cn["2023-07-01"]["share"] == pytest.approx(0.57, rel=0.05)
    assert cn["2022-02-01"]["value"] == pytest.approx(6.5e6, rel=0.05)
    assert cn["2023-07-01"]["value"] == pytest.approx(68e6, rel=0.05)


def test_case_importer_growth_is_all_through_the_two_intermediaries(demo_db):
    scenario = demo.tsugami_scenario()
    middlemen = {p.key: {v.lower() for v in (p.canonical, *p.variants, *p.aliases)}
                 for p in scenario.parties if p.role in ("broker", "front")}
    assert len(middlemen) == 2
    data = flows_json(demo_db, "--importer", "AMG", "--importer", "АМГ", "--brand", "tsugami", "--by", "exporter",
                      "--before", "2021", "--after", "2023")
    a = data["attribution"]
    assert a["before_total"] == pytest.approx(0.49e6, rel=0.05)
    assert a["after_total"] == pytest.approx(40e6, rel=0.05)

    def owner(name: str) -> str | None:
        return next((key for key, names in middlemen.items() if name.lower() in names), None)

    by_party: dict[str | None, float] = {}
    for c in a["counterparts"]:
        by_party[owner(c["counterpart"])] = by_party.get(owner(c["counterpart"]), 0.0) + c["share_of_growth"]
        if owner(c["counterpart"]):
            assert c["is_new"], c
    assert set(by_party) - {None} == set(middlemen)  # both intermediaries carry growth
    assert sum(v for k, v in by_party.items() if k) == pytest.approx(1.0, rel=0.05)
    assert a["new_share"] == pytest.approx(1.0, rel=0.05)
