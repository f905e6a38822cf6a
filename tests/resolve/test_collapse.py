"""Identical linkage records scored once give the pairs that scoring every mention gives."""

from __future__ import annotations

import pyarrow as pa

from diversion.resolve.collapse import TWIN, collapse, expand, twins
from diversion.resolve.linkage import PAIRS_SCHEMA


def _rows(*rows: tuple[str, str, list[str] | None]) -> pa.Table:
    return pa.table({"unique_id": [r[0] for r in rows], "name_key": [r[1] for r in rows],
                     "block_keys": pa.array([r[2] for r in rows], pa.list_(pa.string()))})


def _pairs(*rows: tuple[str, str, float]) -> pa.Table:
    return pa.table({"mention_id_l": [r[0] for r in rows], "mention_id_r": [r[1] for r in rows],
                     "match_probability": [r[2] for r in rows], "match_weight": [r[2] * 10 for r in rows]},
                    schema=PAIRS_SCHEMA)


def test_identical_rows_share_a_representative() -> None:
    table = _rows(("m-3", "acme", ["w:acme"]), ("m-1", "acme", ["w:acme"]), ("m-2", "bolt", ["w:bolt"]),
                  ("m-4", "acme", None), ("m-5", "acme", None))
    c = collapse(table)
    assert c.records.column("unique_id").to_pylist() == ["m-1", "m-2", "m-4"]
    assert dict(zip(c.members.column("mention_id").to_pylist(), c.members.column("rep").to_pylist(),
                    strict=True)) == {"m-1": "m-1", "m-2": "m-2", "m-3": "m-1", "m-4": "m-4", "m-5": "m-4"}
    assert c.groups == 2
    # Only a group with blocking keys gets a twin: mentions without keys were never compared.
    t = twins(c)
    assert t.column("unique_id").to_pylist() == ["m-1", "m-1" + TWIN]
    assert t.column("block_keys").to_pylist() == [["t:m-1"], ["t:m-1"]]


def test_expand_gives_every_members_pair() -> None:
    members = pa.table({"rep": ["m-1", "m-1", "m-1", "m-2", "m-2"], "mention_id": ["m-1", "m-3", "m-5", "m-2", "m-0"]})
    out = expand(_pairs(("m-1", "m-2", 0.8)), _pairs(("m-1", "m-1" + TWIN, 0.99)), members)
    got = {(a, b): p for a, b, p in zip(*(out.column(c).to_pylist() for c in
                                           ("mention_id_l", "mention_id_r", "match_probability")), strict=True)}
    assert got == {("m-0", "m-1"): 0.8, ("m-0", "m-3"): 0.8, ("m-0", "m-5"): 0.8, ("m-1", "m-2"): 0.8,
                   ("m-2", "m-3"): 0.8, ("m-2", "m-5"): 0.8,
                   ("m-1", "m-3"): 0.99, ("m-1", "m-5"): 0.99, ("m-3", "m-5"): 0.99}
    assert out.schema == PAIRS_SCHEMA
    ids = list(zip(out.column("mention_id_l").to_pylist(), out.column("mention_id_r").to_pylist(), strict=True))
    assert ids == sorted(ids)  # sorted by id, as resolve_pairs is written
