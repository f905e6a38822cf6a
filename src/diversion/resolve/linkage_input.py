"""The table Splink compares: one row per matchable mention, every name form as an array.

A listed entity or a registry company with aliases carries all its names; the
name comparison takes the best-matching pair. Blocking keys are drawn from the
data itself: each name contributes its two rarest words (by how many mentions
use them), the sound (metaphone) of its rarest word and the start of its glued
form, plus every identifier and the domain. ``id_schemes`` names the registers
(INN, OGRN, a country's registration numbers...) of a mention's identifiers:
only two identifiers from one register can disagree. Keys shared by more than
``max_block_size`` mentions are dropped (they would only pair unrelated firms).

A web site's country and address are claims (``claimed``, ``CLAIMED_ROLES``):
they count for a match when they agree, but never against it: a front's
site often claims another country than its registry record, and that
mismatch is what the detectors look for.
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from operator import itemgetter
from typing import Any

import pyarrow as pa
from rigour.text import metaphone

from diversion.names.normalise import NameForms, name_variants
from diversion.resolve.fields import address_key, comparable_schemes

#: Mention roles whose country and address are the party's own claims (web sites): neutral in linkage.
CLAIMED_ROLES = frozenset({"website"})

_SCHEMA = pa.schema([
    ("unique_id", pa.string()),
    ("kind", pa.string()),
    ("name_key", pa.string()),
    ("name_tokens", pa.list_(pa.string())),
    ("id_key", pa.string()),
    ("names_core", pa.list_(pa.string())),
    ("names_sorted", pa.list_(pa.string())),
    ("names_compact", pa.list_(pa.string())),
    ("names_phonetic", pa.list_(pa.string())),
    ("countries", pa.list_(pa.string())),
    ("address_fp", pa.string()),
    ("address_tokens", pa.list_(pa.string())),
    ("identifiers", pa.list_(pa.string())),
    ("id_schemes", pa.list_(pa.string())),
    ("domain", pa.string()),
    ("lists", pa.list_(pa.string())),
    ("claimed", pa.bool_()),
    ("block_keys", pa.list_(pa.string())),
])


def mention_kind(schema: str | None) -> str:
    """``person`` or ``org``: people are only ever compared with people."""
    return "person" if schema == "Person" else "org"


def _forms_of(m: dict[str, Any], max_name_length: int) -> list[NameForms]:
    out: list[NameForms] = []
    for name in [m.get("name"), *(m.get("aliases") or [])]:
        out.extend(f for f in name_variants(name, m.get("schema"), max_name_length) if f.usable)
    return out


def _or_none(values: list[str]) -> list[str] | None:
    if len(values) == 1:  # the common case, without building a set
        return [values[0]] if values[0] else None
    unique = sorted({v for v in values if v})
    return unique or None


def _form_keys(tokens: tuple[str, ...], compact: str, word_df: Counter[str]) -> tuple[str, ...]:
    """A name form's blocking keys: its two rarest words, the sound of the rarest, its glued start."""
    rare = sorted(set(tokens), key=lambda t: (word_df[t], t))
    keys = ["w:" + t for t in rare[:2]]
    keys.append("p:" + metaphone(rare[0]) if rare[0].isalpha() else "w:" + rare[0])
    keys.append("c:" + compact[:6])
    return tuple(keys)


def _name_columns(fs: list[NameForms], word_df: Counter[str]) -> tuple[dict[str, Any], list[str]]:
    """The name columns of a mention with name forms ``fs``, and their blocking keys (sorted)."""
    keys: set[str] = set()
    for f in fs:
        keys.update(_form_keys(f.tokens, f.compact, word_df))
    return {
        "name_key": fs[0].compact,
        "name_tokens": sorted(set(fs[0].tokens)),
        "names_core": _or_none([f.core for f in fs]),
        "names_sorted": _or_none([f.sorted for f in fs]),
        "names_compact": _or_none([f.compact for f in fs]),
        "names_phonetic": _or_none([f.phonetic for f in fs]),
    }, sorted(keys)


