"""Lists as lists: two entries of one list are two parties; one listing published twice is one (issue #14)."""

from __future__ import annotations

from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.resolve import resolve
from tests.resolve.conftest import Case


def _entity_of_listing(engine: DuckDBEngine, entity_id: str) -> str:
    return engine.scalar(
        "SELECT em.entity_id FROM mentions m JOIN entity_mentions em USING (mention_id) "
        "WHERE m.source_table = 'sanctions' AND m.source_key = ?", [entity_id])


def test_two_entries_of_one_list_sharing_an_alias_never_merge(case: Case, settings: Settings) -> None:
    case.sanctioned("ofac-1", "STROYTRANSGAZ LLC", aliases=("STROYTRANSGAZ",), address="Moscow")
    case.sanctioned("ofac-2", "STROYTRANSGAZ OJSC", aliases=("STROYTRANSGAZ", "OAO STROYTRANSGAZ"), address="Moscow")
    case.shipment("S1", "Foo GmbH", "Stroytransgaz", exporter_country="DE")
    resolve(case.engine, settings)
    assert _entity_of_listing(case.engine, "ofac-1") != _entity_of_listing(case.engine, "ofac-2")


def test_one_listing_published_twice_links_through_its_referent(case: Case, settings: Settings) -> None:
    # OFAC's CSV row and OpenSanctions' copy, which names it among its referents; the names differ in script
    case.sanctioned("ofac-46001", "OSETROVA, Maria Aleksandrovna", schema="Person")
    case.sanctioned("NK-2Tbri3s6", "Мария Александровна Осетрова", schema="Person")
    for entity_id, ref in (("ofac-46001", "ofac-46001"), ("NK-2Tbri3s6", "ofac-46001"), ("NK-2Tbri3s6", "NK-2Tbri3s6")):
        case.engine.execute("INSERT INTO sanction_identifiers (entity_id, scheme, value) VALUES (?, 'referent', ?)",
                            [entity_id, ref])
    resolve(case.engine, settings)
    assert _entity_of_listing(case.engine, "ofac-46001") == _entity_of_listing(case.engine, "NK-2Tbri3s6")
