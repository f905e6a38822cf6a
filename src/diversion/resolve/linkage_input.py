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
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rigour.text import metaphone

from diversion.arrays import holders_per_word
from diversion.names.normalise import NameForms, name_variants
from diversion.names.rarity import WordCounts
from diversion.resolve.fields import address_key, comparable_schemes, distinct_sorted
from diversion.resolve.sorting import sorted_by

#: Mention roles whose country and address are the party's own claims (web sites): neutral in linkage.
CLAIMED_ROLES = frozenset({"website"})

#: The columns of ``collect_mentions``' table that the linkage input is made from.
_READ = ["mention_id", "schema", "name", "aliases", "identifiers", "countries", "address", "domain", "lists", "role"]

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
    ("name_commonness", pa.float64()),
])

#: Schemata of assets (vessels, aircraft): their own kind, never compared with people or organisations.
ASSET_SCHEMATA = ("Vessel", "Airplane", "Vehicle", "Asset")


def _forms_of(name: str | None, schema: str | None, aliases: tuple[str, ...], max_name_length: int) -> list[NameForms]:
    out: list[NameForms] = []
    for each in (name, *aliases):
        out.extend(f for f in name_variants(each, schema, max_name_length) if f.usable)
    return out


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
        "names_core": distinct_sorted([f.core for f in fs]),
        "names_sorted": distinct_sorted([f.sorted for f in fs]),
        "names_compact": distinct_sorted([f.compact for f in fs]),
        "names_phonetic": distinct_sorted([f.phonetic for f in fs]),
    }, sorted(keys)


_NAME_COLUMNS = ("name_key", "name_tokens", "names_core", "names_sorted", "names_compact", "names_phonetic")


def _names_frame(set_forms: list[list[NameForms]], word_df: Counter[str]) -> tuple[pa.Table, list[list[str]]]:
    """The name columns of each name set (row ``i``: set ``i``), and each set's name blocking keys."""
    out: dict[str, list[Any]] = {c: [] for c in _NAME_COLUMNS}
    keys = []
    for fs in set_forms:
        columns, found = _name_columns(fs, word_df)
        for c in _NAME_COLUMNS:
            out[c].append(columns[c])
        keys.append(found)
    return pa.table({c: pa.array(v, _SCHEMA.field(c).type) for c, v in out.items()}), keys


def _address_columns(addresses: pa.ChunkedArray) -> pa.Table:
    """``address_fp`` and ``address_tokens`` of each address: worked out once per distinct address."""
    distinct = addresses.unique()
    keys = [address_key(a) for a in distinct.to_pylist()]
    per_address = pa.table({
        "address_fp": pa.array(keys, pa.string()),
        # words longer than two letters (not "ul", "d", "st")
        "address_tokens": pa.array([distinct_sorted([t for t in (k or "").split() if len(t) > 2]) for k in keys],
                                   _SCHEMA.field("address_tokens").type),
    })
    return per_address.take(pc.index_in(addresses, value_set=distinct))


@dataclass(frozen=True)
class KnownRows:
    """Linkage rows an earlier run made, for an update to take as they are (``linkage_rows``' ``known``).

    ``dropped``: the blocking keys that run left out as too common, with how many mentions held them: such
    a key stays left out (its count only grows as mentions are added). ``contents``: each row's
    ``content_digests`` (what its mention said), in row order; a row is only taken for a mention that says
    the same today (a listed or registered party's id names a record whose names can change).
    """

    rows: pa.Table
    dropped: dict[str, int] = field(default_factory=dict)
    contents: pa.Array | None = None


#: The mention columns a linkage row is made of (with the word and key counts of all mentions).
_CONTENT = [c for c in _READ if c != "mention_id"]


