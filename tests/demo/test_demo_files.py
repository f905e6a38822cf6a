"""The demo's files are in the real formats, readable with the standard library alone."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from followthemoney import model

from diversion.demo import DemoFiles, generate_demo, second_scenario
from diversion.demo.exchange_rates import CURRENCIES, rate_months
from diversion.demo.shipment_files import RU_COLUMNS, STANDARD_COLUMNS
from diversion.sources.mapping import load_mapping

HEADER = ("record_id,date,hs_code,description,brand,model,manufacture_year,exporter_name,exporter_address,"
          "exporter_country,importer_name,importer_address,importer_country,importer_id,origin_country,"
          "dispatch_country,trading_country,value,currency,quantity,unit,net_weight_kg")


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _json_lines(path: Path) -> tuple[list[dict], int]:
    good, bad = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            good.append(json.loads(line))
        except json.JSONDecodeError:
            bad += 1
    return good, bad


def _sentences(text: str) -> set[str]:
    return {s.strip(" .") for s in re.split(r"(?<=\.)\s+", text) if s.strip()}


def test_same_seed_gives_identical_files_and_another_seed_does_not(demo: DemoFiles, tmp_path: Path) -> None:
    again = generate_demo(tmp_path / "again", seed=7)
    assert _digest(again.out_dir) == _digest(demo.out_dir)
    other = generate_demo(tmp_path / "other", seed=8)
    assert (other.out_dir / "shipments" / "shipments_2021.csv").read_bytes() != \
        (demo.out_dir / "shipments" / "shipments_2021.csv").read_bytes()


def test_readme_says_synthetic_in_big_letters(demo: DemoFiles) -> None:
    assert demo.readme is not None
    text = demo.readme.read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in text and "EVERY RECORD IS MADE UP" in text and "FT / C4ADS, 2024" in text


def test_standard_shipment_csv_has_the_exact_header_and_iso_dates(demo: DemoFiles) -> None:
    path = demo.out_dir / "shipments" / "shipments_2022.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        assert handle.readline().strip() == HEADER
        rows = list(csv.reader(handle))
    good = [r for r in rows if len(r) == len(STANDARD_COLUMNS) and r[1][:4] == "2022" and r[1] != "2022-02-31"]
    assert len(good) > 0.95 * len(rows)
    assert {r[18] for r in good} >= {"USD", "EUR", "JPY", "CNY", "GBP"}


def test_russian_extract_is_windows_1251_with_semicolons_and_decimal_commas(demo: DemoFiles) -> None:
    path = demo.out_dir / "shipments" / "ru_customs_extract_2023.csv"
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw.decode("cp1251"), newline=""), delimiter=";"))
    assert tuple(rows[0]) == tuple(RU_COLUMNS)
    body = [r for r in rows[1:] if len(r) == len(RU_COLUMNS)]
    assert all(r[1][2] == "." and r[1][5] == "." for r in body)
    assert any("," in r[16] for r in body)
    countries = Counter(r[13] for r in body)
    assert {"КИТАЙ", "ЯПОНИЯ"} <= set(countries)
    assert any(r[10] == 'ООО "АМГ"' for r in body)


def test_mapping_files_follow_the_documented_format(demo: DemoFiles) -> None:
    assert len(demo.mappings) == 2
    encodings = set()
    for data, mapping in demo.mappings.items():
        spec = yaml.safe_load(mapping.read_text(encoding="utf-8"))
        assert spec["delimiter"] == ";" and spec["decimal"] == "," and spec["date_format"] == "%d.%m.%Y"
        assert spec["constants"] == {"importer_country": "RU"}
        assert set(spec["columns"]) == set(RU_COLUMNS)
        encodings.add(spec.get("encoding"))
        assert load_mapping(mapping).columns["Дата декларации"] == "date"
        assert data.exists()
    assert encodings == {"cp1251", "utf-8"}


def test_sanctions_ftm_is_valid_followthemoney_with_two_broken_lines(demo: DemoFiles, truth: dict) -> None:
    records, bad = _json_lines(demo.out_dir / "sanctions" / "opensanctions.ftm.json")
    assert bad == truth["files"]["sanctions/opensanctions.ftm.json"]["bad_rows"] == 2
    by_schema = Counter(r["schema"] for r in records)
    assert by_schema["Sanction"] >= 3 and by_schema["Company"] >= 3
    for record in records:
        model.get_proxy({"id": record["id"], "schema": record["schema"], "properties": record["properties"]})
        assert {"id", "schema", "properties", "datasets", "referents", "caption", "first_seen", "last_seen",
                "target"} <= set(record)
    amg = next(r for r in records if "7725412340" in r["properties"].get("innCode", []))
    assert "sanction" in amg["properties"]["topics"]
    kometa = next(r for r in records if "JSC Corporation Kometa" in r["properties"].get("name", []))
    assert "mil" in kometa["properties"]["topics"]
    sanctions = [r for r in records if r["schema"] == "Sanction" and r["properties"]["entity"] == [amg["id"]]]
    assert sanctions[0]["properties"]["program"] == ["RUSSIA-EO14024"]


def test_ofac_files_have_no_header_and_dash_zero_for_empty(demo: DemoFiles) -> None:
    folder = demo.out_dir / "sanctions" / "ofac"
    with (folder / "sdn.csv").open(encoding="utf-8", newline="") as handle:
        sdn = list(csv.reader(handle))
    assert all(len(r) == 12 and r[0].isdigit() for r in sdn)
    assert any(r[2] == "-0- " for r in sdn)
    amegino = next(r for r in sdn if r[1] == "AMEGINO FZE")
    assert amegino[3] == "RUSSIA-EO14024" and "Website amegino.ae" in amegino[11]
    ent = {r[0] for r in sdn}
    for name, width in (("alt.csv", 5), ("add.csv", 6)):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows and all(len(r) == width and r[0] in ent for r in rows)


def test_registry_web_distributors_and_rates(demo: DemoFiles, truth: dict) -> None:
    out = demo.out_dir
    records, bad = _json_lines(out / "registry" / "registry.ftm.json")
    assert bad == 1
    ownership = [r for r in records if r["schema"] == "Ownership"]
    link = [r for r in records if r["schema"] == "UnknownLink"]
    assert ownership and link[0]["properties"]["role"] == ["supply contract for machine tools"]
    with (out / "registry" / "ownership.csv").open(encoding="utf-8") as handle:
        links = list(csv.DictReader(handle))
    assert any(r["owner_name"] == "Андрей Миронов" and r["share"] == "100%" for r in links)
    sites, bad = _json_lines(out / "web" / "web_evidence.jsonl")
    assert bad == 2
    by_domain = {s["domain"]: s for s in sites}
    assert by_domain["amegino.ae"]["hosting_country"] == "RU" and "Dubai" in by_domain["amegino.ae"]["claimed_address"]
    gray = _sentences(by_domain["graymachinery.com"]["text"])
    ele_site = next(s for s in sites if "branch of Gray Machinery Company" in s["text"])
    ele = _sentences(ele_site["text"])
    assert len(ele & gray) / len(ele) >= 0.8 and ele_site["hosting_country"] == "CN"
    with (out / "distributors" / "authorised_distributors.csv").open(encoding="utf-8") as handle:
        dist = list(csv.DictReader(handle))
    tsugami = {r["distributor_name"] for r in dist if r["brand"] == "Tsugami"}
    assert "Gray Machinery Company" in tsugami and "Amegino FZE" not in tsugami
    with (out / "rates" / "monthly_rates.csv").open(encoding="utf-8") as handle:
        rates = list(csv.DictReader(handle))
    assert {(r["month"], r["currency"]) for r in rates} == {(m, c) for m in rate_months() for c in CURRENCIES}
    gbp = [float(r["per_usd"]) for r in rates if r["currency"] == "GBP"]
    assert min(gbp) > 0.7 and max(gbp) < 0.87


def test_truth_records_network_flags_bad_rows_and_every_mention(demo: DemoFiles, truth: dict) -> None:
    roles = truth["roles"]
    assert "sanctioned" in roles["importer"][0]["expected_flags"]
    assert {"hosting_mismatch", "sanctioned"} <= set(roles["broker"][0]["expected_flags"])
    assert "impersonation" in roles["front"][0]["expected_flags"]
    assert roles["near_miss"][0]["canonical_name"] == 'ООО "Комета"' and not roles["near_miss"][0]["in_network"]
    assert {"AMG LLS", "OOO AMG", 'ООО "АМГ"'} <= set(roles["importer"][0]["aliases_used"])
    out = demo.out_dir
    with (out / "truth" / "bad_rows.csv").open(encoding="utf-8") as handle:
        bad = Counter(r["source_file"] for r in csv.DictReader(handle))
    for path, info in truth["files"].items():
        if info.get("kind") == "shipments":
            assert bad[path] == info["bad_rows"]
            assert 0.015 < info["bad_rows"] / info["rows"] < 0.035
    with (out / "truth" / "mentions.csv").open(encoding="utf-8") as handle:
        mentions = {(r["source_file"], r["name"]) for r in csv.DictReader(handle)}
    with (out / "shipments" / "shipments_2023.csv").open(encoding="utf-8") as handle:
        written = {(r["exporter_name"]) for r in csv.DictReader(handle) if r["exporter_name"]}
    assert {("shipments/shipments_2023.csv", n) for n in written} <= mentions
    assert ("sanctions/ofac/sdn.csv", "AMEGINO FZE") in mentions
    with (out / "truth" / "background_companies.csv").open(encoding="utf-8") as handle:
        background = list(csv.DictReader(handle))
    assert len(background) > 2000 and any(r["name"] == 'ООО "Комета"' for r in background)


def test_scale_two_doubles_the_background_but_not_the_case(demo: DemoFiles, truth: dict, tmp_path: Path) -> None:
    double = generate_demo(tmp_path / "x2", scale=2)
    big = json.loads(double.truth.read_text(encoding="utf-8"))
    rows = {k: sum(v["rows"] for v in t["files"].values() if v.get("kind") == "shipments") for k, t in
            (("one", truth), ("two", big))}
    case = {k: sum(v["case_rows"] for v in t["files"].values() if v.get("kind") == "shipments") for k, t in
            (("one", truth), ("two", big))}
    assert (rows["two"] - case["two"]) / (rows["one"] - case["one"]) == pytest.approx(2.0, rel=0.03)
    assert big["figures"]["importer_by_year_gbp"] == truth["figures"]["importer_by_year_gbp"]


def test_second_scenario_generates_with_the_same_truth_structure(truth: dict, tmp_path: Path) -> None:
    files = generate_demo(tmp_path / "second", scenario=second_scenario())
    other = json.loads(files.truth.read_text(encoding="utf-8"))
    assert set(other) == set(truth)
    assert other["scenario"] == "rheinberg" and other["brand"] == "Rheinberg"
    assert other["figures"]["importer_by_year_gbp"]["2023"] == pytest.approx(4.8e6)
    share = other["figures"]["market"]["rising_origin_share_by_month"]
    assert share["2023-05"] == pytest.approx(0.45, abs=0.005) and share["2021-06"] == pytest.approx(0.2, abs=0.005)
    with (files.out_dir / "shipments" / "shipments_2023.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if (r["exporter_name"] or "").startswith("Kaspiy")]
    assert rows and {r["dispatch_country"] for r in rows} <= {"KZ", "Kazakhstan"}
    assert {r["hs_code"] for r in rows} <= {"903020", "854231"}
