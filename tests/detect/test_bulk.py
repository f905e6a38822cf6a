"""Findings made in SQL (``detect.bulk``) are the ones a detector made one at a time in Python.

The macros are held to their Python counterparts over random text and numbers; then the two detectors
that make their findings in SQL are held to a Python statement of each finding (what ``find`` made,
row by row, until December 7) over random query rows, text with control characters included.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.config import Settings
from diversion.detect import brand_diversion, bulk, priority_goods, sanctions_proximity
from diversion.detect.common import value_factor
from diversion.detect.context import DetectContext, listing_text
from diversion.detect.finding import Finding, _rounded
from diversion.detect.run import findings_table
from diversion.read.money import money

S = Settings()
CON = bulk.connect()
SLOW = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

#: Text with what JSON escapes: quotes, backslashes, every control character, and text that reads as an escape
#: (no lone surrogates: text read from UTF-8 files holds none, and neither Arrow nor DuckDB can hold them).
_ESCAPED = st.sampled_from(['"', "\\", "\\u000B", "\x0b", "\x1f", "\x7f", "\u2028"])
TEXT = st.lists(st.one_of(st.characters(exclude_categories=("Cs",)), _ESCAPED), max_size=8).map("".join)
AMOUNT = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, min_value=-1e18, max_value=1e18),
                   st.sampled_from([0.0, -0.0, 602.5, 603.4999999999999, 999.5, 9999.5, 999_999.9, 9_995_000.0,
                                    99_950.0, 1e16, 1.5e16, 1234567890123456789.0, 5e-324, 0.125, 3.5e-6, -2.25e-6,
                                    1e-6, 1.5e-7]))


def _one(sql: str, *params: Any) -> Any:
    return CON.execute(f"SELECT {sql}", list(params)).fetchone()[0]


@SLOW
@given(TEXT)
def test_py_json_writes_text_as_python_does(text: str) -> None:
    assert _one("py_json(?::VARCHAR)", text) == json.dumps(text, ensure_ascii=False) == orjson.dumps(text).decode()


@SLOW
@given(st.one_of(st.none(), st.lists(st.one_of(st.none(), TEXT), max_size=4)))
def test_py_json_list_writes_lists_as_orjson_does(texts: list[str | None] | None) -> None:
    assert _one("py_json_list(?::VARCHAR[])", texts) == orjson.dumps(texts).decode()


@SLOW
@given(st.one_of(AMOUNT, st.sampled_from([math.nan, math.inf, -math.inf])),
       st.sampled_from(["GBP", "USD", "EUR", "JPY", "AED", "RUB"]))
def test_money_text_is_money(value: float | None, currency: str) -> None:
    assert _one("money_text(?::DOUBLE, ?)", value, currency) == money(value, currency)


@SLOW
@given(st.one_of(AMOUNT, st.sampled_from([math.nan, math.inf, -math.inf])))
def test_evidence_number_is_the_rounded_float_orjson_writes(value: float | None) -> None:
    written = _one("evidence_number(?::DOUBLE)", value)
    assert written == orjson.dumps(_rounded(value)).decode()


SCORE = st.one_of(st.floats(-1, 2, allow_nan=False), st.sampled_from([0.12345, 0.12335, 0.00005, 0.99995, 1.5,
                                                                      math.nan]),
                  st.integers(0, 10**5).map(lambda n: n / 10**5))


@SLOW
@given(st.lists(st.tuples(TEXT, TEXT, SCORE), min_size=1, max_size=5, unique_by=lambda row: row[0]))
def test_made_ids_and_scores_are_those_of_findings(rows: list[tuple[str, str, float]]) -> None:
    table = pa.table({"entity_id": [e for e, _, _ in rows], "summary": [s for _, s, _ in rows],
                      "score": pa.array([score for _, _, score in rows], pa.float64())})
    made = bulk.made("priority_goods", "SELECT entity_id, score, summary, '{}' AS evidence FROM _rows",
                     {}, {"_rows": table}).to_pylist()
    found = {f.finding_id: f for f in (Finding("priority_goods", e, score, s) for e, s, score in rows)}
    assert {row["finding_id"]: row["score"] for row in made} == {i: f.score for i, f in found.items()}


# --- the two detectors, against a Python statement of each finding -------------------------------------------

def _name(labels: dict[str, tuple[str | None, str | None]], entity_id: str) -> str | None:
    return labels.get(entity_id, (entity_id, None))[0]


def _priority_finding(r: dict[str, Any], labels: dict, cur: str) -> Finding:
    d = S.detect
    roles = set(r["roles"])
    verb = "exported to" if roles == {"exporter"} else "imported into" if roles == {"importer"} else "traded with"
    evidence = {k: r[k] for k in ("tier", "shipments", "value_usd", "value", "roles", "hs_codes",
                                  "first_date", "last_date")}
    evidence.update(shipment_ids=r["shipment_ids"], currency=cur)
    evidence["facts"] = {"CHPL tier": r["tier"], "HS codes": ", ".join(r["hs_codes"]),
                         "Role": ", ".join(sorted(roles)), "Shipments": r["shipments"],
                         "Value": money(r["value"], cur), "First and last": f"{r['first_date']} to {r['last_date']}"}
    return Finding("priority_goods", r["entity_id"], d.priority_tier_scores.get(r["tier"], 0.3),
                   f"{_name(labels, r['entity_id'])} {verb} {d.destination_country} {r['shipments']} shipment(s) of "
                   f"CHPL tier {r['tier']} goods ({money(r['value'], cur)}; HS {', '.join(r['hs_codes'][:3])}).",
                   evidence)


def _brand_finding(r: dict[str, Any], labels: dict, cur: str) -> Finding:
    d = S.detect
    country = r["exporter_country"] or labels.get(r["entity_id"], ("", None))[1]
    third = bool(country) and country not in (r["authorised_countries"] or [])
    score = d.brand_base_score + (d.brand_third_country_bonus if third else 0.0)
    score += d.brand_destination_bonus if r["to_destination"] else 0.0
    where = f" from a third country ({country})" if third else ""
    dest = f" to {d.destination_country}" if r["to_destination"] else ""
    n = int(r["old_machines"] or 0)
    old, old_evidence = "", {}
    if n:
        old = (f", including {n} machine(s) at least {d.old_machine_age} years old "
               f"(the oldest made in {r['oldest_year']})")
        old_evidence = {"old_machines": n, "oldest_year": r["oldest_year"],
                        "old_machine_ids": list(r["old_machine_ids"] or [])}
    summary = (f"{_name(labels, r['entity_id'])} shipped {r['shipments']} {r['brand']} consignment(s) "
               f"({money(r['value'], cur)}, {r['first_date']} to {r['last_date']}){dest}{where}{old} without "
               f"being an authorised {r['brand']} distributor.")
    evidence = {k: r[k] for k in ("brand", "shipments", "value_usd", "value", "authorised", "authorised_count",
                                  "authorised_countries", "origins", "first_date", "last_date")}
    evidence.update(exporter_country=country, third_country=third, to_destination=bool(r["to_destination"]),
                    currency=cur, **old_evidence, shipment_ids=r["shipment_ids"])
    more = (r["authorised_count"] or 0) - len(r["authorised"] or [])
    evidence["facts"] = {"Brand": r["brand"],
                         "Authorised distributors": ", ".join(r["authorised"] or []) + (
                             f" and {more} more" if more > 0 else ""),
                         "Shipper's country": country or "unknown", "Third country": "yes" if third else "no",
                         "Shipments": r["shipments"], "Value": money(r["value"], cur),
                         "First and last": f"{r['first_date']} to {r['last_date']}"}
    return Finding("brand_diversion", r["entity_id"], score, summary, evidence)


IDS = st.lists(TEXT.filter(bool), min_size=1, max_size=4)
DATE = st.one_of(st.none(), st.integers(0, 20_000).map(lambda n: date(1990, 1, 1) + timedelta(days=n)))
COUNTRY = st.one_of(st.none(), st.just(""), st.sampled_from(["RU", "AE", "CN", "JP", "DE"]))


def _labelled(draw: st.DrawFn, n: int) -> tuple[list[str], pa.Table]:
    ids = [f"e-{i}" for i in range(n)]
    kept = [i for i in ids if draw(st.booleans())]  # an entity the network does not name: its id is shown
    return ids, pa.table({"node_id": pa.array(kept, pa.string()),
                          "label": pa.array([draw(st.one_of(st.none(), TEXT)) for _ in kept], pa.string()),
                          "country": pa.array([draw(COUNTRY) for _ in kept], pa.string())})


@st.composite
def priority_rows(draw: st.DrawFn) -> tuple[pa.Table, pa.Table]:
    ids, labels = _labelled(draw, draw(st.integers(1, 4)))
    tiers = [*S.detect.priority_tier_scores, "5"]
    rows = [{"entity_id": e, "tier": draw(st.sampled_from(tiers)), "shipments": draw(st.integers(1, 10**6)),
             "value_usd": draw(AMOUNT.filter(lambda v: v is not None)), "value": draw(AMOUNT),
             "first_date": draw(DATE), "last_date": draw(DATE),
             "roles": draw(st.sampled_from([["exporter"], ["importer"], ["exporter", "importer"]])),
             "hs_codes": draw(st.lists(st.from_regex(r"[0-9]{6,10}", fullmatch=True), min_size=1, max_size=10)),
             "shipment_ids": draw(IDS)} for e in ids]
    schema = pa.schema([("entity_id", pa.string()), ("tier", pa.string()), ("shipments", pa.int64()),
                        ("value_usd", pa.float64()), ("value", pa.float64()), ("first_date", pa.date32()),
                        ("last_date", pa.date32()), ("roles", pa.list_(pa.string())),
                        ("hs_codes", pa.list_(pa.string())), ("shipment_ids", pa.list_(pa.string()))])
    return pa.Table.from_pylist(rows, schema), labels


@st.composite
def brand_rows(draw: st.DrawFn) -> tuple[pa.Table, pa.Table]:
    ids, labels = _labelled(draw, draw(st.integers(1, 4)))
    rows = []
    for e in ids:
        old = draw(st.one_of(st.none(), st.integers(0, 5)))
        rows.append({
            "entity_id": e, "brand": draw(TEXT), "shipments": draw(st.integers(1, 10**6)),
            "value_usd": draw(AMOUNT.filter(lambda v: v is not None)), "value": draw(AMOUNT),
            "exporter_country": draw(COUNTRY), "origins": draw(st.one_of(st.none(), st.lists(COUNTRY.filter(bool)))),
            "to_destination": draw(st.one_of(st.none(), st.booleans())), "shipment_ids": draw(IDS),
            "authorised": draw(st.one_of(st.none(), st.lists(TEXT, max_size=10))),
            "authorised_count": draw(st.one_of(st.none(), st.integers(0, 300))),
            "authorised_countries": draw(st.one_of(st.none(), st.lists(COUNTRY.filter(bool), max_size=3))),
            "first_date": draw(DATE), "last_date": draw(DATE), "old_machines": old,
            "oldest_year": draw(st.one_of(st.none(), st.integers(1950, 2024))) if old else None,
            "old_machine_ids": draw(st.one_of(st.none(), IDS)) if old else None})
    schema = pa.schema([("entity_id", pa.string()), ("brand", pa.string()), ("shipments", pa.int64()),
                        ("value_usd", pa.float64()), ("value", pa.float64()), ("exporter_country", pa.string()),
                        ("origins", pa.list_(pa.string())), ("to_destination", pa.bool_()),
                        ("shipment_ids", pa.list_(pa.string())), ("authorised", pa.list_(pa.string())),
                        ("authorised_count", pa.int32()), ("authorised_countries", pa.list_(pa.string())),
                        ("first_date", pa.date32()), ("last_date", pa.date32()), ("old_machines", pa.int64()),
                        ("oldest_year", pa.int32()), ("old_machine_ids", pa.list_(pa.string()))])
    return pa.Table.from_pylist(rows, schema), labels



def _proximity_findings(rows: list[dict[str, Any]], cur: str) -> list[Finding]:
    d = S.detect
    heads: dict[str, dict[str, Any]] = {}
    chains: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for s in rows:
        heads.setdefault(s["entity_id"], s)
        chains.setdefault(s["entity_id"], []).append((s["k"], {
            "from": s["a"], "from_name": s["a_name"], "to": s["b"], "to_name": s["b_name"], "kind": s["kind"],
            "edge_id": s["edge_id"], "since": s["since"], "value_usd": s["value_usd"], "value": s["value"],
            "shipments": s["shipments"], "first_date": s["first_date"], "last_date": s["last_date"],
            "shipment_ids": list(s["shipment_ids"] or [])}))
    out = []
    for entity_id in sorted(heads):
        r = heads[entity_id]
        chain = [c for _, c in sorted(chains.pop(entity_id), key=lambda step: step[0])]
        if any(c["from"] == c["to"] for c in chain) or any(c["kind"] == "trade" and not c["shipments"] for c in chain):
            continue
        first = chain[0]
        factor = value_factor(first["value_usd"], d.proximity_full_value) if first["kind"] == "trade" else 1.0
        score = d.proximity_hop_decay ** (r["hop"] - 1) * factor
        name, origin = first["from_name"], r["origin_name"]
        when = listing_text(r["listed"])
        if first["kind"] == "trade":
            window = "since the listing" if r["listed"] else "in the data"
            how = (f"traded {money(first['value'], cur)} ({first['shipments']} shipment(s), {first['first_date']} to "
                   f"{first['last_date']}) {window} with")
        elif first["kind"] == "link":
            how = "is linked by contract or another registry link to"
        else:
            how = f"is tied by {first['kind']} to"
        itself = ", itself sanctioned," if r["itself"] else ""
        summary = (f"{name}{itself} {how} {first['to_name']}, which is sanctioned ({when})." if r["hop"] == 1 else
                   f"{name} is {r['hop']} hops from the sanctioned {origin} ({when}): it {how} {first['to_name']}.")
        ids = [i for c in chain for i in c["shipment_ids"]]
        out.append(Finding("sanctions_proximity", entity_id, score, summary, {
            "hops": r["hop"], "sanctioned_entity": r["origin"], "sanctioned_name": origin,
            "listed_on": r["listed"], "path": chain, "currency": cur,
            "shipment_ids": ids[:10], "edge_ids": [c["edge_id"] for c in chain if c["edge_id"]],
            "facts": {"Sanctioned party": origin, "Listed on": r["listed"] or "not given by the list",
                      "Hops": r["hop"], "Chain": " → ".join([name] + [c["to_name"] for c in chain])},
        }))
    return out


@st.composite
def proximity_rows(draw: st.DrawFn) -> tuple[pa.Table, pa.Table]:
    ids, labels = _labelled(draw, draw(st.integers(1, 3)))
    name = TEXT  # names on a chain are never missing (the Python statement joins them)
    rows = []
    for e in ids:
        hop, listed, origin = draw(st.integers(1, 3)), draw(DATE), draw(st.sampled_from(["s-1", "s-2"]))
        head = {"entity_id": e, "hop": hop, "origin": origin, "origin_name": draw(st.one_of(st.none(), name)),
                "listed": listed, "itself": draw(st.booleans())}
        nodes = [e, *draw(st.lists(st.sampled_from(["n-1", "n-2", e]), min_size=hop - 1, max_size=hop - 1)), origin]
        for k in range(1, hop + 1):
            kind = draw(st.sampled_from(["trade", "trade", "ownership", "directorship", "link"]))
            trade = kind == "trade"
            rows.append({**head, "k": k, "a": nodes[k - 1], "a_name": draw(name), "b": nodes[k],
                         "b_name": draw(name), "kind": kind, "edge_id": draw(st.one_of(st.none(), st.just(""), TEXT)),
                         "since": listed, "value_usd": draw(AMOUNT) if trade else None,
                         "value": draw(AMOUNT) if trade else None,
                         "shipments": draw(st.one_of(st.just(0), st.integers(1, 50))) if trade else None,
                         "first_date": draw(DATE) if trade else None, "last_date": draw(DATE) if trade else None,
                         "shipment_ids": draw(st.one_of(st.none(), IDS)) if trade else None})
    schema = pa.schema([("entity_id", pa.string()), ("hop", pa.int32()), ("origin", pa.string()),
                        ("origin_name", pa.string()), ("listed", pa.date32()), ("itself", pa.bool_()),
                        ("k", pa.int32()), ("a", pa.string()), ("a_name", pa.string()), ("b", pa.string()),
                        ("b_name", pa.string()), ("kind", pa.string()), ("edge_id", pa.string()),
                        ("since", pa.date32()), ("value_usd", pa.float64()), ("value", pa.float64()),
                        ("shipments", pa.int64()), ("first_date", pa.date32()), ("last_date", pa.date32()),
                        ("shipment_ids", pa.list_(pa.string()))])
    return pa.Table.from_pylist(rows, schema), labels


def _made_in_sql(module: Any, rows: pa.Table, labels: pa.Table, currency: str) -> list[dict]:
    ctx = DetectContext(engine=None, settings=Settings(report_currency=currency), writes_made=True)  # type: ignore[arg-type]
    ctx.__dict__["label_table"] = labels  # no warehouse: the rows and labels are given
    assert list(module.findings_of(ctx, rows)) == []  # a writing run's findings go to ``made``
    return _by_id(pa.concat_tables(ctx.made.pop(module.NAME)).to_pylist())


def _made_and_stated(module: Any, rows: pa.Table, labels: pa.Table, currency: str,
                     statement: Any) -> tuple[list[dict], list[dict]]:
    made = _made_in_sql(module, rows, labels, currency)
    by_id = dict(zip(labels.column("node_id").to_pylist(),
                     zip(labels.column("label").to_pylist(), labels.column("country").to_pylist(), strict=True),
                     strict=True))
    stated = findings_table([statement(r, by_id, currency) for r in rows.to_pylist()]).to_pylist()
    return made, _by_id(stated)


def _by_id(rows: list[dict]) -> list[dict]:
    """Findings rows in id order (the order SQL makes them in is not the rows')."""
    return sorted(rows, key=lambda row: row["finding_id"])


@settings(SLOW, max_examples=50)
@given(priority_rows(), st.sampled_from(["GBP", "USD", "AED"]))
def test_priority_goods_findings_made_in_sql_are_the_ones_stated_in_python(given_rows, currency) -> None:
    made, stated = _made_and_stated(priority_goods, *given_rows, currency, _priority_finding)
    assert made == stated


@settings(SLOW, max_examples=50)
@given(brand_rows(), st.sampled_from(["GBP", "EUR"]))
def test_brand_diversion_findings_made_in_sql_are_the_ones_stated_in_python(given_rows, currency) -> None:
    made, stated = _made_and_stated(brand_diversion, *given_rows, currency, _brand_finding)
    assert made == stated


@settings(SLOW, max_examples=50)
@given(proximity_rows(), st.sampled_from(["GBP", "USD"]))
def test_sanctions_proximity_findings_made_in_sql_are_the_ones_stated_in_python(given_rows, currency) -> None:
    rows, labels = given_rows
    made = _made_in_sql(sanctions_proximity, rows, labels, currency)
    assert made == _by_id(findings_table(_proximity_findings(rows.to_pylist(), currency)).to_pylist())


def test_a_run_that_writes_nothing_gets_the_findings_back_as_findings(case_engine) -> None:
    engine, _ = case_engine
    ctx = DetectContext(engine, S)
    ctx.need(*priority_goods.DETECTOR.tables)
    found = list(priority_goods.find(ctx))
    assert found and all(isinstance(f.evidence["facts"], dict) for f in found)
    ctx = DetectContext(engine, S, writes_made=True)
    ctx.need(*priority_goods.DETECTOR.tables)
    assert list(priority_goods.find(ctx)) == []
    # the rows a writing run gets are the rows those findings write
    assert _by_id(pa.concat_tables(ctx.made["priority_goods"]).to_pylist()) == _by_id(findings_table(found).to_pylist())


@pytest.mark.parametrize("text", ["a\x0bb", "x\\u000By", "q\\\x0b", 'plain"\\'])
def test_escapes_are_changed_only_where_they_are_escapes(text: str) -> None:
    assert _one("py_json(?)", text) == json.dumps(text, ensure_ascii=False)
