"""Answer yente-shaped match queries against the catalog.

For each example entity: normalise it as FollowTheMoney does (``country:
"Russia"`` → ``ru``; an unknown property is refused), look up each of its
names in the selected collection, drop candidates the request's filters
exclude or whose schema cannot match the query's (``Schema.can_match``), then
score them with the requested algorithm:

- ``diversion-v1`` (the default): the resolve stage's screening score of the
  best name pair (``name_similarity``, transliteration-aware, less a small
  penalty when the one query country is not the candidate's), lifted to at
  least 0.95 by an equal registration/tax number (``identifier_match``) and
  lowered by 0.1 when several query countries miss the candidate's
  (``country_mismatch``). ``weights`` replace these coefficients.
- yente's algorithms (``logic-v2``, ``logic-v1``, ``name-based``,
  ``name-qualified``, ``regression-v1``, ``ofac``...; ``best`` is ``logic-v2``):
  nomenklatura's implementation, run on the same candidates, with ``weights``
  and ``config`` passed through.

All of it runs in a worker thread (see ``workers``) and checks the request's
``Deadline`` between candidates, so no request holds the server past its budget.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData

from diversion.web.catalog import ALIAS_PROPS, Catalog, Collection, Record, _id_key
from diversion.web.models import (
    Algorithm,
    AlgorithmDocs,
    ConfigVar,
    EntityExample,
    EntityMatches,
    FeatureDoc,
    FeatureResult,
    ScoredEntityResponse,
    TotalSpec,
    iso_seconds,
)
from diversion.web.screening import UnusableName
from diversion.web.workers import Deadline

log = logging.getLogger(__name__)

ID_PROPS = ("registrationNumber", "innCode", "ogrnCode", "taxNumber", "idNumber", "leiCode", "vatCode",
            "swiftBic", "imoNumber", "passportNumber")
NAME_PART_PROPS = ("firstName", "secondName", "middleName", "fatherName", "lastName")
COUNTRY_PENALTY = 0.1
ID_FLOOR = 0.95
#: Our own scorer; the default when a request names none.
OWN_ALGORITHM = "diversion-v1"
#: What yente calls "best": its strongest algorithm, nomenklatura's logic-v2.
BEST_ALGORITHM = "logic-v2"
#: Candidates looked up per query for nomenklatura's algorithms (yente: limit × 10, at least 20).
MIN_CANDIDATES = 20

OWN_FEATURES: dict[str, FeatureDoc] = {
    "name_similarity": FeatureDoc(
        description="Screening score of the best pair of names after transliteration and legal-form removal "
        "(0..1), less 0.05 when the query's one country is not the candidate's; the weight multiplies it.",
        coefficient=1.0,
    ),
    "identifier_match": FeatureDoc(
        description="A registration, tax or other identifier equals one of the candidate's: the score is at "
        "least the weight.",
        coefficient=ID_FLOOR,
    ),
    "country_mismatch": FeatureDoc(
        description="The query states several countries and none is the candidate's: the weight is added "
        "(negative).",
        coefficient=-COUNTRY_PENALTY,
    ),
}


class BadQuery(ValueError):
    """A request that cannot be matched (unknown algorithm, schema, property or setting); its message says why."""


@dataclass(frozen=True)
class MatchFilters:
    """The request's result filters (yente's ``/match`` query parameters)."""

    include_dataset: frozenset[str] = frozenset()
    exclude_dataset: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    exclude_schema: frozenset[str] = frozenset()
    exclude_entity_ids: frozenset[str] = frozenset()
    changed_since: datetime | None = None

    def keeps(self, rec: Record, collection: Collection) -> bool:
        """Whether ``rec`` may be a result."""
        if self.include_dataset and not self.include_dataset & set(rec.datasets):
            return False
        if self.exclude_dataset & set(rec.datasets):
            return False
        if self.topics and not self.topics & set(rec.topics):
            return False
        if self.exclude_schema:
            schema = model.get(rec.schema)
            if schema is None or any(schema.is_a(s) for s in self.exclude_schema):
                return False
        if self.exclude_entity_ids and (
            rec.id in self.exclude_entity_ids or self.exclude_entity_ids & set(rec.referents)
        ):
            return False
        return not (self.changed_since and (rec.last_change is None or rec.last_change < self.changed_since))


@dataclass
class Query:
    """One example entity, normalised."""

    key: str
    example: EntityExample
    proxy: EntityProxy
    names: list[str]
    ids: set[str]
    countries: set[str]

    def echo(self) -> EntityExample:
        """The query as yente echoes it: properties cleaned by FtM (``country: ["ru"]``)."""
        return EntityExample(id=self.example.id, schema=self.proxy.schema.name,
                             properties={prop: list(values) for prop, values in self.proxy.properties.items()})


@dataclass
class Scorer:
    """A scoring algorithm as ``/algorithms`` lists it, and its compare function."""

    name: str
    description: str
    features: dict[str, FeatureDoc]
    config: dict[str, ConfigVar] = field(default_factory=dict)
    #: nomenklatura's algorithm class (``None`` for our own).
    impl: Any = None

    def docs(self) -> Algorithm:
        """The ``/algorithms`` entry."""
        docs = AlgorithmDocs(name=self.name, description=self.description, config=self.config, features=self.features)
        return Algorithm(name=self.name, description=self.description, features=self.features, docs=docs)


_nk_lock = threading.Lock()


@cache
def _nomenklatura() -> dict[str, Scorer]:
    """nomenklatura's algorithms by name (imported on first use: the import takes seconds)."""
    with _nk_lock:
        try:
            from nomenklatura.matching import ALGORITHMS
        except ImportError:  # pragma: no cover - nomenklatura is a dependency; a broken install degrades
            return {}
        out = {}
        for algo in ALGORITHMS:
            features = {}
            for feat in getattr(algo, "features", []):
                doc = (feat.func.__doc__ or "").strip() or None
                features[feat.name] = FeatureDoc(description=doc, coefficient=float(getattr(feat, "weight", 0.0)))
            config = {k: ConfigVar(**v.model_dump(mode="json")) for k, v in getattr(algo, "CONFIG", {}).items()}
            description = (algo.__doc__ or "").strip() or None
            out[algo.NAME] = Scorer(algo.NAME, description or algo.NAME, features, config, algo)
        return out