def content_digests(mentions: pa.Table) -> pa.Array:
    """A 64-bit digest of what each mention says that its linkage row is made of (``_CONTENT``), by DuckDB."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("m", mentions.select(_CONTENT))
        columns = ", ".join(f'"{c}"' for c in _CONTENT)
        return con.execute(f"SELECT hash({columns}) FROM m").to_arrow_table().column(0).combine_chunks()
    finally:
        con.close()


def linkage_table(
    mentions: pa.Table, max_name_length: int = 500, max_block_size: int = 1000, counts: WordCounts | None = None,
) -> pa.Table:
    """Splink input of the matchable mentions in ``mentions`` (``collect_mentions``' columns), sorted by id.

    ``linkage_rows``' table (see there).
    """
    return linkage_rows(mentions, max_name_length, max_block_size, counts).rows


def linkage_rows(
    mentions: pa.Table, max_name_length: int = 500, max_block_size: int = 1000, counts: WordCounts | None = None,
    known: KnownRows | None = None,
) -> KnownRows:
    """Splink input of the matchable mentions in ``mentions`` (``collect_mentions``' columns), sorted by id.

    Python works once per distinct name (its forms and keys) and per distinct
    address; a mention's columns are taken from those by index, so the work per
    mention stays small. ``name_commonness`` (``names.rarity``) is worked out
    against ``counts``, by default the word counts of these mentions' names.

    ``known``: rows an earlier run made (an update's): the rows of the mentions among them are taken as they
    are, and only the others are made, with word rarities, name counts and key counts over all. Returned
    with the keys left out as too common, for the next update.
    """
    # Only the columns read below are copied by the filter (at 10M shipment rows the mentions are 0.6 GiB).
    mentions = mentions.select(_READ).filter(pc.is_null(mentions.column("unresolved_reason")))
    mentions = sorted_by(mentions, "mention_id")  # collected in id order: then no copy
    contents = content_digests(mentions)
    kept = kept_contents = None
    if known is not None:
        kept, kept_contents = _still_said(known, mentions.column("mention_id"), contents)
        fresh = pc.invert(pc.is_in(mentions.column("mention_id"), value_set=kept.column("unique_id")))
        mentions, contents = mentions.filter(fresh), contents.filter(fresh)
    raw_names, raw_of = _raw_names(mentions)
    set_forms, set_of_raw, word_df = _name_sets(raw_names, Counter(raw_of), max_name_length)
    if kept is not None:
        word_df.update(_mention_words(kept))
    sets = [set_of_raw[r] for r in raw_of]
    if -1 in sets:  # names without a usable form: not matchable
        usable = pa.array([s >= 0 for s in sets])
        mentions, contents = mentions.filter(usable), contents.filter(usable)
        sets = [s for s in sets if s >= 0]
    col = mentions.column
    names, name_keys = _names_frame(set_forms, word_df)
    counts = counts or WordCounts.of_forms(_all_forms(set_forms, kept))
    commonness = pa.array(counts.commonness_of(fs[0].tokens for fs in set_forms), pa.float64())
    identifiers, countries = col("identifiers").to_pylist(), col("countries").to_pylist()
    picked = pa.array(sets, pa.int32())
    # Each column built in Python becomes Arrow as soon as it is made, so its Python objects are freed
    # before the next is built (all of them held at once were the linkage input's peak at 10M rows).
    columns: dict[str, Any] = {
        "unique_id": col("mention_id"),
        "kind": pc.if_else(pc.fill_null(pc.equal(col("schema"), "Person"), False), "person",
                           pc.if_else(pc.fill_null(pc.is_in(col("schema"), pa.array(ASSET_SCHEMATA)), False),
                                      "asset", "org")),
        **_columns_of(names.take(picked)),
        "name_commonness": commonness.take(picked),
        "id_key": _typed("id_key", [min(i) if i else None for i in identifiers]),
        "countries": _typed("countries", [distinct_sorted(c) for c in countries]),
        **_columns_of(_address_columns(col("address"))),
        "identifiers": _typed("identifiers", [distinct_sorted(i) for i in identifiers]),
        # Never null (an empty list): the identifier comparison intersects it on every backend.
        "id_schemes": _typed("id_schemes", [comparable_schemes(i, c) if i else []
                                            for i, c in zip(identifiers, countries, strict=True)]),
        "domain": col("domain"),
        "lists": pc.fill_null(col("lists"), pa.scalar([], _SCHEMA.field("lists").type)),  # never null
        "claimed": pc.fill_null(pc.is_in(col("role"), pa.array(sorted(CLAIMED_ROLES))), False),
    }
    keys, too_common = _block_keys([name_keys[s] for s in sets], identifiers, col("domain").to_pylist(),
                                   max_block_size, _key_counts(kept, known))
    columns["block_keys"] = _typed("block_keys", keys)
    made = pa.table({f.name: columns[f.name].cast(f.type) for f in _SCHEMA}, schema=_SCHEMA)
    if kept is None or kept_contents is None:
        return KnownRows(made, too_common, contents)
    kept = kept.set_column(kept.schema.get_field_index("block_keys"), "block_keys",
                           _without_keys(kept.column("block_keys"), too_common))
    both = pa.concat_tables([kept, made]).append_column(
        "_content", pa.chunked_array([kept_contents, contents], contents.type))
    both = sorted_by(both, "unique_id")
    return KnownRows(both.drop_columns(["_content"]), too_common, both.column("_content").combine_chunks())


def _still_said(known: KnownRows, ids: pa.ChunkedArray, contents: pa.Array) -> tuple[pa.Table, pa.Array]:
    """The rows of ``known`` whose mention is among ``ids`` and says what it said (``content_digests``), in
    their order, and their digests; none when ``known`` has no digests."""
    if known.contents is None:
        return known.rows.slice(0, 0), contents.slice(0, 0)
    then = pa.table({"unique_id": known.rows.column("unique_id"), "_content": known.contents,
                     "_at": pa.array(np.arange(known.rows.num_rows), pa.int64())})
    same = then.join(pa.table({"unique_id": ids, "_content": contents}), ["unique_id", "_content"],
                     join_type="inner").column("_at")
    if len(same) == known.rows.num_rows:  # every row still said (positions are distinct): no copy of them all
        return known.rows, known.contents
    at = same.take(pc.sort_indices(same))
    return known.rows.take(at), known.contents.take(at)


def _typed(name: str, values: list[Any]) -> pa.Array:
    """``values`` as Arrow, typed as the linkage input's column ``name``."""
    return pa.array(values, _SCHEMA.field(name).type)


def _raw_names(mentions: pa.Table) -> tuple[dict[tuple[Any, ...], int], list[int]]:
    """Distinct raw names ``(name, schema, *aliases)`` with their index, and each mention's index.

    A name recurs on many mentions (other addresses, ids): it is worked on once.
    """
    col = mentions.column
    index: dict[tuple[Any, ...], int] = {}
    raw_of = []
    for name, schema, aliases in zip(col("name").to_pylist(), col("schema").to_pylist(), col("aliases").to_pylist(),
                                     strict=True):
        key = (name, schema, *aliases) if aliases else (name, schema)
        found = index.get(key)
        if found is None:
            found = index[key] = len(index)
        raw_of.append(found)
    return index, raw_of


def _name_sets(
    raw_names: dict[tuple[Any, ...], int], uses: Counter[int], max_name_length: int
) -> tuple[list[list[NameForms]], list[int], Counter[str]]:
    """Name sets (raw names that normalise alike share their columns), the set of each raw name (-1: no
    usable form) and how many mentions use each word (``uses``: mentions per raw name)."""
    word_df: Counter[str] = Counter()
    set_index: dict[tuple[str, ...], int] = {}
    set_forms: list[list[NameForms]] = []
    set_of_raw: list[int] = []
    for key, i in raw_names.items():
        fs = _forms_of(key[0], key[1], key[2:], max_name_length)
        for token in {t for f in fs for t in f.tokens}:
            word_df[token] += uses[i]
        if not fs:
            set_of_raw.append(-1)
            continue
        found = set_index.setdefault(tuple(f.core for f in fs), len(set_forms))
        if found == len(set_forms):
            set_forms.append(fs)
        set_of_raw.append(found)
    return set_forms, set_of_raw, word_df


def _block_keys(
    name_keys: list[list[str]], identifiers: list[list[str] | None], domains: list[str | None], max_block_size: int,
    others: Counter[str] | None = None,
) -> tuple[list[list[str] | None], dict[str, int]]:
    """Each mention's blocking keys: its names' keys, its identifiers and domain, less the keys shared by
    more than ``max_block_size`` mentions (they would only pair unrelated firms), and those keys.

    ``others``: how many other mentions (an update's known ones) hold each key.
    """
    out = []
    for keys, ids, domain in zip(name_keys, identifiers, domains, strict=True):
        if ids or domain:
            found = set(keys)
            found.update("i:" + i for i in ids or ())
            if domain:
                found.add("d:" + domain)
            out.append(sorted(found))
        else:  # the name set's own keys, shared (never changed in place)
            out.append(keys)
    key_df = Counter(chain.from_iterable(out))
    if others:
        key_df.update(others)
    too_common = {k: n for k, n in key_df.items() if n > max_block_size}
    if too_common:
        out = [[k for k in keys if k not in too_common] if not too_common.keys().isdisjoint(keys) else keys
               for keys in out]
    return [keys or None for keys in out], too_common


def _mention_words(rows: pa.Table) -> Counter[str]:
    """How many of ``rows`` (linkage rows) use each word in any of their name forms (``_name_sets``' count)."""
    forms = rows.column("names_sorted").combine_chunks()
    words = pc.split_pattern(pc.list_flatten(forms), " ")
    owner = pc.list_parent_indices(forms).take(pc.list_parent_indices(words)).to_numpy()
    # Each row's words once (Arrow's group_by took 3 s for the 4M pairs at 10M shipment rows), then rows per word.
    return holders_per_word(pc.list_flatten(words), owner)


def _all_forms(set_forms: list[list[NameForms]], kept: pa.Table | None) -> pa.Array:
    """Every name form of ``set_forms`` and of the ``kept`` rows, as its words sorted (what ``WordCounts`` counts)."""
    made = pa.array([f.sorted for fs in set_forms for f in fs], pa.string())
    if kept is None:
        return made
    return pa.concat_arrays([made, pc.list_flatten(kept.column("names_sorted").combine_chunks())])


def _key_counts(kept: pa.Table | None, known: KnownRows | None) -> Counter[str] | None:
    """How many of the ``kept`` rows hold each blocking key, with the keys ``known`` left out."""
    if kept is None or known is None:
        return None
    counted = pc.value_counts(pc.list_flatten(kept.column("block_keys").combine_chunks()))
    out = Counter(dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True)))
    out.update(known.dropped)
    return out


def _without_keys(keys: pa.ChunkedArray, drop: dict[str, int]) -> pa.Array:
    """``keys`` (lists of blocking keys) less the keys in ``drop``; a list left empty is null."""
    column = keys.combine_chunks()
    if not drop or not len(column):
        return column
    flat = pc.list_flatten(column)
    keep = pc.invert(pc.is_in(flat, value_set=pa.array(list(drop), pa.string())))
    if pc.all(keep).as_py():
        return column
    owner = pc.list_parent_indices(column).filter(keep).to_numpy()
    lengths = np.bincount(owner, minlength=len(column))
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
    rebuilt = pa.ListArray.from_arrays(offsets, flat.filter(keep), mask=pa.array(lengths == 0))
    return rebuilt.cast(column.type)


def _columns_of(table: pa.Table) -> dict[str, pa.ChunkedArray]:
    return {c: table.column(c) for c in table.column_names}
