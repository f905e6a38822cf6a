"""Importer/exporter filters by name resolve through entities: every spelling counts, ambiguity is an error."""

from __future__ import annotations

import pytest

from diversion.errors import ConfigError
from diversion.flows import FlowQuery, compute_flows, make_filter
from diversion.flows.filters import resolve_parties


@pytest.fixture
def parties(engine, make_shipments):
    """One importer written three ways (two of them without "OOO"), and two companies called Kometa."""
    make_shipments(
        engine,
        {"date": "2023-01-05", "value": 100.0, "importer_name": "OOO AMG"},
        {"date": "2023-01-06", "value": 200.0, "importer_name": "ООО «АМГ»"},
        {"date": "2023-01-07", "value": 400.0, "importer_name": "AMG LLC"},
        {"date": "2023-01-08", "value": 800.0, "importer_name": "Kometa JSC"},
        {"date": "2023-01-09", "value": 1600.0, "importer_name": "OOO Kometa"},
    )
    engine.execute("""INSERT INTO entities VALUES
        ('e-amg', 'OOO AMG', ['OOO AMG', 'ООО «АМГ»', 'AMG LLC'], ['RU'], [], 'Company', 3),
        ('e-kometa', 'Kometa JSC', ['Kometa JSC'], ['RU'], [], 'Company', 1),
        ('e-kometa-nsk', 'OOO Kometa', ['OOO Kometa'], ['RU'], [], 'Company', 1),
        ('e-exp', 'Exporter', ['Exporter'], ['CN'], [], 'Company', 5)""")
    engine.execute("""INSERT INTO shipment_entities SELECT record_id, 'e-exp',
        CASE WHEN importer_name LIKE '%Kometa JSC%' THEN 'e-kometa' WHEN importer_name LIKE '%Kometa%'
             THEN 'e-kometa-nsk' ELSE 'e-amg' END FROM shipments""")
    for mid, name, norm, entity in (("m1", "OOO AMG", "amg", "e-amg"), ("m2", "ООО «АМГ»", "amg", "e-amg"),
                                    ("m3", "AMG LLC", "amg", "e-amg"), ("m4", "Kometa JSC", "kometa", "e-kometa"),
                                    ("m5", "OOO Kometa", "kometa", "e-kometa-nsk")):
        engine.execute("INSERT INTO mentions (mention_id, source_table, role, schema, name, name_norm) "
                       "VALUES (?, 'shipments', 'importer', 'Company', ?, ?)", [mid, name, norm])
        engine.execute("INSERT INTO entity_mentions VALUES (?, ?, 1.0)", [mid, entity])
    return engine


def _total(engine, flt) -> float:
    resolved, _ = resolve_parties(engine, flt)
    return sum(r["value"] for r in compute_flows(engine, FlowQuery(filter=resolved, currency="USD")).series)


@pytest.mark.parametrize("name", ["AMG", "OOO AMG", "АМГ", "amg llc", "e-amg"])
def test_every_spelling_of_the_named_entity_counts(parties, name):
    # As a text filter, "OOO AMG" matched one spelling of three (100 of 700); through the entity it matches all.
    assert _total(parties, make_filter(importers=[name])) == pytest.approx(700.0)
    _, matches = resolve_parties(parties, make_filter(importers=[name]))
    assert matches[0].entity_id == "e-amg" and "all 3 spelling(s)" in matches[0].note()


def test_a_fragment_of_one_entity_says_so(parties):
    _, matches = resolve_parties(parties, make_filter(importers=["LLC"]))
    assert matches[0].how == "part" and "is part of the names of OOO AMG" in matches[0].note()


def test_a_name_of_several_entities_or_none_is_an_error_that_lists_them(parties):
    with pytest.raises(ConfigError, match=r"names 2 entities: .*Kometa JSC \(e-kometa\).*OOO Kometa"):
        resolve_parties(parties, make_filter(importers=["Kometa"]))
    with pytest.raises(ConfigError, match="no importer of a shipment has that name"):
        resolve_parties(parties, make_filter(importers=["Zenit"]))
    assert _total(parties, make_filter(importers=["e-kometa", "e-kometa-nsk"])) == pytest.approx(2400.0)