_OWN = Scorer(
    OWN_ALGORITHM,
    "diversion's screening: transliteration-aware name similarity with word rarity, identifiers, countries.",
    OWN_FEATURES,
)


def algorithms() -> list[Scorer]:
    """Every algorithm ``/match`` takes: ours first, then nomenklatura's."""
    return [_OWN, *_nomenklatura().values()]


@cache
def warm_algorithms() -> None:
    """Import nomenklatura's algorithms and run each once (before the first request that names one).

    Their first comparison loads name dictionaries and transliteration tables:
    tens of seconds of CPU that must not fall into one request's time budget.
    Done on first use, not at start-up, so that a server nobody asks for
    them never spends that CPU beside its other requests.
    """
    scorers = _nomenklatura()
    if not scorers:
        return
    from nomenklatura.matching.types import ScoringConfig

    settings = ScoringConfig(weights={}, config={})
    pairs = []
    for schema, names in (("Person", ["Иван Петрович Сидоров", "Ivan Sidorov"]), ("Company", ["ООО Ромашка"])):
        query, cand = model.make_entity(schema), model.make_entity(schema)
        query.id, cand.id = "warm-query", "warm-candidate"
        query.add("name", names)
        cand.add("name", [*names, "Sidorov Ivan"])
        pairs.append((query, cand))
    for scorer in scorers.values():
        for query, cand in pairs:
            try:
                scorer.impl.compare(query, cand, settings)
            except Exception:  # noqa: BLE001 - warming is best effort; a real request reports its own error
                log.exception("warming %s failed", scorer.name)


def get_algorithm(name: str) -> Scorer:
    """The algorithm a request names; ``BadQuery`` for one we do not have."""
    wanted = BEST_ALGORITHM if name == "best" else name
    if wanted == OWN_ALGORITHM:  # no nomenklatura import for the default
        return _OWN
    for algo in algorithms():
        if algo.name == wanted:
            return algo
    known = ", ".join(a.name for a in algorithms())
    raise BadQuery(f"unknown algorithm {name!r}; choose one of: {known} (or best)")


def check_settings(algo: Scorer, weights: dict[str, float], config: dict[str, Any]) -> None:
    """Refuse configuration keys and weights the algorithm does not have (yente answers 400 too)."""
    for key in config:
        if key not in algo.config:
            raise BadQuery(f"Invalid configuration parameter: {key} for algorithm {algo.name}")
    for key in weights:
        if key not in algo.features:
            features = ", ".join(algo.features)
            raise BadQuery(f"unknown weight {key!r} for algorithm {algo.name}; its features: {features}")


