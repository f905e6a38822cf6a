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
        record_hash VARCHAR NOT NULL
    """,
    "sanction_names": """
        entity_id VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        name_type VARCHAR NOT NULL          -- primary|alias|weak|previous
    """,
    "sanction_addresses": """
        entity_id VARCHAR NOT NULL,
        address VARCHAR NOT NULL,
        city VARCHAR,
        country VARCHAR
    """,
    "sanction_identifiers": """
        entity_id VARCHAR NOT NULL,
        scheme VARCHAR NOT NULL,            -- innCode, registrationNumber, ogrnCode, ...
        value VARCHAR NOT NULL
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

#: Tables that hold loaded rows, with the key that makes a re-load idempotent.
LOADED_TABLES: dict[str, str] = {
    "shipments": "record_hash",
    "sanctions": "record_hash",
    "registry_entities": "record_hash",
    "registry_links": "record_hash",
    "web_evidence": "record_hash",
    "distributors": "record_hash",
    "rates": "record_hash",
}


def create_sql(name: str) -> str:
    """The ``CREATE TABLE IF NOT EXISTS`` statement of one contract table."""
    return f"CREATE TABLE IF NOT EXISTS {name} ({TABLES[name]})"


def columns(name: str) -> list[str]:
    """Column names of a contract table, in order."""
    out = []
    for raw in TABLES[name].splitlines():
        line = raw.split("--")[0].strip().rstrip(",")
        if not line or line.upper().startswith("PRIMARY KEY"):
            continue
        out.append(line.split()[0])
    return out
