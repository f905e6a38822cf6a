"""The warehouse tables: the data contract between stages.

Each stage reads the tables of the stages before it and writes its own.
Column lists live here once; ``create_all`` makes any table that is missing
(DuckDB dialect; the Spark engine transpiles it with sqlglot).

Provenance: every loaded row carries ``source_id`` (the SHA-256 of the file it
came from, see ``sources``) and ``line`` (1-based line or record number in
that file), and a ``record_hash`` of its normalised content that makes a
re-load idempotent.
"""

from __future__ import annotations

import json
from typing import Any

TABLES: dict[str, str] = {
    # --- ingest bookkeeping -------------------------------------------------
    "sources": """
        source_id VARCHAR PRIMARY KEY,      -- sha256 of the file's bytes
        path VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,              -- shipments|sanctions|registry|web|distributors|rates
        format VARCHAR NOT NULL,            -- csv|parquet|xlsx|ftm|ofac|...
        encoding VARCHAR,
        rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        rows_duplicate BIGINT NOT NULL,     -- identical to a row already in the warehouse
        loaded_at TIMESTAMP NOT NULL
    """,
    # A load in progress: written and committed before the load's transaction, removed after its commit.
    # A row whose file has no `sources` row marks a load that was killed: its rows are removed.
    "pending_loads": """
        source_id VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL
    """,
    "quarantine": """
        source_id VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        line BIGINT,
        field VARCHAR,
        reason VARCHAR NOT NULL,
        raw VARCHAR                         -- the offending record as JSON text
    """,
    # --- customs declarations ----------------------------------------------
    "shipments": """
        record_id VARCHAR NOT NULL,         -- declaration id, or source_id:line when absent
        date DATE NOT NULL,
        hs_code VARCHAR NOT NULL,           -- digits only, leading zeros kept (2..10 digits)
        description VARCHAR,
        brand VARCHAR,
        model VARCHAR,
        manufacture_year INTEGER,
        exporter_name VARCHAR NOT NULL,
        exporter_address VARCHAR,
        exporter_country VARCHAR,           -- ISO-3166 alpha-2
        importer_name VARCHAR NOT NULL,
        importer_address VARCHAR,
        importer_country VARCHAR,
        importer_id VARCHAR,                -- e.g. Russian INN
        origin_country VARCHAR,
        dispatch_country VARCHAR,
        trading_country VARCHAR,
        value DOUBLE NOT NULL,              -- as declared, in `currency`
        currency VARCHAR,                   -- ISO-4217
        value_usd DOUBLE,                   -- filled from `rates` where possible
        quantity DOUBLE,
        unit VARCHAR,
        net_weight_kg DOUBLE,
        source_id VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        record_hash VARCHAR NOT NULL
    """,
    # Monthly exchange rates: units of `currency` per one US dollar.
    "rates": """
        month DATE NOT NULL,                -- first day of the month
        currency VARCHAR NOT NULL,
        per_usd DOUBLE NOT NULL,
        source_id VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        record_hash VARCHAR NOT NULL        -- hash of (month, currency): one rate per month
    """,
    # --- sanctions and watch lists -----------------------------------------
    "sanctions": """
        entity_id VARCHAR PRIMARY KEY,      -- FtM id, or ofac-<ent_num>
        schema VARCHAR NOT NULL,            -- FtM schema: Company, Person, Organization, ...
        name VARCHAR NOT NULL,              -- primary name (caption)
        countries VARCHAR[],
        programs VARCHAR[],                 -- e.g. RUSSIA-EO14024
        topics VARCHAR[],                   -- FtM topics: sanction, mil, export.control, ...
        datasets VARCHAR[],                 -- e.g. us_ofac_sdn
        listing_date DATE,
        list_name VARCHAR NOT NULL,         -- human name of the list the row came from
        properties JSON,                    -- every FtM property as published
        source_id VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        record_hash VARCHAR NOT NULL,
        target BOOLEAN,                     -- FtM target: listed (true) or context (false); NULL = not stated
        first_seen TIMESTAMP,               -- FtM first_seen / last_seen / last_change, as published
        last_seen TIMESTAMP,
        last_change TIMESTAMP
    """,
    "sanction_names": """
        entity_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        name_type VARCHAR NOT NULL,         -- primary|alias|weak|previous
        record_hash VARCHAR,                -- hash of (entity_id, name, name_type)
        source_id VARCHAR,
        line BIGINT
    """,
    "sanction_addresses": """
        entity_id VARCHAR NOT NULL,
        address VARCHAR NOT NULL,
        city VARCHAR,
        country VARCHAR,
        record_hash VARCHAR,                -- hash of (entity_id, address, city, country)
        source_id VARCHAR,
        line BIGINT
    """,
    "sanction_identifiers": """
        entity_id VARCHAR NOT NULL,
        scheme VARCHAR NOT NULL,            -- innCode, registrationNumber, ogrnCode, ..., referent
        value VARCHAR NOT NULL,
        record_hash VARCHAR,                -- hash of (entity_id, scheme, value)
        source_id VARCHAR,
        line BIGINT
    """,
    # --- company registries and ownership ----------------------------------
    "registry_entities": """
        entity_id VARCHAR PRIMARY KEY,
        schema VARCHAR NOT NULL,            -- Company|Organization|LegalEntity|Person
        name VARCHAR NOT NULL,
        aliases VARCHAR[],
        country VARCHAR,
        address VARCHAR,
        registration_number VARCHAR,
        inn VARCHAR,
        incorporation_date DATE,
        website VARCHAR,
        topics VARCHAR[],                   -- FtM topics, e.g. mil (military end user)
        properties JSON,
        source_id VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        record_hash VARCHAR NOT NULL
    """,
    # Ownership and directorship links between registry entities.
    "registry_links": """
        link_id VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,              -- ownership|directorship|other
        source_entity_id VARCHAR,           -- owner / director
        source_name VARCHAR,
        target_entity_id VARCHAR,           -- asset / organization
        target_name VARCHAR,
        share DOUBLE,                       -- 0..1 ownership share when known
        role VARCHAR,
        start_date DATE,
        end_date DATE,
        source_id VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        record_hash VARCHAR NOT NULL
    """,
    # --- web evidence and distributors -------------------------------------
    "web_evidence": """
        domain VARCHAR NOT NULL,
        company_name VARCHAR,
        claimed_address VARCHAR,
        claimed_country VARCHAR,            -- derived from the claimed address where possible
        hosting_country VARCHAR,
        registrant_country VARCHAR,
        fetched_at TIMESTAMP,
        text VARCHAR,
        source_id VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        record_hash VARCHAR NOT NULL
    """,
    # --- trade statistics (UN Comtrade, Eurostat Comext...) -----------------
    # One reporter's figure for one partner, flow, commodity and period. Aggregate
    # partners and reporters (World, "Other Asia, nes", EU) are kept, marked, never a country.
    "trade_stats": """
        reporter VARCHAR NOT NULL,          -- ISO-3166 alpha-2, or an aggregate's code (WLD, OAS, EU...)
        reporter_name VARCHAR,
        reporter_aggregate BOOLEAN NOT NULL,
        partner VARCHAR NOT NULL,
        partner_name VARCHAR,
        partner_aggregate BOOLEAN NOT NULL,
        flow VARCHAR NOT NULL,              -- import|export|re-export|re-import|... as the reporter reports it
        classification VARCHAR NOT NULL,    -- HS, HS2017, CN, SITC4, BEC... (reference/data/trade_classifications.csv)
        commodity_code VARCHAR NOT NULL,    -- digits in that classification, or TOTAL
        commodity VARCHAR,
        period DATE NOT NULL,               -- first day of the year or month
        period_kind VARCHAR NOT NULL,       -- year|month
        value DOUBLE NOT NULL,              -- as reported, in `currency`
        currency VARCHAR NOT NULL,
        value_usd DOUBLE,                   -- the value when it is in USD
        quantity DOUBLE,
        quantity_unit VARCHAR,
        net_weight_kg DOUBLE,
        source_id VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        record_hash VARCHAR NOT NULL
    """,
    "distributors": """
        brand VARCHAR NOT NULL,
        distributor_name VARCHAR NOT NULL,
        country VARCHAR,
        domain VARCHAR,
        source_id VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        record_hash VARCHAR NOT NULL
    """,
}