def parse_query(key: str, example: EntityExample) -> Query:
    """Normalise an example entity with FollowTheMoney; ``BadQuery`` says what is wrong with it."""
    schema = model.get(example.schema_)
    if schema is None:
        raise BadQuery(f"query {key!r}: unknown FollowTheMoney schema {example.schema_!r}")
    if not schema.matchable:
        raise BadQuery(f"query {key!r}: schema {schema.name} cannot be matched; use e.g. Company or Person")
    proxy = model.make_entity(schema)
    proxy.id = example.id or f"query-{key}"
    for prop in example.properties:
        if schema.get(prop) is None:
            raise BadQuery(f"query {key!r}: schema {schema.name} has no property {prop!r}")
        try:
            proxy.add(prop, example.values(prop), cleaned=False)
        except InvalidData as exc:
            raise BadQuery(f"query {key!r}: property {prop}: {exc}") from exc
    names = [n for p in ALIAS_PROPS for n in proxy.get(p, quiet=True) if n.strip()]
    if not names:
        parts = [v for p in NAME_PART_PROPS for v in proxy.get(p, quiet=True)]
        names = [" ".join(parts)] if parts else []
    # Identifiers as sent: FtM's cleaning drops a number whose checksum it doubts (an INN typed by hand).
    ids = {_id_key(v) for p in ID_PROPS if schema.get(p) is not None for v in example.values(p) if _id_key(v)}
    countries = {c.upper() for c in proxy.countries}
    if not names and not ids:
        raise BadQuery(f"query {key!r} has no name: give properties.name")
    return Query(key, example, proxy, names, ids, countries)


def _own_score(
    rec: Record, name_score: float, reason: str, names: tuple[str, str], q: Query, weights: dict[str, float]
) -> tuple[float, dict[str, FeatureResult]]:
    w_name = weights.get("name_similarity", 1.0)
    w_id = weights.get("identifier_match", ID_FLOOR)
    w_country = weights.get("country_mismatch", -COUNTRY_PENALTY)
    score = name_score * w_name
    expl = {"name_similarity": FeatureResult(detail=reason, score=name_score, query=names[0], candidate=names[1])}
    shared = q.ids & rec.identifiers
    if shared:
        expl["identifier_match"] = FeatureResult(detail="same identifier", score=1.0, query=", ".join(sorted(shared)),
                                                 candidate=", ".join(sorted(shared)))
        score = max(score, w_id)
    theirs = {c.upper() for c in rec.countries}
    # One query country is already weighed by the screening index; several are checked here.
    if len(q.countries) > 1 and theirs and not q.countries & theirs:
        expl["country_mismatch"] = FeatureResult(
            detail=f"query countries {sorted(q.countries)}, candidate's {sorted(theirs)}", score=1.0,
            query=", ".join(sorted(q.countries)), candidate=", ".join(sorted(theirs)),
        )
        score += w_country
    return round(max(0.0, min(1.0, score)), 4), expl


def _candidate_proxy(rec: Record) -> EntityProxy:
    return model.get_proxy({"id": rec.id, "schema": rec.schema, "properties": rec.properties}, cleaned=True)


