"""The records the screening API and the search box look names up in.

Two collections, each indexed by name once, on first use:

- ``listed``: every entity of the loaded sanctions and watch-list files
  (``sanctions`` with its names, identifiers and referents), in FollowTheMoney
  shape with yente's metadata (``target``, ``first_seen``, ``last_seen``,
  ``last_change``, ``referents``). One listing published twice (OpenSanctions'
  ``NK-…`` entity and the OFAC entry ``ofac-45992`` it names among its
  ``referents``) is one record under the canonical id; the other id redirects.
- ``entities``: the resolved parties of the warehouse (``entities``).

A yente "dataset" selects among them (``Catalog.select``): ``default`` (every
listed record), ``sanctions`` (the targets: listed, not context), ``entities``
(the warehouse's parties), or one dataset by the name it was loaded under —
the file name (``zala.ftm.json`` → ``zala``) or an FtM ``datasets`` value
(``us_ofac_sdn``).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import PurePath
from typing import Any

from followthemoney import model
from normality import ascii_text

from diversion.errors import WarehouseError
from diversion.web.screening import IndexEntry, NameIndex
from diversion.web.warehouse import WebWarehouse

log = logging.getLogger(__name__)

ALIAS_PROPS = ("name", "alias", "weakAlias", "previousName")
#: ``sanction_names.name_type`` → the FtM property the name is published under.
NAME_PROPS = {"primary": "name", "alias": "alias", "weak": "weakAlias", "previous": "previousName"}
#: Collections: the names ``/match/{dataset}`` takes besides dataset names.
COLLECTIONS = {
    "default": "Every entity of the loaded lists",
    "sanctions": "Listed entities (FtM targets and OFAC entries)",
    "entities": "Resolved parties of this warehouse (diversion)",
}

#: File names that say nothing about the list in them: the folder's name is used instead.
GENERIC_NAMES = frozenset({*COLLECTIONS, "index", "data", "export", "targets", "full", "latest", "names"})


@dataclass
class Record:
    """One matchable record, in FtM shape with yente's metadata."""

    id: str
    schema: str
    caption: str
    properties: dict[str, list[str]]
    datasets: list[str]
    target: bool
    identifiers: set[str] = field(default_factory=set)
    referents: list[str] = field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    last_change: datetime | None = None
    #: Adjacent entities published with it (``sanctions``: the Sanction entities), as FtM dicts.
    nested: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: The warehouse's resolved entity this record is a mention of (``None`` before ``resolve``).
    entity_id: str | None = None
    _text: str | None = field(default=None, repr=False)

    @cached_property
    def countries(self) -> list[str]:
        """Country codes of every country-typed property (lower case, as FtM writes them).

        Cached: every search filters and facets on it; ``_absorb`` clears it.
        """
        schema = model.get(self.schema)
        out: list[str] = []
        for prop, values in self.properties.items():
            p = schema.get(prop) if schema else None
            if p is not None and p.type.name == "country":
                out.extend(v.lower() for v in values if v.lower() not in out)
        return out

    @property
    def topics(self) -> list[str]:
        """FtM topics (``sanction``, ``mil``...)."""
        return self.properties.get("topics", [])

    def text(self) -> str:
        """Every property value as one lower-case ASCII string, for plain-text search."""
        if self._text is None:
            values = [self.caption, self.id, *(v for vs in self.properties.values() for v in vs)]
            self._text = " ".join(_fold(v) for v in values)
        return self._text


@dataclass
class Collection:
    """Records, their name index, and the ids that redirect to a record (merged referents)."""

    records: dict[str, Record]
    index: NameIndex
    redirects: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._corpus  # noqa: B018 - built with the name index, not by the first search that needs it

    def canonical(self, entity_id: str) -> str | None:
        """The id a record is kept under: itself, the record that merged it, or ``None``."""
        if entity_id in self.records:
            return entity_id
        return self.redirects.get(entity_id)

    @cached_property
    def _corpus(self) -> tuple[str, list[int], list[Record]]:
        # Every record's text in one string (NUL between records: no query word spans two), so that
        # finding a word is one C-level scan instead of a Python loop over every record.
        recs = list(self.records.values())
        starts, pos = [], 0
        for rec in recs:
            starts.append(pos)
            pos += len(rec.text()) + 1
        return "\0".join(r.text() for r in recs), starts, recs

    def containing(self, words: list[str]) -> list[Record]:
        """Records whose text (``Record.text``) contains every one of ``words`` (folded, lower case)."""
        if not words:
            return []
        corpus, starts, recs = self._corpus
        probe = max(words, key=len)  # the longest word: the fewest places to check
        found: list[Record] = []
        at = corpus.find(probe)
        while at != -1:
            k = bisect_right(starts, at) - 1
            if all(w in recs[k].text() for w in words):
                found.append(recs[k])
            at = corpus.find(probe, starts[k + 1]) if k + 1 < len(starts) else -1
        return found


