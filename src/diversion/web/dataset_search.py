"""``GET /search/{dataset}``: yente's simple entity search over the listed entities.

A plain-text query finds records by name (the screening index: transliteration,
legal forms, word sounds) and by any property value containing every query word
(``moscow`` finds companies with a Moscow address). Filters and facets are
yente's: ``schema``, ``countries``, ``topics``, ``datasets``,
``include_dataset``/``exclude_dataset`` (exclusion wins), ``exclude_schema``,
``changed_since``, ``target``, ``filter=properties.<prop>:<value>``,
``filter_op`` (``OR``/``AND`` between values of one filter), ``sort``
(``first_seen:desc``...), ``limit``/``offset`` and ``facets``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from followthemoney import model, registry

from diversion.web.catalog import Catalog, Record, _fold
from diversion.web.matching import entity_fields
from diversion.web.models import EntityResponse, EntitySearchResponse, SearchFacet, SearchFacetItem, TotalSpec
from diversion.web.screening import UnusableName

#: Facets yente returns when none are asked for.
DEFAULT_FACETS = ("countries", "topics", "datasets")
FACET_LABELS = {"countries": "Countries", "topics": "Topics", "datasets": "Data sources", "schema": "Entity types"}
SORT_FIELDS = ("first_seen", "last_seen", "last_change", "caption", "score", "id")
#: Name score from which a record counts as found by name.
NAME_CUTOFF = 0.6
#: Score of a record found because its property values contain every query word.
TEXT_SCORE = 0.5


class SearchError(ValueError):
    """A search the caller must change (unknown schema, facet, sort or filter): HTTP 400."""


@dataclass
class SearchParams:
    """What ``/search/{dataset}`` was asked."""

    q: str = ""
    schema: str = "Thing"
    countries: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    include_dataset: list[str] = field(default_factory=list)
    exclude_dataset: list[str] = field(default_factory=list)
    exclude_schema: list[str] = field(default_factory=list)
    changed_since: datetime | None = None
    target: bool | None = None
    filter: list[str] = field(default_factory=list)
    filter_op: str = "OR"
    sort: list[str] = field(default_factory=list)
    facets: list[str] = field(default_factory=lambda: list(DEFAULT_FACETS))
    limit: int = 10
    offset: int = 0


def _any_or_all(wanted: list[str], have: list[str], op: str) -> bool:
    if not wanted:
        return True
    found = [w in have for w in wanted]
    return all(found) if op == "AND" else any(found)


def _predicates(p: SearchParams) -> list[Callable[[Record], bool]]:
    """The filters the search asks for, only those that can reject a record (each runs on every record)."""
    schema = model.get(p.schema)
    if schema is None:
        raise SearchError(f"Invalid schema {p.schema!r}")
    excluded = []
    for name in p.exclude_schema:
        other = model.get(name)
        if other is None:
            raise SearchError(f"Invalid schema {name!r} in exclude_schema")
        excluded.append(other)
    props: list[tuple[str, str]] = []
    for item in p.filter:
        key, sep, value = item.partition(":")
        if not sep or not key.startswith("properties.") or not value:
            raise SearchError(f"filter {item!r}: write properties.<property>:<value>")
        props.append((key.split(".", 1)[1], value))
    # The schema filters as one set of allowed schema names: FtM's hierarchy is walked once, not per record.
    allowed = {s.name for s in model.schemata.values() if s.is_a(schema) and not any(s.is_a(x) for x in excluded)}
    preds: list[Callable[[Record], bool]] = [lambda r: r.schema in allowed]
    countries = [c.lower() for c in p.countries]
    for wanted, values in ((countries, lambda r: r.countries), (p.topics, lambda r: r.topics),
                           (p.datasets, lambda r: r.datasets)):
        if wanted:
            preds.append(partial(_has, wanted=wanted, values=values, op=p.filter_op))
    if p.include_dataset:
        preds.append(lambda r: any(d in r.datasets for d in p.include_dataset))
    if p.exclude_dataset:
        preds.append(lambda r: not any(d in r.datasets for d in p.exclude_dataset))
    if p.changed_since is not None:
        since = p.changed_since
        preds.append(lambda r: r.last_change is not None and r.last_change >= since)
    if p.target is not None:
        preds.append(lambda r: r.target == p.target)
    if props:
        preds.append(lambda r: _any_or_all([f"{k}\0{v}" for k, v in props],
                                           [f"{k}\0{v}" for k, vs in r.properties.items() for v in vs], p.filter_op))
    return preds


def _has(rec: Record, wanted: list[str], values: Callable[[Record], list[str]], op: str) -> bool:
    return _any_or_all(wanted, values(rec), op)


def _facet(name: str, records: list[Record]) -> SearchFacet:
    counts: Counter[str] = Counter()
    for rec in records:
        if name == "countries":
            counts.update(rec.countries)
        elif name == "topics":
            counts.update(rec.topics)
        elif name == "datasets":
            counts.update(rec.datasets)
        else:
            counts[rec.schema] += 1

    def label(value: str) -> str:
        if name == "countries":
            return registry.country.caption(value) or value
        if name == "topics":
            return registry.topic.caption(value) or value
        if name == "schema":
            schema = model.get(value)
            return schema.label if schema else value
        return value

    values = [SearchFacetItem(name=v, label=label(v), count=n) for v, n in counts.most_common()]
    return SearchFacet(label=FACET_LABELS[name], values=values)


def search_dataset(catalog: Catalog, dataset: str, p: SearchParams) -> EntitySearchResponse | None:
    """One page of records of ``dataset`` for the query; ``None`` when the dataset is unknown."""
    selection = catalog.select(dataset)
    if selection is None:
        return None
    for name in p.facets:
        if name not in FACET_LABELS:
            raise SearchError(f"unknown facet {name!r}; choose from {', '.join(FACET_LABELS)}")
    sorts = []
    for item in p.sort:
        key, _, direction = item.partition(":")
        if key not in SORT_FIELDS or direction not in ("", "asc", "desc"):
            raise SearchError(f"sort {item!r}: write one of {', '.join(SORT_FIELDS)}, optionally :asc or :desc")
        sorts.append((key, direction == "desc"))
    collection, in_dataset = selection
    preds = _predicates(p)
    if in_dataset is not None:
        preds.insert(0, in_dataset)
    scores: dict[str, float] = {}
    q = p.q.strip()
    candidates: Iterable[Record] = collection.records.values()
    if q:  # the records the query finds first (name index, then words in any value), then the filters on those
        try:
            for hit in collection.index.lookup(q, limit=max(50, p.offset + p.limit), cutoff=NAME_CUTOFF):
                scores[hit.key] = hit.score
        except UnusableName:
            pass
        for rec in collection.containing(_fold(q).split()):
            scores.setdefault(rec.id, TEXT_SCORE)
        candidates = [collection.records[k] for k in scores if k in collection.records]
    keep = [r for r in candidates if all(f(r) for f in preds)]
    keep.sort(key=lambda r: (-scores.get(r.id, 0.0), r.caption, r.id))
    for key, desc in reversed(sorts):  # stable sorts, last key first
        keep.sort(key=partial(_sort_value, key=key, scores=scores), reverse=desc)
    page = keep[p.offset : p.offset + p.limit] if p.limit else []
    results = [EntityResponse.model_validate(entity_fields(r)) for r in page]
    facets = {name: _facet(name, keep) for name in p.facets}
    return EntitySearchResponse(
        limit=p.limit, offset=p.offset, total=TotalSpec(value=len(keep)), results=results, facets=facets
    )


def _sort_value(rec: Record, key: str, scores: dict[str, float]) -> tuple[int, object]:
    if key == "score":
        return (1, scores.get(rec.id, 0.0))
    value = getattr(rec, key)
    return (0, "") if value is None else (1, value)
