"""How rows of the ingest tables map to resolved entities.

Resolution writes ``mentions`` (one per distinct party mention, with the
``source_table`` and ``source_key`` it came from) and ``entity_mentions``
(mention → entity). Graph and detectors need the reverse question — *which
entity is registry company X, sanctions entry Y, website Z?* — so this module
materialises that lookup once per run as a temporary table, ``_entity_keys``.

Registry entities that resolution did not cover keep a stable fallback id
``registry:<id>`` so that ownership links are never lost.
"""

from __future__ import annotations

import pyarrow as pa

from diversion.engine import Engine
from diversion.errors import WarehouseError
from diversion.names import normalise_name

#: Tables resolution must have written before graph or detect can run.
RESOLVE_TABLES = ("mentions", "entities", "entity_mentions", "shipment_entities", "sanctions_matches")


def require_resolved(engine: Engine) -> None:
    """Fail with an actionable message when resolution has not run yet."""
    missing = [t for t in RESOLVE_TABLES if not engine.table_exists(t)]
    if missing:
        raise WarehouseError(
            f"the warehouse has no {', '.join(missing)} table(s); run `diversion resolve` first"
        )
    loaded = any(engine.count(t) for t in ("shipments", "registry_entities", "sanctions"))
    if loaded and not engine.count("entities"):
        raise WarehouseError("the warehouse holds data but no resolved entities; run `diversion resolve` first")


def entity_keys_sql() -> str:
    """One row per (source table, source key, entity), plus the mention's name and role.

    Every table's mentions but the shipments': a shipment's parties are reached through
    ``shipment_entities``, and their mentions (96 % of all at 10M shipment rows) made the lookup 1.9 s, not 0.3.
    """
    return """
        CREATE OR REPLACE TEMP TABLE _entity_keys AS
        SELECT DISTINCT m.source_table, m.source_key, em.entity_id, m.name, m.role, m.domain
        FROM mentions m JOIN entity_mentions em ON em.mention_id = m.mention_id
        WHERE m.source_key IS NOT NULL AND m.source_table IS DISTINCT FROM 'shipments'
    """


def registry_map_sql() -> str:
    """Registry entity id → resolved entity id (or the ``registry:`` fallback)."""
    return """
        CREATE OR REPLACE TEMP TABLE _registry_map AS
        SELECT r.entity_id AS registry_id,
               coalesce(k.entity_id, 'registry:' || r.entity_id) AS entity_id,
               r.name, r.country, r.schema, r.topics
        FROM registry_entities r
        LEFT JOIN (SELECT source_key, min(entity_id) AS entity_id FROM _entity_keys
                   WHERE source_table = 'registry_entities' GROUP BY source_key) k
          ON k.source_key = r.entity_id
    """


def distributor_map_sql() -> str:
    """Authorised-distributor rows → resolved entity (matched on record hash, or on name and domain).

    Two equality joins, not one join on either condition: a join on ``a OR b`` compares every
    distributor with every mention (quadratic: 0.7 s at 20,000 distributors).
    """
    return """
        CREATE OR REPLACE TEMP TABLE _distributor_map AS
        WITH k AS (SELECT * FROM _entity_keys WHERE source_table = 'distributors')
        -- resolution keeps one mention per (name, country, domain): match on those, or the hash
        SELECT d.brand, d.distributor_name, d.country, d.domain, k.entity_id
        FROM distributors d JOIN k ON k.source_key = d.record_hash
        UNION
        SELECT d.brand, d.distributor_name, d.country, d.domain, k.entity_id
        FROM distributors d JOIN k ON k.name = d.distributor_name AND k.domain IS NOT DISTINCT FROM d.domain
        UNION
        SELECT d.brand, d.distributor_name, d.country, d.domain, NULL FROM distributors d
        WHERE NOT EXISTS (SELECT 1 FROM k WHERE k.source_key = d.record_hash)
          AND NOT EXISTS (SELECT 1 FROM k WHERE k.name = d.distributor_name AND k.domain IS NOT DISTINCT FROM d.domain)
    """


