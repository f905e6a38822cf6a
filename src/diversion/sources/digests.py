"""Digests of each shipments source, for the stages that build on what they saw last time.

A source (one loaded file, ``source_id``) only ever gains rows by a new file; a digest per source tells a later
run whether the old sources are as they were (then only new sources' shipments are new) or one changed or is gone
(a ``check --repair``, a removed file). Resolve digests the rows' ids and contents; the network also their
``value_usd``, filled in when rates arrive. DuckDB's ``hash``: compared only with digests the same engine made.
"""

from __future__ import annotations


def source_digests_sql(*columns: str) -> str:
    """SQL giving ``source_id`` and ``digest`` per shipments source: the rows' ``columns``, in any order."""
    return (f"SELECT source_id, (hash(sum(hash({', '.join(columns)})), count(*)) >> 1)::BIGINT AS digest "
            "FROM shipments GROUP BY source_id")
