"""The records the screening API and the search box look names up in.

Two collections, each indexed by name once, on first use:

- ``sanctions``: every sanctions-list entry (``sanctions`` + its aliases in
  ``sanction_names`` and identifiers in ``sanction_identifiers``);
- ``entities``: the resolved parties of the warehouse (``entities``).

A yente "dataset" selects among them: ``default`` (both), ``sanctions``,
``entities``, or the name of one published list (``us_ofac_sdn``...).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import duckdb

from diversion.errors import WarehouseError
from diversion.web.screening import IndexEntry, NameIndex
from diversion.web.warehouse import WebWarehouse

log = logging.getLogger(__name__)

ALIAS_PROPS = ("name", "alias", "weakAlias", "previousName")


@dataclass
class Record:
    """One matchable record, in FtM shape."""

    id: str
    schema: str
    caption: str
    properties: dict[str, list[str]]
    datasets: list[str]
    target: bool
    identifiers: set[str] = field(default_factory=set)


@dataclass
class Collection:
    """Records and their name index."""

    records: dict[str, Record]
    index: NameIndex


def _props(raw: Any) -> dict[str, list[str]]:
    """FtM properties from a JSON column, values as lists of strings."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    return {str(k): [str(x) for x in (v if isinstance(v, list) else [v]) if x is not None] for k, v in raw.items()}


def _merge(props: dict[str, list[str]], key: str, values: list[Any] | None) -> None:
    for value in values or []:
        if value and str(value) not in props.setdefault(key, []):
            props[key].append(str(value))


def load_sanctions(wh: WebWarehouse) -> Collection:
    """Every sanctions-list entry with its aliases and identifiers."""
    records: dict[str, Record] = {}
    if wh.has("sanctions"):
        for row in wh.rows(
            "SELECT entity_id, schema, name, countries, programs, topics, datasets, listing_date, list_name, "
            "properties FROM sanctions"
        ):
            props = _props(row["properties"])
            _merge(props, "name", [row["name"]])
            _merge(props, "country", row["countries"])
            _merge(props, "program", row["programs"])
            _merge(props, "topics", row["topics"])
            if row["listing_date"]:
                _merge(props, "createdAt", [row["listing_date"].isoformat()])
            datasets = list(row["datasets"] or []) or [row["list_name"]]
            records[row["entity_id"]] = Record(
                row["entity_id"], row["schema"] or "LegalEntity", row["name"], props, datasets, True
            )
    if wh.has("sanction_names"):
        for row in wh.rows("SELECT entity_id, name, name_type FROM sanction_names"):
            rec = records.get(row["entity_id"])
            if rec is not None:
                _merge(rec.properties, "name" if row["name_type"] == "primary" else "alias", [row["name"]])
    if wh.has("sanction_identifiers"):
        for row in wh.rows("SELECT entity_id, scheme, value FROM sanction_identifiers"):
            rec = records.get(row["entity_id"])
            if rec is not None:
                rec.identifiers.add(_id_key(row["value"]))
                _merge(rec.properties, row["scheme"], [row["value"]])
    return Collection(records, _index(records))


def load_entities(wh: WebWarehouse) -> Collection:
    """The warehouse's resolved entities."""
    records: dict[str, Record] = {}
    if wh.has("entities"):
        for row in wh.rows("SELECT entity_id, canonical_name, names, countries, identifiers, schema FROM entities"):
            props: dict[str, list[str]] = {}
            _merge(props, "name", [row["canonical_name"]])
            _merge(props, "alias", [n for n in row["names"] or [] if n != row["canonical_name"]])
            _merge(props, "country", row["countries"])
            _merge(props, "idNumber", row["identifiers"])
            ids = {_id_key(i.split(":", 1)[-1]) for i in row["identifiers"] or []}
            records[row["entity_id"]] = Record(
                row["entity_id"], row["schema"] or "LegalEntity", row["canonical_name"], props, ["entities"], False, ids
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
        IndexEntry(rec.id, rec.schema, rec.caption, [c.upper() for c in rec.properties.get("country", [])], names(rec))
        for rec in records.values()
    )


class Catalog:
    """Both collections, loaded lazily once per app (the warehouse does not change while serving)."""

    def __init__(self, wh: WebWarehouse) -> None:
        self.wh = wh
        self._lock = threading.Lock()
        self._sanctions: Collection | None = None
        self._entities: Collection | None = None

    @property
    def sanctions(self) -> Collection:
        """Sanctions-list entries."""
        with self._lock:
            if self._sanctions is None:
                self._sanctions = load_sanctions(self.wh)
            return self._sanctions

    @property
    def entities(self) -> Collection:
        """Resolved entities."""
        with self._lock:
            if self._entities is None:
                self._entities = load_entities(self.wh)
            return self._entities

    def warm(self) -> None:
        """Build both name indexes now (the app calls this in a background thread at start-up)."""
        try:
            _ = self.sanctions, self.entities
        except (duckdb.Error, WarehouseError) as exc:  # the app shut down while indexing
            log.info("name indexes not built: %s", exc)

    def list_datasets(self) -> list[str]:
        """Dataset names ``/match/{dataset}`` accepts."""
        lists = sorted({d for rec in self.sanctions.records.values() for d in rec.datasets})
        return ["default", "sanctions", "entities", *lists]

    def collections(self, dataset: str) -> list[tuple[Collection, str | None]] | None:
        """The collections (and list filter) a dataset name selects; ``None`` when unknown."""
        if dataset == "default":
            return [(self.sanctions, None), (self.entities, None)]
        if dataset == "sanctions":
            return [(self.sanctions, None)]
        if dataset == "entities":
            return [(self.entities, None)]
        if any(dataset in rec.datasets for rec in self.sanctions.records.values()):
            return [(self.sanctions, dataset)]
        return None