@dataclass(frozen=True)
class DatasetInfo:
    """A name ``/match/{dataset}`` and ``/search/{dataset}`` accept."""

    name: str
    title: str
    kind: str  # collection | file | list
    entities: int


def _fold(value: str) -> str:
    return (ascii_text(value) or value).lower()


def dataset_slug(path: str) -> str:
    """The dataset name of a loaded file: its name without extensions, lower case, ``_`` for the rest.

    A generic file name (``entities.ftm.json``) gives way to its folder's name.

    >>> dataset_slug("/data/zala.ftm.json"), dataset_slug("EU FSF 2024.csv"), dataset_slug("2021.csv")
    ('zala', 'eu_fsf_2024', 'file_2021')
    >>> dataset_slug("/fixtures/zala/entities.ftm.json")
    'zala'

    """
    parts = PurePath(path)
    name = parts.name.lower()
    while True:
        stem, dot, ext = name.rpartition(".")
        if not dot or ext not in {"json", "jsonl", "ndjson", "ftm", "csv", "gz", "zip", "txt", "xlsx"}:
            break
        name = stem
    if name in GENERIC_NAMES and parts.parent.name:
        return dataset_slug(parts.parent.name)  # yente's layout: zala/entities.ftm.json is dataset "zala"
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text(name) or name).strip("_") or "file"
    return slug if slug[0].isalpha() else f"file_{slug}"