#: Tables written by the stages after ingest (resolve, graph, detect, leads).
#: Stages rebuild their tables on each run (idempotent), except ``decisions`` and the run log
#: (``pipeline_runs``, ``run_changes``).
STAGE_TABLES: dict[str, str] = {
    # --- resolve -------------------------------------------------------------
    # One row per distinct party mention (shipment parties are de-duplicated on
    # their raw name/country/address/id before linkage).
    "mentions": """
        mention_id VARCHAR NOT NULL,        -- unique (STAGE_KEYS); stable: hash of source table + raw values
        source_table VARCHAR NOT NULL,      -- shipments|sanctions|registry_entities|web_evidence|distributors
        source_key VARCHAR,                 -- entity_id / domain / record_hash in that table
        role VARCHAR NOT NULL,              -- exporter|importer|sanctioned|registry|website|distributor
        schema VARCHAR,                     -- Company|Person|Organization|LegalEntity
        name VARCHAR,
        name_norm VARCHAR,                  -- normalised name used for matching
        country VARCHAR,
        address VARCHAR,
        identifiers VARCHAR[],              -- e.g. inn:7701234567
        domain VARCHAR,
        unresolved_reason VARCHAR,          -- set when the mention cannot be matched (empty name...)
        aliases VARCHAR[]                   -- other names of the same record (sanctions, registry aliases)
    """,
    "entities": """
        entity_id VARCHAR NOT NULL,         -- unique (STAGE_KEYS); stable across re-runs with the same data
        canonical_name VARCHAR NOT NULL,
        names VARCHAR[],
        countries VARCHAR[],
        identifiers VARCHAR[],
        schema VARCHAR,
        mention_count INTEGER
    """,
    "entity_mentions": """
        mention_id VARCHAR NOT NULL,
        entity_id VARCHAR NOT NULL,
        match_probability DOUBLE            -- to the entity's other mentions (1.0 if alone)
    """,
    # Exporter and importer entity of every shipment, for graph/detect/flows.
    "shipment_entities": """
        record_id VARCHAR NOT NULL,
        exporter_entity_id VARCHAR,
        importer_entity_id VARCHAR
    """,
    "sanctions_matches": """
        entity_id VARCHAR NOT NULL,
        sanction_entity_id VARCHAR NOT NULL,
        list_name VARCHAR,
        programs VARCHAR[],
        listing_date DATE,
        score DOUBLE NOT NULL,
        matched_name VARCHAR,
        explanation VARCHAR
    """,
    # Analyst judgements; never rebuilt, honoured by every later resolve.
    "decisions": """
        left_id VARCHAR NOT NULL,           -- mention ids
        right_id VARCHAR NOT NULL,
        judgement VARCHAR NOT NULL,         -- same|different
        author VARCHAR,
        decided_at TIMESTAMP NOT NULL,
        reason VARCHAR
    """,
    # Scored mention pairs at or above resolve.review_low (for review and explain).
    "resolve_pairs": """
        mention_id_l VARCHAR NOT NULL,
        mention_id_r VARCHAR NOT NULL,
        match_probability DOUBLE NOT NULL,
        match_weight DOUBLE NOT NULL
    """,
    # What the last resolve's screening found for each question it asked (resolve/incremental.py): an update
    # takes these answers instead of searching the lists again for a name it has seen.
    "screening_answers": """
        question BLOB NOT NULL,             -- digest of a name, with the country and schema of its party
        hits JSON                           -- [[list entry id, score, matched name, explanation], ...]; NULL: none
    """,
    # The linkage model of the last resolve run (Splink settings JSON with m/u).
    "resolve_model": """
        trained_at TIMESTAMP NOT NULL,
        method VARCHAR NOT NULL,            -- em | priors (EM failed or data too small)
        note VARCHAR,
        model_json VARCHAR NOT NULL
    """,
    # --- graph ---------------------------------------------------------------
    "nodes": """
        node_id VARCHAR NOT NULL,           -- unique (STAGE_KEYS): entity id, brand:<name>, domain:<d>, country:<cc>
        kind VARCHAR NOT NULL,              -- entity|brand|domain|country
        label VARCHAR NOT NULL,
        country VARCHAR,
        schema VARCHAR,
        sanctioned BOOLEAN,
        properties JSON
    """,
    "edges": """
        edge_id VARCHAR NOT NULL,           -- unique by construction (graph/build.py); no primary-key index:
                                            -- at 10M shipment rows its 11.7M keys took 44 of 46 s to write
        source VARCHAR NOT NULL,
        target VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,              -- trade|ownership|directorship|sanction|website|supplies|brand|link|
                                            -- commissioning
        value_usd DOUBLE,
        count BIGINT,
        first_date DATE,
        last_date DATE,
        share DOUBLE,
        evidence JSON                       -- shipment ids, registry link ids, source ids
    """,
    # What the trade and brand edges were built from, so that an update rebuilds only the edges its new
    # shipments and regrouped entities touch (``graph.carry``; DuckDB only, like ``finding_digests``).
    "graph_basis": """
        token VARCHAR NOT NULL,             -- the code the network was built with
        kind VARCHAR NOT NULL,              -- build (one row) | source (a shipments source_id) | entity
        key VARCHAR NOT NULL,               -- '' | the source_id | the entity_id
        digest BIGINT NOT NULL              -- the source's shipments, or the shipments an entity is party to
    """,
    # --- detect and leads ----------------------------------------------------
    "findings": """
        finding_id VARCHAR NOT NULL,        -- unique (STAGE_KEYS)
        detector VARCHAR NOT NULL,          -- a flag of the detector registry (detect/registry.py)
        entity_id VARCHAR NOT NULL,
        score DOUBLE NOT NULL,              -- 0..1
        summary VARCHAR NOT NULL,           -- one human sentence
        evidence JSON                       -- ids, names, scores, hops
    """,
    # Per detector and entity, a digest of the rows its findings were made from (detect/carry.py): a later
    # run makes findings again only for the entities whose digest changed.
    "finding_digests": """
        detector VARCHAR NOT NULL,
        token VARCHAR NOT NULL,             -- the code and settings the findings were made with
        entity_id VARCHAR NOT NULL,
        digest BIGINT NOT NULL              -- the entity's rows, name and country
    """,
    "leads": """
        rank INTEGER NOT NULL,
        entity_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        country VARCHAR,
        score DOUBLE NOT NULL,
        flags VARCHAR NOT NULL,             -- ;-separated flag vocabulary
        evidence VARCHAR NOT NULL,
        section VARCHAR                     -- lead (trade party or linked to one) | context (no trade)
    """,
    # Per entity, what its lead row was made from (leads/carry.py): a later ranking makes rows again only for
    # the entities whose digest changed.
    "lead_basis": """
        token VARCHAR NOT NULL,             -- the code and weights the leads were ranked with
        entity_id VARCHAR NOT NULL,
        digest BIGINT NOT NULL,             -- the entity's findings, name, country and trade
        parts INTEGER NOT NULL,             -- its flags (ties on score rank the entity with more flags first)
        contributions VARCHAR NOT NULL      -- JSON {flag: weighted score}, as ranked
    """,
    # --- runs: what each pipeline run changed (`diversion changes`); never rebuilt, like decisions ---------
    # One row per recorded run (`diversion run`, `resolve`, `detect`, `leads`), written when it ends.
    "pipeline_runs": """
        run_id BIGINT PRIMARY KEY,          -- 1, 2, 3... in the order runs started
        command VARCHAR NOT NULL,           -- run|resolve|detect|leads|demo
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL,            -- finished|failed (a failed run keeps the changes of its finished stages)
        stages VARCHAR NOT NULL,            -- ;-separated stages that finished, in order
        counts JSON,                        -- mentions, entities, sanctions_matches, findings, leads... after the run
        changes BIGINT NOT NULL             -- rows this run wrote to run_changes
    """,
    # What one run changed against the warehouse it started from (runs.diff): leads, sanctions matches, flags.
    "run_changes": """
        run_id BIGINT NOT NULL,
        kind VARCHAR NOT NULL,              -- lead_new|lead_changed|lead_removed|match_new|match_removed|
                                            -- flag_new|flag_removed
        entity_id VARCHAR NOT NULL,         -- the entity's id in that run (later ids: runs.state.current_ids)
        name VARCHAR,
        item VARCHAR NOT NULL,              -- sanctions-list entry id (match), flag (flag), '' (lead)
        before JSON,                        -- the item before the run (NULL: new); leads: rank, score, flags, section
        after JSON,                         -- the item after the run (NULL: removed)
        summary VARCHAR NOT NULL            -- one human line: "rank 40 → 3, score 0.31 → 0.93, new flag sanctioned"
    """,
    # When each stage after resolve last finished (one row per stage): a stage whose input has not run stops.
    "stage_runs": """
        stage VARCHAR PRIMARY KEY,
        finished_at TIMESTAMP NOT NULL,
        summary VARCHAR
    """,
}