def web_map_sql() -> str:
    """Websites → resolved entity (``source_key`` is the domain, or the mention names it).

    Two equality joins, not one on either condition (quadratic in the websites: 1.6 s at 30,000).
    """
    return """
        CREATE OR REPLACE TEMP TABLE _web_map AS
        WITH k AS (
            SELECT source_key AS domain, entity_id FROM _entity_keys WHERE source_table = 'web_evidence'
            UNION ALL
            SELECT domain, entity_id FROM _entity_keys WHERE source_table = 'web_evidence' AND domain IS NOT NULL)
        SELECT w.domain, min(k.entity_id) AS entity_id
        FROM (SELECT DISTINCT domain FROM web_evidence) w
        LEFT JOIN k ON k.domain = w.domain
        GROUP BY w.domain
    """


def brand_key_sql(column: str) -> str:
    """SQL for the normalised key of a brand column (``TSUGAMI CORP.`` and ``Tsugami`` → ``tsugami``).

    Reads ``_brand_map``, which ``prepare_keys`` builds from the distinct brand
    spellings; graph and detectors key brands this one way. ``column`` must be
    qualified with its table alias (``s.brand``), or it would bind to the map's own column.
    """
    return f"(SELECT bm.brand_key FROM _brand_map bm WHERE bm.brand = trim({column}))"


def _brand_key(brand: str) -> str:
    # The name normaliser strips legal forms ("Corp.", "K.K.", "GmbH") and transliterates.
    return normalise_name(brand) or brand.strip().lower()


def build_brand_map(engine: Engine) -> None:
    """Materialise ``_brand_map`` (raw trimmed brand → key) over shipments and distributors."""
    brands = [r[0] for r in engine.fetch_all(
        "SELECT DISTINCT trim(brand) FROM (SELECT brand FROM shipments UNION SELECT brand FROM distributors) "
        "WHERE brand IS NOT NULL AND trim(brand) <> ''")]
    engine.execute("CREATE OR REPLACE TEMP TABLE _brand_map (brand VARCHAR PRIMARY KEY, brand_key VARCHAR)")
    engine.insert_arrow("_brand_map", pa.table({
        "brand": pa.array(brands, pa.string()),
        "brand_key": pa.array([_brand_key(b) for b in brands], pa.string()),
    }))


def prepare_keys(engine: Engine) -> None:
    """Materialise every lookup above for this connection (cheap; idempotent)."""
    require_resolved(engine)
    for sql in (entity_keys_sql(), registry_map_sql(), distributor_map_sql(), web_map_sql()):
        engine.execute(sql)
    build_brand_map(engine)


#: Shipment value in US dollars: the converted value, or the declared one when it is already dollars.
VALUE_USD = "coalesce(s.value_usd, CASE WHEN s.currency IS NULL OR upper(s.currency) = 'USD' THEN s.value END, 0)"
#: Value of a shipment ``s`` in the report currency (needs ``FX_JOIN`` and ``flows.currency.build_fx``): the
#: declared value when it is already in that currency, else its US-dollar value at its month's rate.
VALUE = f"(CASE WHEN upper(s.currency) = fx.code THEN s.value ELSE {VALUE_USD} * fx.usd_to_rc END)"
#: The join ``VALUE`` reads.
FX_JOIN = "LEFT JOIN _report_fx fx ON fx.month = CAST(date_trunc('month', s.date) AS DATE)"


def rewrite_table(engine: Engine, name: str, select_sql: str) -> int:
    """Replace a stage table's rows with the result of ``select_sql`` (columns in contract order).

    The table is recreated from its contract DDL so its types and keys stay exact.
    """
    engine.reset_table(name)
    engine.execute(f"INSERT INTO {name} {select_sql}")
    return engine.count(name)