def _split_properties(schema: str, raw: Any) -> tuple[dict[str, list[str]], dict[str, list[dict[str, Any]]]]:
    """Published FtM properties: text values by property, and nested entities (``sanctions``) apart."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}, {}
    if not isinstance(raw, dict):
        return {}, {}
    known = model.get(schema)
    props: dict[str, list[str]] = {}
    nested: dict[str, list[dict[str, Any]]] = {}
    for key, values in raw.items():
        if known is None or known.get(str(key)) is None:
            continue  # only the schema's properties: yente's clients look values up by FtM name
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict):
                nested.setdefault(str(key), []).append(value)
            elif value is not None and str(value).strip():
                props.setdefault(str(key), [])
                if str(value) not in props[str(key)]:
                    props[str(key)].append(str(value))
    return props, nested


def _merge_values(props: dict[str, list[str]], key: str, values: Iterable[Any]) -> None:
    for value in values or []:
        if value and str(value) not in props.setdefault(key, []):
            props[key].append(str(value))
    if not props.get(key):
        props.pop(key, None)


def _file_datasets(wh: WebWarehouse) -> dict[str, str]:
    """Dataset name of every loaded file, by ``source_id``."""
    if not wh.has("sources"):
        return {}
    return {r["source_id"]: dataset_slug(r["path"]) for r in wh.rows("SELECT source_id, path FROM sources")}


def _entity_links(wh: WebWarehouse) -> dict[str, str]:
    """Resolved entity of every listed record (``mentions`` of ``sanctions`` → ``entity_mentions``)."""
    if not (wh.has("mentions") and wh.has("entity_mentions")):
        return {}
    rows = wh.rows(
        "SELECT m.source_key, em.entity_id FROM mentions m JOIN entity_mentions em USING (mention_id) "
        "WHERE m.source_table = 'sanctions' AND m.source_key IS NOT NULL"
    )
    return {r["source_key"]: r["entity_id"] for r in rows}


def load_listed(wh: WebWarehouse) -> Collection:
    """Every entity of the loaded lists, referents merged into the entity that names them."""
    records: dict[str, Record] = {}
    if not wh.has("sanctions"):
        return Collection(records, _index(records))
    files = _file_datasets(wh)
    links = _entity_links(wh)
    have = wh.columns("sanctions")
    extra = [c for c in ("target", "first_seen", "last_seen", "last_change") if c in have]
    select = ", ".join(["entity_id", "schema", "name", "countries", "topics", "datasets", "list_name", "properties",
                        "source_id", *extra])
    for row in wh.rows(f"SELECT {select} FROM sanctions ORDER BY entity_id"):  # noqa: S608 (fixed column names)
        schema = row["schema"] if model.get(row["schema"] or "") else "LegalEntity"
        props, nested = _split_properties(schema, row["properties"])
        _merge_values(props, "name", [row["name"]])
        if model.get(schema).get("country") is not None:  # type: ignore[union-attr]
            _merge_values(props, "country", [c.lower() for c in row["countries"] or [] if c])
        _merge_values(props, "topics", row["topics"] or [])
        datasets = list(dict.fromkeys([files.get(row["source_id"], "") or "", *(row["datasets"] or [])]))
        datasets = [d for d in datasets if d] or [dataset_slug(row["list_name"] or "list")]
        target = row.get("target")
        records[row["entity_id"]] = Record(
            id=row["entity_id"],
            schema=schema,
            caption=row["name"],
            properties=props,
            datasets=datasets,
            # A row of a sanctions file that does not say otherwise is a listing (OFAC entries, plain lists).
            target=True if target is None else bool(target),
            first_seen=row.get("first_seen"),
            last_seen=row.get("last_seen"),
            last_change=row.get("last_change"),
            nested=nested,
            entity_id=links.get(row["entity_id"]),
        )
    _add_context(wh, records, files)
    if wh.has("sanction_names"):
        for row in wh.rows("SELECT entity_id, name, name_type FROM sanction_names"):
            rec = records.get(row["entity_id"])
            if rec is not None:
                _merge_values(rec.properties, NAME_PROPS.get(row["name_type"], "alias"), [row["name"]])
    if wh.has("sanction_identifiers"):
        for row in wh.rows("SELECT entity_id, scheme, value FROM sanction_identifiers"):
            rec = records.get(row["entity_id"])
            if rec is None:
                continue
            if row["scheme"] == "referent":
                if row["value"] != rec.id and row["value"] not in rec.referents:
                    rec.referents.append(row["value"])
                continue
            rec.identifiers.add(_id_key(row["value"]))
            if model.get(rec.schema).get(row["scheme"]) is not None:  # type: ignore[union-attr]
                _merge_values(rec.properties, row["scheme"], [row["value"]])
    redirects = _merge_referents(records)
    return Collection(records, _index(records), redirects)


def _add_context(wh: WebWarehouse, records: dict[str, Record], files: dict[str, str]) -> None:
    """The parties a list file ships beside its listed ones (FtM ``target: false``, kept in ``registry_entities``).

    yente returns them too, marked ``target: false``: a client can tell a
    registry company that owns a listed one from a listing.
    """
    if not (wh.has("registry_entities") and wh.has("sources")):
        return
    rows = wh.rows(
        "SELECT r.entity_id, r.schema, r.name, r.aliases, r.country, r.topics, r.properties, r.source_id "
        "FROM registry_entities r JOIN sources s USING (source_id) WHERE s.kind = 'sanctions' ORDER BY r.entity_id"
    )
    for row in rows:
        if row["entity_id"] in records:
            continue
        schema = row["schema"] if model.get(row["schema"] or "") else "LegalEntity"
        props, nested = _split_properties(schema, row["properties"])
        _merge_values(props, "name", [row["name"], *(row["aliases"] or [])])
        if row["country"] and model.get(schema).get("country") is not None:  # type: ignore[union-attr]
            _merge_values(props, "country", [row["country"].lower()])
        _merge_values(props, "topics", row["topics"] or [])
        records[row["entity_id"]] = Record(
            id=row["entity_id"], schema=schema, caption=row["name"], properties=props,
            datasets=[files.get(row["source_id"]) or "context"], target=False, nested=nested,
        )


def _merge_referents(records: dict[str, Record]) -> dict[str, str]:
    """Fold records that another record names among its referents into it; returns referent → canonical id.

    The record naming the most referents claims first (OpenSanctions' merged
    entity over a single list's entry); ties go by id, so the result does not
    depend on load order.
    """
    redirects: dict[str, str] = {}
    for rec in sorted(records.values(), key=lambda r: (-len(r.referents), r.id)):
        if rec.id in redirects:
            continue
        for ref in list(rec.referents):
            if ref in redirects or ref == rec.id:
                continue
            redirects[ref] = rec.id
            other = records.get(ref)
            if other is None or other.referents and any(r not in rec.referents for r in other.referents):
                continue  # a listing we do not hold, or one that merges more than this one knows: keep it apart
            _absorb(rec, other)
            del records[ref]
    return redirects


def _absorb(into: Record, other: Record) -> None:
    for prop, values in other.properties.items():
        if model.get(into.schema).get(prop) is not None:  # type: ignore[union-attr]
            _merge_values(into.properties, prop, values)
    for prop, items in other.nested.items():
        into.nested.setdefault(prop, []).extend(items)
    into.datasets = list(dict.fromkeys([*into.datasets, *other.datasets]))
    into.identifiers |= other.identifiers
    into.target = into.target or other.target
    into.first_seen = min(filter(None, (into.first_seen, other.first_seen)), default=None)
    into.last_seen = max(filter(None, (into.last_seen, other.last_seen)), default=None)
    into.last_change = max(filter(None, (into.last_change, other.last_change)), default=None)
    into.entity_id = into.entity_id or other.entity_id
    into.__dict__.pop("countries", None)  # cached from the properties before the merge
    into._text = None


def load_entities(wh: WebWarehouse) -> Collection:
    """The warehouse's resolved entities."""
    records: dict[str, Record] = {}
    if wh.has("entities"):
        for row in wh.rows("SELECT entity_id, canonical_name, names, countries, identifiers, schema FROM entities"):
            props: dict[str, list[str]] = {}
            _merge_values(props, "name", [row["canonical_name"]])
            _merge_values(props, "alias", [n for n in row["names"] or [] if n != row["canonical_name"]])
            _merge_values(props, "country", [c.lower() for c in row["countries"] or [] if c])
            _merge_values(props, "idNumber", row["identifiers"])
            ids = {_id_key(i.split(":", 1)[-1]) for i in row["identifiers"] or []}
            schema = row["schema"] if model.get(row["schema"] or "") else "LegalEntity"
            records[row["entity_id"]] = Record(
                row["entity_id"], schema, row["canonical_name"], props, ["entities"], False, ids,
                entity_id=row["entity_id"],
            )
    return Collection(records, _index(records))


def _id_key(value: str) -> str:
    """Identifiers compare on letters and digits only (``77-01 234`` = ``7701234``)."""
    return "".join(c for c in str(value).upper() if c.isalnum())


def _index(records: dict[str, Record]) -> NameIndex:
    def names(rec: Record) -> list[tuple[str, str]]:
        kinds = [("primary" if prop == "name" else "alias", prop) for prop in ALIAS_PROPS]
        return [(n, kind) for kind, prop in kinds for n in rec.properties.get(prop, [])]

    return NameIndex(
        IndexEntry(rec.id, rec.schema, rec.caption, [c.upper() for c in rec.countries], names(rec))
        for rec in records.values()
    )


Selection = tuple[Collection, Callable[[Record], bool] | None]


class Catalog:
    """Both collections, loaded lazily once per warehouse version (``refresh`` drops them)."""

    def __init__(self, wh: WebWarehouse) -> None:
        self.wh = wh
        self._lock = threading.Lock()
        self._listed: Collection | None = None
        self._entities: Collection | None = None

    @property
    def listed(self) -> Collection:
        """Entities of the loaded lists."""
        with self._lock:
            if self._listed is None:
                self._listed = load_listed(self.wh)
            return self._listed

    #: Older name of ``listed``, kept for the page modules.
    sanctions = listed

    @property
    def entities(self) -> Collection:
        """Resolved entities."""
        with self._lock:
            if self._entities is None:
                self._entities = load_entities(self.wh)
            return self._entities

    @property
    def ready(self) -> bool:
        """Whether both name indexes are built."""
        return self._listed is not None and self._entities is not None

    def refresh(self) -> None:
        """Forget both collections: the next use reloads them (the warehouse file changed)."""
        with self._lock:
            self._listed = self._entities = None

    def warm(self) -> None:
        """Build both name indexes now (the app calls this in a background thread at start-up)."""
        try:
            _ = self.listed, self.entities
        except WarehouseError as exc:  # the app shut down while indexing
            log.info("name indexes not built: %s", exc)

    def datasets(self) -> list[DatasetInfo]:
        """Every name ``/match/{dataset}`` accepts: collections, then loaded files and lists."""
        listed = self.listed.records.values()
        counts: Counter[str] = Counter(d for rec in listed for d in rec.datasets)
        out = [
            DatasetInfo("default", COLLECTIONS["default"], "collection", len(self.listed.records)),
            DatasetInfo("sanctions", COLLECTIONS["sanctions"], "collection", sum(r.target for r in listed)),
            DatasetInfo("entities", COLLECTIONS["entities"], "collection", len(self.entities.records)),
        ]
        out += [DatasetInfo(name, name, "list", n) for name, n in sorted(counts.items()) if name not in COLLECTIONS]
        return out

    def list_datasets(self) -> list[str]:
        """Dataset names ``/match/{dataset}`` accepts."""
        return [d.name for d in self.datasets()]

    def select(self, dataset: str) -> Selection | None:
        """The collection and record filter a dataset name selects; ``None`` when unknown."""
        if dataset == "default":
            return self.listed, None
        if dataset == "sanctions":
            return self.listed, lambda rec: rec.target
        if dataset == "entities":
            return self.entities, None
        if any(dataset in rec.datasets for rec in self.listed.records.values()):
            return self.listed, lambda rec: dataset in rec.datasets
        return None