#: The large tables the stages write, with the column no two of their rows share. Declared, not indexed: the
#: stages write each key once (tested), and a DuckDB primary key's index made an update's row deletes the
#: slowest part of detection (69k findings of 290k deleted: 2.2 s, and 2.2 s more at commit; without: 0.02 s)
#: and its inserts twice as slow (848k mentions: 3.1 s against 1.6 s), for lookups no stage makes.
STAGE_KEYS: dict[str, str] = {
    "mentions": "mention_id", "entities": "entity_id", "nodes": "node_id", "findings": "finding_id",
}

#: Tables that hold loaded rows, with the key that makes a re-load idempotent.
LOADED_TABLES: dict[str, str] = {
    "shipments": "record_hash",
    "sanctions": "record_hash",
    "registry_entities": "record_hash",
    "registry_links": "record_hash",
    "web_evidence": "record_hash",
    "distributors": "record_hash",
    "rates": "record_hash",
    "trade_stats": "record_hash",
    "sanction_names": "record_hash",
    "sanction_addresses": "record_hash",
    "sanction_identifiers": "record_hash",
}

#: Loaded tables whose rows hang off a primary row of the same file (aliases,
#: addresses, identifiers of a sanctioned entity). They are de-duplicated like
#: the others but not counted as the file's records in ``rows_loaded`` unless a
#: parser says they are (OFAC ``alt.csv``/``add.csv`` lines are names/addresses).
CHILD_TABLES: frozenset[str] = frozenset({"sanction_names", "sanction_addresses", "sanction_identifiers"})


def _ddl(name: str) -> str:
    return TABLES[name] if name in TABLES else STAGE_TABLES[name]


def create_sql(name: str) -> str:
    """The ``CREATE TABLE IF NOT EXISTS`` statement of one contract table."""
    return f"CREATE TABLE IF NOT EXISTS {name} ({_ddl(name)})"


def columns(name: str) -> list[str]:
    """Column names of a contract table, in order."""
    out = []
    for raw in _ddl(name).splitlines():
        line = raw.split("--")[0].strip().rstrip(",")
        if not line or line.upper().startswith("PRIMARY KEY"):
            continue
        out.append(line.split()[0])
    return out


def decode_json(value: Any) -> Any:
    """A JSON column's value as Python data (text that is not JSON is returned as is)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
