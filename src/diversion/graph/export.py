"""Write the network out: FollowTheMoney JSON lines (for Aleph and the OpenSanctions tools) or GraphML."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

import networkx as nx

from diversion.engine import Engine
from diversion.errors import DiversionError

FORMATS = ("ftm", "graphml")
_SCHEMATA = {"Company", "Person", "Organization", "LegalEntity"}


def _batches(engine: Engine, sql: str) -> Iterator[list[dict[str, Any]]]:
    """Rows of ``sql`` in batches; streamed where the engine can, so 10M shipments never sit in memory at once."""
    for batch in engine.fetch_batches(sql, rows=50_000):
        yield batch.to_pylist()


_FTM_ID = re.compile(r"^[a-zA-Z0-9.-]{1,128}$")


def ftm_id(value: str) -> str:
    """Our id when FtM accepts it as is, else a stable hash of it (``registry:`` ids, long keys)."""
    # followthemoney is imported where it is used: loading its model takes about a second, and the graph,
    # detect and leads stages, which import this package, never export (each is a process at 10M rows).
    from followthemoney.util import make_entity_id

    return value if _FTM_ID.match(value) else make_entity_id(value) or value


def _hashed_id(*parts: str) -> str:
    """FtM's hashed id of ``parts`` (``make_entity_id`` gives ``None`` only when every part is empty)."""
    from followthemoney.util import make_entity_id

    key = make_entity_id(*parts)
    if key is None:
        raise DiversionError(f"cannot make an FtM id from {parts!r}: every part is empty")
    return key


def _make(schema: str, entity_id: str, **props: Any) -> dict[str, Any]:
    from followthemoney import model

    proxy = model.make_entity(schema)
    proxy.id = ftm_id(entity_id)
    for prop, values in props.items():
        schema_prop = proxy.schema.get(prop)
        is_ref = schema_prop is not None and schema_prop.type.name == "entity"
        for value in values if isinstance(values, list | tuple) else [values]:
            if value is not None and value != "":
                proxy.add(prop, ftm_id(str(value)) if is_ref else str(value), quiet=True)
    return proxy.to_dict()


def ftm_entities(engine: Engine) -> Iterator[dict[str, Any]]:
    """Every entity, shipment, ownership, link, sanction and finding as an FtM entity dict."""
    for batch in _batches(engine, "SELECT * FROM entities"):
        for e in batch:
            schema = e["schema"] if e["schema"] in _SCHEMATA else "LegalEntity"
            names = e["names"] or []
            idents = [i.split(":", 1) for i in e["identifiers"] or [] if ":" in i]
            yield _make(schema, e["entity_id"], name=e["canonical_name"],
                        alias=[n for n in names if n != e["canonical_name"]], country=e["countries"] or [],
                        innCode=[v for k, v in idents if k == "inn"], registrationNumber=[v for k, v in idents
                                                                                        if k != "inn"])
    for batch in _batches(engine, "SELECT node_id, label, country FROM nodes WHERE node_id LIKE 'registry:%'"):
        for n in batch:
            yield _make("LegalEntity", n["node_id"], name=n["label"], country=n["country"])
    for batch in _batches(engine, """
            SELECT s.*, se.exporter_entity_id, se.importer_entity_id
            FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id"""):
        for s in batch:
            yield _make("EconomicActivity", _hashed_id("shipment", s["record_id"]),
                        sender=s["exporter_entity_id"], receiver=s["importer_entity_id"], vedCode=s["hs_code"],
                        goodsDescription=s["description"], description=" ".join(filter(None, (s["brand"],
                                                                                             s["model"]))),
                        originCountry=s["origin_country"], departureCountry=s["dispatch_country"],
                        tradingCountry=s["trading_country"], destinationCountry=s["importer_country"],
                        customsAmount=f"{s['value']} {s['currency'] or ''}".strip(), date=s["date"],
                        recordId=s["record_id"], dollarExchRate=None)
    edge_schema = {"ownership": ("Ownership", "owner", "asset"),
                   "directorship": ("Directorship", "director", "organization"),
                   "link": ("UnknownLink", "subject", "object")}
    for batch in _batches(engine, "SELECT * FROM edges WHERE kind IN ('ownership', 'directorship', 'link')"):
        for e in batch:
            schema, left, right = edge_schema[e["kind"]]
            ev = json.loads(e["evidence"]) if e["evidence"] else {}
            extra = {"percentage": round(e["share"] * 100, 2)} if e["share"] is not None else {}
            yield _make(schema, _hashed_id(e["edge_id"]), **{left: e["source"], right: e["target"]},
                        role=ev.get("roles") or [], startDate=e["first_date"], recordId=ev.get("link_ids") or [],
                        **extra)
    for batch in _batches(engine, "SELECT * FROM sanctions_matches"):
        for m in batch:
            yield _make("Sanction", _hashed_id("sanction", m["entity_id"], m["sanction_entity_id"]),
                        entity=m["entity_id"], authority=m["list_name"], program=m["programs"] or [],
                        listingDate=m["listing_date"], summary=m["explanation"])
    if engine.table_exists("findings"):
        for batch in _batches(engine, "SELECT * FROM findings"):
            for f in batch:
                yield _make("Risk", _hashed_id("finding", f["finding_id"]), entity=f["entity_id"],
                            reason=f["detector"], summary=f["summary"], status=f"score {f['score']:.2f}",
                            description=f["evidence"])


def network_graph(engine: Engine) -> nx.MultiDiGraph:
    """The nodes and edges tables as a networkx multigraph with flat (GraphML-safe) attributes."""
    graph = nx.MultiDiGraph()
    for batch in _batches(engine, "SELECT * FROM nodes"):
        for n in batch:
            graph.add_node(n.pop("node_id"), **{k: _flat(v) for k, v in n.items() if v is not None})
    for batch in _batches(engine, "SELECT * FROM edges"):
        for e in batch:
            graph.add_edge(e.pop("source"), e.pop("target"), key=e["edge_id"],
                           **{k: _flat(v) for k, v in e.items() if v is not None})
    return graph


def _flat(value: Any) -> Any:
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def export_network(engine: Engine, fmt: str, out: IO[str]) -> int:
    """Write the network to ``out`` as ``ftm`` (JSON lines) or ``graphml``; returns entities/nodes written."""
    if fmt not in FORMATS:
        raise DiversionError(f"unknown export format {fmt!r}; choose ftm or graphml")
    if not engine.table_exists("nodes"):
        raise DiversionError("the warehouse has no network yet; run `diversion graph` first")
    if fmt == "ftm":
        n = 0
        for entity in ftm_entities(engine):
            out.write(json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
        return n
    graph = network_graph(engine)
    for line in nx.generate_graphml(graph):
        out.write(line + "\n")
    return int(graph.number_of_nodes())


__all__ = ["FORMATS", "export_network", "ftm_entities", "network_graph"]