def linkage_rows(
    mentions: list[dict[str, Any]], max_name_length: int = 500, max_block_size: int = 1000
) -> list[dict[str, Any]]:
    """Splink input rows for the matchable mentions (those without ``unresolved_reason``)."""
    usable = [m for m in mentions if not m.get("unresolved_reason")]
    # A raw name recurs on many mentions (other addresses, ids): its forms, their key and words are found once.
    by_raw: dict[tuple[Any, ...], tuple[list[NameForms], tuple[str, ...], frozenset[str]]] = {}
    forms: dict[str, tuple[list[NameForms], tuple[str, ...], frozenset[str]]] = {}
    word_df: Counter[str] = Counter()
    for m in usable:
        raw = (m.get("name"), m.get("schema"), *(m.get("aliases") or ()))
        found = by_raw.get(raw)
        if found is None:
            fs = _forms_of(m, max_name_length)
            found = by_raw[raw] = (fs, tuple(f.core for f in fs), frozenset(t for f in fs for t in f.tokens))
        forms[m["mention_id"]] = found
        word_df.update(found[2])
    rows = []
    # Many mentions share their names once normalised (case, legal form, address differ): the name columns and
    # name blocking keys of one set of names are worked out once; so are an address's.
    by_names: dict[tuple[str, ...], tuple[dict[str, Any], list[str]]] = {}
    by_address: dict[str | None, tuple[str | None, list[str] | None]] = {}
    for m in usable:
        fs, names_key, _ = forms[m["mention_id"]]
        if not fs:
            continue
        columns = by_names.get(names_key)
        if columns is None:
            columns = by_names[names_key] = _name_columns(fs, word_df)
        named, name_keys = columns
        identifiers = m.get("identifiers")
        domain = m.get("domain")
        if identifiers or domain:
            keys = set(name_keys)
            keys.update("i:" + i for i in identifiers or ())
            if domain:
                keys.add("d:" + domain)
            block_keys = sorted(keys)
        else:  # the name's own keys, shared like its other columns (never changed in place)
            block_keys = name_keys
        raw_address = m.get("address")
        located = by_address.get(raw_address)
        if located is None:
            address = address_key(raw_address)
            tokens = _or_none([t for t in (address or "").split() if len(t) > 2])  # not "ul", "d", "st"
            located = by_address[raw_address] = (address, tokens)
        countries = m.get("countries")
        rows.append({
            "unique_id": m["mention_id"],
            "kind": mention_kind(m.get("schema")),
            **named,
            "id_key": min(identifiers) if identifiers else None,
            "countries": _or_none(countries) if countries else None,
            "address_fp": located[0],
            "address_tokens": located[1],
            "identifiers": _or_none(identifiers) if identifiers else None,
            # Never null (an empty list): the identifier comparison intersects it on every backend.
            "id_schemes": comparable_schemes(identifiers, countries) if identifiers else [],
            "domain": domain,
            "lists": list(m.get("lists") or ()),  # sanctions lists (datasets) naming it; never null
            "claimed": m.get("role") in CLAIMED_ROLES,
            "block_keys": block_keys,
        })
    key_df = Counter(chain.from_iterable(r["block_keys"] for r in rows))
    too_common = {k for k, n in key_df.items() if n > max_block_size}
    for r in rows:
        keys = r["block_keys"]
        if too_common and not too_common.isdisjoint(keys):
            keys = [k for k in keys if k not in too_common]
        r["block_keys"] = keys or None
    return rows


def linkage_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Arrow table of ``linkage_rows`` (sorted by id, so every run sees the same order)."""
    rows = sorted(rows, key=itemgetter("unique_id"))
    columns = zip(*map(itemgetter(*_SCHEMA.names), rows), strict=True) if rows else ([] for _ in _SCHEMA)
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, _SCHEMA, strict=True)],
                                schema=_SCHEMA)