def match_query(
    catalog: Catalog,
    dataset: str,
    q: Query,
    algo: Scorer,
    *,
    limit: int,
    threshold: float,
    cutoff: float,
    filters: MatchFilters,
    weights: dict[str, float],
    config: dict[str, Any],
    deadline: Deadline,
) -> EntityMatches:
    """Score one normalised query against a dataset."""
    selection = catalog.select(dataset)
    if selection is None:
        raise BadQuery(f"unknown dataset {dataset!r}")
    collection, in_dataset = selection
    schema = q.proxy.schema
    country = sorted(q.countries)[0] if len(q.countries) == 1 else None  # the index's penalty takes one country
    nk = algo.impl is not None
    lookup_limit = max(MIN_CANDIDATES, limit * 10) if nk else limit * 3
    lookup_cutoff = 0.0 if nk else cutoff
    best: dict[str, tuple[float, str, tuple[str, str]]] = {}  # record id → (name score, reason, (query, matched))

    def usable(rec: Record) -> bool:
        if in_dataset is not None and not in_dataset(rec):
            return False
        cand = model.get(rec.schema)
        return (cand is None or schema.can_match(cand)) and filters.keeps(rec, collection)

    any_usable = False
    for name in q.names:
        deadline.check()
        try:
            hits = collection.index.lookup(name, schema.name, country, limit=lookup_limit, cutoff=lookup_cutoff)
        except UnusableName:
            continue
        any_usable = True
        for hit in hits:
            rec = collection.records.get(hit.key)
            if rec is None or not usable(rec):
                continue
            if hit.key not in best or hit.score > best[hit.key][0]:
                best[hit.key] = (hit.score, hit.reason, (name, hit.name))
    if q.ids:  # an identifier alone finds a record even when its names differ
        for rec in collection.records.values():
            if rec.id not in best and q.ids & rec.identifiers and usable(rec):
                best[rec.id] = (0.0, "no similar name", (q.names[0] if q.names else "", rec.caption))
    if not any_usable and not q.ids:
        raise BadQuery(f"query {q.key!r}: no name in it can be matched (empty, punctuation only or too long)")
    scored: list[tuple[float, dict[str, FeatureResult], Record]] = []
    if nk:
        from nomenklatura.matching.types import ScoringConfig

        settings = ScoringConfig(weights=weights, config=config)
        # The closest names first, as many as yente scores per query: its algorithms are slow per pair.
        shortlist = sorted(best, key=lambda k: -best[k][0])[:lookup_limit]
        for rec_id in shortlist:
            deadline.check()
            rec = collection.records[rec_id]
            result = algo.impl.compare(q.proxy, _candidate_proxy(rec), settings)
            expl = {k: FeatureResult(**v.model_dump()) for k, v in result.explanations.items()}
            scored.append((round(float(result.score), 4), expl, rec))
    else:
        for rec_id, (name_score, reason, names) in best.items():
            rec = collection.records[rec_id]
            scored.append((*_own_score(rec, name_score, reason, names, q, weights), rec))
    ranked = sorted((s for s in scored if s[0] >= cutoff), key=lambda s: (-s[0], s[2].caption, s[2].id))
    results = [scored_entity(rec, score, score >= threshold, expl) for score, expl, rec in ranked[:limit]]
    return EntityMatches(status=200, results=results, total=TotalSpec(value=len(ranked)), query=q.echo())


def entity_fields(rec: Record, nested: bool = False) -> dict[str, Any]:
    """A record as yente's ``EntityResponse`` fields; ``nested`` adds adjacent entities (``sanctions``)."""
    props: dict[str, list[Any]] = {k: list(v) for k, v in rec.properties.items()}
    if nested:
        for prop, items in rec.nested.items():
            props.setdefault(prop, []).extend(_nested_entity(item) for item in items)
    return {
        "id": rec.id,
        "caption": rec.caption,
        "schema": rec.schema,
        "properties": props,
        "datasets": rec.datasets,
        "referents": rec.referents,
        "target": rec.target,
        "first_seen": iso_seconds(rec.first_seen),
        "last_seen": iso_seconds(rec.last_seen),
        "last_change": iso_seconds(rec.last_change),
        "diversion:entity": rec.entity_id,
    }


def _nested_entity(data: dict[str, Any]) -> dict[str, Any]:
    """An adjacent entity as published (an FtM dict) in ``EntityResponse`` shape."""
    try:
        proxy = model.get_proxy(data, cleaned=True)
        caption = proxy.caption
        schema, props = proxy.schema.name, {k: list(v) for k, v in proxy.properties.items()}
    except (InvalidData, TypeError, ValueError):
        caption, schema, props = str(data.get("id") or ""), "Thing", {}
    return {
        "id": str(data.get("id") or ""), "caption": caption or schema, "schema": schema, "properties": props,
        "datasets": [str(d) for d in data.get("datasets") or []], "referents": [], "target": False,
        "first_seen": None, "last_seen": None, "last_change": None,
    }


def scored_entity(rec: Record, score: float, match: bool, expl: dict[str, FeatureResult]) -> ScoredEntityResponse:
    """A result of ``/match``."""
    return ScoredEntityResponse.model_validate({**entity_fields(rec), "score": score, "match": match,
                                                "explanations": expl})


MatchFn = Callable[[Deadline], dict[str, EntityMatches]]
