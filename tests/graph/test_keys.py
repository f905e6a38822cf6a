"""Ingest rows → resolved entities: the distributor and website maps the graph stage joins on."""

from __future__ import annotations

from diversion.engine import Engine
from diversion.graph.keys import distributor_map_sql, entity_keys_sql, web_map_sql


def _keys(engine: Engine, rows: list[tuple[str, str, str, str | None, str | None]]) -> None:
    """``_entity_keys`` as resolve's tables would give it: (source_table, source_key, entity_id, name, domain)."""
    engine.execute("CREATE OR REPLACE TEMP TABLE _entity_keys (source_table VARCHAR, source_key VARCHAR, "
                   "entity_id VARCHAR, name VARCHAR, role VARCHAR, domain VARCHAR)")
    for table, key, entity, name, domain in rows:
        engine.execute("INSERT INTO _entity_keys VALUES (?, ?, ?, ?, 'x', ?)", [table, key, entity, name, domain])


def test_the_entity_keys_map_every_table_but_the_shipments(engine: Engine) -> None:
    # A shipment's parties are reached through shipment_entities; every other table's rows through this lookup.
    tables = ("shipments", "registry_entities", "distributors", "web_evidence", "sanctions")
    for i, table in enumerate(tables):
        engine.execute("INSERT INTO mentions (mention_id, source_table, source_key, role, name) "
                       "VALUES (?, ?, ?, 'x', ?)", [f"m{i}", table, f"k{i}", f"Name {i}"])
        engine.execute("INSERT INTO entity_mentions VALUES (?, ?, 1.0)", [f"m{i}", f"e{i}"])
    engine.execute("INSERT INTO mentions (mention_id, source_table, role, name) VALUES ('m9', 'sanctions', 'x', 'N')")
    engine.execute("INSERT INTO entity_mentions VALUES ('m9', 'e9', 1.0)")  # no key: nothing to look up
    engine.execute(entity_keys_sql())
    got = engine.fetch_all("SELECT source_table, source_key, entity_id, name FROM _entity_keys ORDER BY entity_id")
    assert got == [(t, f"k{i}", f"e{i}", f"Name {i}") for i, t in enumerate(tables) if t != "shipments"]


def test_a_distributor_maps_by_its_hash_or_by_its_name_and_domain_else_to_nothing(engine: Engine) -> None:
    for i, (brand, name, domain) in enumerate([
        ("Hokuto", "Hokuto Europe GmbH", "hokuto.de"),    # its own mention: the record hash
        ("Hokuto", "Hokuto Asia Pte", None),              # the mention kept for its name and (no) domain
        ("Okuma", "Okuma Mideast FZE", "okuma.ae"),      # resolve saw it under another hash: name and domain
        ("Okuma", "Unmatched Trading", "unmatched.example"),
    ]):
        engine.execute("INSERT INTO distributors VALUES (?, ?, 'DE', ?, 'src', ?, ?)", [brand, name, domain, i + 1,
                                                                                          f"h{i}"])
    _keys(engine, [
        ("distributors", "h0", "e-europe", "Hokuto Europe GmbH", "hokuto.de"),
        ("distributors", "h-other", "e-asia", "Hokuto Asia Pte", None),
        ("distributors", "h-okuma", "e-okuma", "Okuma Mideast FZE", "okuma.ae"),
        ("distributors", "h-okuma-2", "e-okuma-2", "Okuma Mideast FZE", "okuma.ae"),  # two entities: both kept
        ("registry_entities", "h3", "e-registry", "Unmatched Trading", "unmatched.example"),  # another table
    ])
    engine.execute(distributor_map_sql())
    got = sorted(engine.fetch_all("SELECT distributor_name, entity_id FROM _distributor_map"), key=str)
    assert got == sorted([("Hokuto Europe GmbH", "e-europe"), ("Hokuto Asia Pte", "e-asia"),
                          ("Okuma Mideast FZE", "e-okuma"), ("Okuma Mideast FZE", "e-okuma-2"),
                          ("Unmatched Trading", None)], key=str)


def test_a_website_maps_to_the_least_entity_naming_its_domain(engine: Engine) -> None:
    for i, domain in enumerate(["ele-tech.cn", "amegino.ae", "nobody.example"]):
        engine.execute("INSERT INTO web_evidence (domain, source_id, line, record_hash) VALUES (?, 'src', ?, ?)",
                       [domain, i + 1, f"w{i}"])
    _keys(engine, [
        ("web_evidence", "ele-tech.cn", "e-front", None, None),       # the page's own mention
        ("web_evidence", "other-key", "e-broker", None, "amegino.ae"),  # a mention naming the domain
        ("web_evidence", "amegino.ae", "e-zzz", None, None),
        ("shipments", "nobody.example", "e-shipper", None, "nobody.example"),  # not a website's mention
    ])
    engine.execute(web_map_sql())
    got = dict(engine.fetch_all("SELECT domain, entity_id FROM _web_map"))
    assert got == {"ele-tech.cn": "e-front", "amegino.ae": "e-broker", "nobody.example": None}
