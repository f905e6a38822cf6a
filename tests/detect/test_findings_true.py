"""Findings that are true: no self-links, relationships and listings used with their dates, commissioning edges,
old machines as evidence, and leads that are trade parties (listed entities with no trade are context)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from diversion.config import Settings
from diversion.detect import military_end_user, run_detection, sanctions_proximity
from diversion.graph import build_graph
from diversion.leads import build_leads
from tests.detect.minicase import CaseBuilder

S = Settings()


def build_timed_case(engine) -> None:
    """A dealer whose sales stop before the end user's contract and the listing; a broker selling after both."""
    b = CaseBuilder()
    b.entity("e-dealer", "Kansai Dealer KK", "JP")
    b.entity("e-imp", "Volga Precision LLC", "RU")
    b.entity("e-brk", "Gulf Bridge FZE", "AE")
    b.entity("e-front", "Pearl River Tech Co Ltd", "CN")
    b.entity("e-meu", "Zenit Machine Plant", "RU", topics=["mil"])
    b.entity("e-lonely", "Lonely Listed LLC", "RU", registry=False)
    b.entity("e-chpl", "Plain Lathe Exporter", "DE")
    b.entity("e-buyer", "Ordinary Buyer LLC", "RU")
    for i, month in enumerate((3, 6, 9, 12)):
        b.ship(f"s-dlr-{i}", date(2021, month, 10), "e-dealer", "e-imp", 150_000, brand="Hokuto", year=2020)
    b.ship("s-dlr-9", date(2022, 2, 10), "e-dealer", "e-imp", 60_000, brand="Hokuto", year=2021)
    for i in range(12):  # monthly, July 2022 to June 2023
        b.ship(f"s-brk-{i}", date(2022 + (6 + i) // 12, (6 + i) % 12 + 1, 20), "e-brk", "e-imp", 900_000,
               brand="Hokuto", origin="JP", dispatch="AE", year=2003)
    for i in range(3):
        b.ship(f"s-frt-{i}", date(2023, 1 + i, 8), "e-front", "e-imp", 700_000, brand="Hokuto", origin="JP",
               dispatch="CN", trading="AE", year=2001,
               description="CNC lathe Hokuto, used, 2001; by order of GULF BRIDGE FZE (UAE)")
    for i in range(4):
        b.ship(f"s-chpl-{i}", date(2022 + i % 2, 3 + i, 5), "e-chpl", "e-buyer", 80_000, hs_code="84581100")
    b.sanction("e-imp", listed=date(2023, 5, 19))
    b.sanction("e-meu", listed=date(2022, 3, 24), topics=["sanction", "mil"])
    b.sanction("e-lonely", listed=date(2022, 6, 28))
    b.link("e-imp", "e-meu", kind="other", role="supply contract", start=date(2022, 5, 1))
    b.distributor("Hokuto", "e-dealer", "JP")
    b.write(engine)


@pytest.fixture
def timed(engine):
    """The timed case, resolved, with its network built."""
    build_timed_case(engine)
    build_graph(engine, S)
    return engine


def by_entity(findings):
    return {f.entity_id: f for f in findings}


def test_sanctions_proximity_never_links_an_entity_to_itself(timed):
    found = sanctions_proximity.detect(timed, S)
    assert found
    for f in found:
        assert f.evidence["sanctioned_entity"] != f.entity_id, f.summary
        assert all(step["from"] != step["to"] for step in f.evidence["path"]), f.summary
    # Two listed parties tied by a contract: each is linked to the other, never to itself.
    importer = by_entity(found)["e-imp"]
    assert importer.evidence["path"][0]["to"] == "e-meu"
    assert "Volga Precision LLC, itself sanctioned" in importer.summary and "to Zenit Machine Plant" in importer.summary


def test_trade_that_ended_before_the_listing_or_the_contract_is_no_link(timed):
    proximity, meu = by_entity(sanctions_proximity.detect(timed, S)), by_entity(military_end_user.detect(timed, S))
    # The dealer stopped selling in February 2022: before the contract (May 2022) and the listing (May 2023).
    assert "e-dealer" not in proximity and "e-dealer" not in meu
    # The broker sold after both: only its shipments after each date count, with those dates stated.
    tie = meu["e-brk"].evidence["ties"][0]
    assert tie["tie"] == "supplies_linked" and tie["shipments"] == 12 and str(tie["first_date"]) >= "2022-05-01"
    broker = proximity["e-brk"]
    after_listing = [p for p in broker.evidence["path"] if p["kind"] == "trade"][0]
    assert str(after_listing["first_date"]) == "2023-05-20" and after_listing["shipments"] == 2
    assert "listed 2023-05-19" in broker.summary


def test_sentences_never_print_a_missing_date(timed):
    for f in run_detection(timed, S):
        assert "None" not in f.summary, f.summary


def test_commissioning_is_an_edge_and_a_finding(timed):
    edges = timed.fetch_dicts("SELECT source, target, count, evidence FROM edges WHERE kind = 'commissioning'")
    assert [(e["source"], e["target"], e["count"]) for e in edges] == [("e-brk", "e-front", 3)]
    evidence = json.loads(edges[0]["evidence"])
    assert evidence["basis"] == ["named"] and evidence["named_as"] == ["GULF BRIDGE FZE"]
    assert evidence["shipment_ids"] == ["s-frt-0", "s-frt-1", "s-frt-2"]
    found = [f for f in run_detection(timed, S) if f.detector == "commissioning"]
    assert {f.entity_id for f in found} == {"e-brk", "e-front"}
    broker = next(f for f in found if f.entity_id == "e-brk")
    assert "Pearl River Tech Co Ltd" in broker.summary and "by order of GULF BRIDGE FZE" in broker.summary


def test_old_machines_are_evidence(timed):
    brand = {f.entity_id: f for f in run_detection(timed, S) if f.detector == "brand_diversion"}
    front = brand["e-front"]
    assert front.evidence["old_machines"] == 3 and front.evidence["oldest_year"] == 2001
    assert "made in 2001" in front.summary
    assert "e-dealer" not in brand  # the authorised dealer


def test_leads_are_trade_parties_and_listed_entities_without_trade_are_context(timed):
    run_detection(timed, S)
    leads = build_leads(timed, S)
    section = {lead.entity_id: lead.section for lead in leads}
    assert section["e-lonely"] == "context"
    assert section["e-imp"] == section["e-brk"] == section["e-meu"] == "lead"  # the end user is linked by contract
    # Priority goods alone never make a lead.
    assert "e-chpl" not in section and "e-buyer" not in section
    ranks = [lead.rank for lead in leads if lead.section == "lead"]
    assert ranks == list(range(1, len(ranks) + 1))
    assert [lead.rank for lead in leads if lead.section == "context"] == [1]
