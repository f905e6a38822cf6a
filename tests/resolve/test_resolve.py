"""resolve on the mini case: links across scripts, keeps near-misses apart, stable ids, bad input."""

from __future__ import annotations

from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.resolve import resolve
from diversion.resolve.explain import explain_pair


def _entity_of(engine: DuckDBEngine, column: str, record_id: str) -> str:
    return engine.scalar(f"SELECT {column} FROM shipment_entities WHERE record_id = ?", [record_id])


def test_amg_spellings_are_one_entity_with_its_listing(resolved: DuckDBEngine) -> None:
    importers = {_entity_of(resolved, "importer_entity_id", r) for r in ("S1", "S2", "S3", "S4")}
    assert len(importers) == 1
    (amg,) = importers
    names = resolved.scalar("SELECT names FROM entities WHERE entity_id = ?", [amg])
    assert "OOO AMG" in names and 'ООО "АМГ"' in names
    match = resolved.fetch_dicts("SELECT * FROM sanctions_matches WHERE entity_id = ?", [amg])
    assert [m["sanction_entity_id"] for m in match] == ["ofac-1001"]
    assert match[0]["list_name"] == "OFAC SDN" and match[0]["programs"] == ["RUSSIA-EO14024"]
    assert str(match[0]["listing_date"]) == "2022-06-28"


def test_two_kometas_in_different_cities_stay_apart(resolved: DuckDBEngine) -> None:
    msk, nsk = _entity_of(resolved, "importer_entity_id", "S5"), _entity_of(resolved, "importer_entity_id", "S6")
    assert msk != nsk
    registry = dict(resolved.fetch_all(
        "SELECT m.source_key, em.entity_id FROM mentions m JOIN entity_mentions em USING (mention_id) "
        "WHERE m.source_table = 'registry_entities'"))
    assert registry["ru-kometa-msk"] == msk and registry["ru-kometa-nsk"] == nsk


def test_chinese_and_english_names_bridged_by_registry_alias(resolved: DuckDBEngine) -> None:
    ele = _entity_of(resolved, "exporter_entity_id", "S4")
    names = resolved.scalar("SELECT names FROM entities WHERE entity_id = ?", [ele])
    assert "深圳市易络科技有限公司" in names and "ELE TECHNOLOGY CO., LTD" in names


def test_broker_forms_fze_fzco_joined(resolved: DuckDBEngine) -> None:
    assert _entity_of(resolved, "exporter_entity_id", "S1") == _entity_of(resolved, "exporter_entity_id", "S2")


def test_bad_names_kept_unresolved_with_reason(resolved: DuckDBEngine) -> None:
    reasons = dict(resolved.fetch_all(
        "SELECT name, unresolved_reason FROM mentions WHERE unresolved_reason IS NOT NULL"))
    assert reasons[""] == "empty name"
    assert "no letters" in reasons["!!!"]
    assert "writing systems" in reasons["ООО AMG شركة 深圳"]
    assert any("longer than" in r for r in reasons.values())
    # still on the map: every shipment has both entities
    assert resolved.scalar(
        "SELECT count(*) FROM shipment_entities WHERE exporter_entity_id IS NULL OR importer_entity_id IS NULL") == 0
    assert resolved.count("shipment_entities") == resolved.count("shipments")


def test_shipment_parties_are_deduplicated(minicase: DuckDBEngine, settings: Settings) -> None:
    minicase.execute(
        "INSERT INTO shipments SELECT * REPLACE ('S1b' AS record_id, 'h-dup' AS record_hash) "
        "FROM shipments WHERE record_id = 'S1'")
    resolve(minicase, settings)
    assert minicase.scalar("SELECT count(*) FROM mentions WHERE name = 'Amegino FZCO'") == 1
    assert _entity_of(minicase, "importer_entity_id", "S1b") == _entity_of(minicase, "importer_entity_id", "S1")


def test_rerun_gives_same_ids_and_tables(resolved: DuckDBEngine, settings: Settings) -> None:
    def snapshot() -> tuple[list, list, list]:
        return (
            resolved.fetch_all("SELECT * FROM entity_mentions ORDER BY mention_id"),
            resolved.fetch_all("SELECT entity_id, canonical_name, mention_count FROM entities ORDER BY entity_id"),
            resolved.fetch_all("SELECT * FROM shipment_entities ORDER BY record_id"),
        )

    before = snapshot()
    resolve(resolved, settings)
    assert snapshot() == before
    assert all(e.startswith("e-") for (e,) in resolved.fetch_all("SELECT entity_id FROM entities"))


def test_small_data_falls_back_to_priors_and_says_so(resolved: DuckDBEngine) -> None:
    method, note = resolved.fetch_all("SELECT method, note FROM resolve_model")[0]
    assert method == "priors" and "too few" in note


def test_empty_warehouse(engine: DuckDBEngine, settings: Settings) -> None:
    report = resolve(engine, settings)
    assert report.mentions == 0 and report.entities == 0
    assert engine.count("entities") == 0


def test_sibling_firms_stay_apart_but_typos_join(case, settings: Settings) -> None:  # noqa: ANN001
    """Shared city and brand, different trade word: two firms; a one-letter typo: one firm."""
    for i, (name, street) in enumerate([
        ("Foshan Weida Hardware Co., Ltd.", "No. 776 Weida Road, Foshan, China"),
        ("FOSHAN WEIDA HARDWARE CO.,LTD", "No. 776 Weida Road, Foshan, China"),
        ("Foshan Weida Hardwre Co., Ltd.", "No. 776 Weida Road, Foshan, China"),
        ("Foshan Weida Technology Co., Ltd.", "No. 967 Weida Road, Foshan, China"),
        ("Foshan Weida Import & Export Co., Ltd.", "No. 453 Weida Road, Foshan, China"),
    ]):
        case.shipment(f"W{i}", name, "OOO Buyer", exporter_country="CN", exporter_address=street)
    resolve(case.engine, settings)
    ents = [_entity_of(case.engine, "exporter_entity_id", f"W{i}") for i in range(5)]
    assert ents[0] == ents[1] == ents[2]
    assert len({ents[0], ents[3], ents[4]}) == 3


def test_web_site_claiming_another_country_joins_its_registry_record(case, settings: Settings) -> None:  # noqa: ANN001
    """A site's claimed country and address never count against: the mismatch is the red flag, not a new firm."""
    case.registry("reg-ararat", "Ararat Tech Solutions LLC", aliases=("ARARAT TECH SOLUTIONS",), country="AM",
                  address="Tigran Mets Ave 48, Yerevan 0005, Armenia", website="ararat-techsolutions.am",
                  registration_number="286.110.1234567")
    case.shipment("A1", "ARARAT TECH SOLUTIONS", "OOO Buyer", exporter_country="AM",
                  exporter_address="Tigran Mets Ave 48, Yerevan 0005, Armenia")
    case.website("ararat-techsolutions.am", "Ararat Tech Solutions", address="Eindhoven, Netherlands", country="NL")
    resolve(case.engine, settings)
    rows = case.engine.fetch_all(
        "SELECT m.role, em.entity_id, m.mention_id FROM mentions m JOIN entity_mentions em USING (mention_id) "
        "WHERE m.name ILIKE 'ararat%'")
    by_role = {role: eid for role, eid, _ in rows}
    assert by_role["website"] == by_role["registry"] == by_role["exporter"]
    ids = {role: mid for role, _, mid in rows}
    country = next(c for c in explain_pair(case.engine, ids["registry"], ids["website"]).contributions
                   if c.comparison == "country")
    assert country.weight == 0 and "claim" in country.level
