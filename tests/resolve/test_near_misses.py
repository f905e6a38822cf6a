"""Screening near-misses and cross-list duplicates found on the demo (issue #4)."""

from __future__ import annotations

from diversion.config import Settings
from diversion.resolve import resolve
from diversion.resolve.explain import explain_pair
from diversion.resolve.screening import ListedEntity, ScreeningIndex

_MACHINERY = ["Corion Machinery Industrial Corp.", "Vorion Machinery AG", "Toreon Machinery Makina San. ve Tic. A.Ş.",
              "Korino Machinery S.r.l.", "Orbant Machinery AG", "Coreon Machinery S.p.A.", "Sarion Machinery s.r.o.",
              "Iriion Machinery", "Orbron Machinery OAO", "Rosion Machinery OOO"]


def _index() -> ScreeningIndex:
    listed = [
        ListedEntity("orion", "Company", "Orion Machinery Limited", "us_trade_csl", countries=["HK"],
                     names=[("Orion Machinery Limited", "primary"), ("Orion Machinery", "alias")]),
        ListedEntity("promsnab-m", "Company", "Promsnab-M LLC", "us_ofac_sdn", countries=["RU"],
                     names=[("Promsnab-M LLC", "primary"), ("OOO Promsnab-M", "alias"), ('ООО "Промснаб-М"', "alias")]),
    ]
    corpus = [f"{w} machinery" for w in ("atlas", "baltic", "delta", "nordic", "zanion")] + ["promsnab", "promstan"]
    return ScreeningIndex(listed, corpus=corpus)


def test_look_alike_machinery_firms_are_no_sanctions_match() -> None:
    """'Machinery' is common; 'Corion', 'Vorion'... are other names than 'Orion'."""
    index = _index()
    for name in _MACHINERY:
        assert index.search(name, threshold=0.82) == [], name
        assert all(h.score < 1.0 for h in index.search(name)), name


def test_true_variants_still_screen() -> None:
    index = _index()
    for name, country in [("ORION MACHINERY LTD", "HK"), ("Orion Machinery", None), ("Orrion Machinery Limited", "HK"),
                          ("ООО «Промснаб-М»", "RU"), ("Promsnab M", None)]:
        hits = index.search(name, country, threshold=0.82)
        assert hits and hits[0].sanction_entity_id in {"orion", "promsnab-m"}, name


def test_score_one_means_equal_names() -> None:
    """'Promsnab' and 'Promsnab-M' are two firms: never 1.00, and below the threshold on the name alone."""
    index = _index()
    hits = index.search("ООО «Промснаб»", "RU")
    assert hits and hits[0].score < 0.82
    assert index.search('OOO "Promstan"', "RU", threshold=0.82) == []


def test_resolve_writes_no_match_for_look_alikes(case, settings: Settings) -> None:  # noqa: ANN001
    case.sanctioned("csl-orion", "Orion Machinery Limited", aliases=("Orion Machinery",), countries=("HK",))
    for i, name in enumerate(_MACHINERY):
        case.shipment(f"M{i}", name, "OOO Buyer", exporter_country="DE")
    case.shipment("M99", "ORION MACHINERY LTD", "OOO Buyer", exporter_country="HK")
    resolve(case.engine, settings)
    matched = {r[0] for r in case.engine.fetch_all(
        "SELECT DISTINCT x.name FROM sanctions_matches s JOIN entity_mentions em USING (entity_id) "
        "JOIN mentions x USING (mention_id)")}
    assert not matched & set(_MACHINERY)
    assert "ORION MACHINERY LTD" in matched


def _referent(case, entity_id: str, value: str) -> None:  # noqa: ANN001
    case._insert("sanction_identifiers", {"entity_id": entity_id, "scheme": "referent", "value": value}, False)  # noqa: SLF001


def test_one_listing_from_two_publications_is_one_entity(case, settings: Settings) -> None:  # noqa: ANN001
    """OFAC's CSV (country only in the address) and OpenSanctions' copy: own entry ids differ, one party."""
    case.sanctioned("ofac-41007", "SERGEY PETROVICH VOLKOV", schema="Person", aliases=("Volkov Sergei",),
                    countries=(), address="Russia")
    case.engine.execute("UPDATE sanction_addresses SET country = 'RU' WHERE entity_id = 'ofac-41007'")
    case.sanctioned("NK-95ed", "Sergey Petrovich Volkov", schema="Person",
                    aliases=("Volkov Sergei", "Сергей Петрович Волков"))
    case.sanctioned("ofac-41006", "TECH GRAND TRADING FZE", aliases=("Tech Grand Trading",), countries=("AE",))
    case.sanctioned("NK-429c", "Tech Grand Trading FZE", aliases=("Tech Grand Trading",), countries=("AE",))
    # Two firms with the same name but different INNs stay two.
    case.sanctioned("ofac-1", "OOO Kometa", inn="7701000001")
    case.sanctioned("NK-kometa", "OOO Kometa", inn="5406000002")
    for eid in ("ofac-41007", "NK-95ed", "ofac-41006", "NK-429c", "ofac-1", "NK-kometa"):
        _referent(case, eid, eid)
    # OpenSanctions names the OFAC entry it copies among its referents: that, not the name, makes them one
    # (issue #14: two entries of one list are never one party)
    _referent(case, "NK-95ed", "ofac-41007")
    _referent(case, "NK-429c", "ofac-41006")
    resolve(case.engine, settings)
    ent = dict(case.engine.fetch_all(
        "SELECT x.source_key, em.entity_id FROM mentions x JOIN entity_mentions em USING (mention_id) "
        "WHERE x.source_table = 'sanctions'"))
    assert ent["ofac-41007"] == ent["NK-95ed"]
    assert ent["ofac-41006"] == ent["NK-429c"]
    assert ent["ofac-1"] != ent["NK-kometa"]
    ids = dict(case.engine.fetch_all("SELECT source_key, mention_id FROM mentions WHERE source_table = 'sanctions'"))
    why = explain_pair(case.engine, ids["ofac-41006"], ids["NK-429c"])
    idents = next(c for c in why.contributions if c.comparison == "identifiers")
    assert idents.level == "an identifier in common" and idents.weight > 0
    # two lists' own entry ids that differ say nothing
    other = explain_pair(case.engine, ids["ofac-41007"], ids["NK-429c"])
    idents = next(c for c in other.contributions if c.comparison == "identifiers")
    assert idents.weight == 0 and "neutral" in idents.level
