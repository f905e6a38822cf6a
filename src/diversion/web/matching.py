"""Answer yente-shaped match queries against the catalog.

For each example entity: look up each of its names (``name``, ``alias``...)
in the selected collections, keep candidates whose schema can match the
query's (FollowTheMoney's ``Schema.can_match``), then score:

- ``name_similarity``: the resolve stage's screening score of the best name
  pair (``name_similarity``, less a small penalty when the one query country
  is not the candidate's);
- ``identifier_match``: a registration/tax number equal to the candidate's
  lifts the score to at least 0.95;
- ``country_mismatch``: several query countries, none shared with the
  candidate's: −0.1.
"""

from __future__ import annotations

from followthemoney import model

from diversion.reference import to_iso2
from diversion.web.catalog import ALIAS_PROPS, Catalog, Collection, Record, _id_key
from diversion.web.models import EntityExample, EntityMatches, FeatureDoc, ScoredEntity, TotalSpec
from diversion.web.screening import UnusableName

COUNTRY_PROPS = ("country", "jurisdiction", "nationality", "mainCountry", "citizenship")
ID_PROPS = ("registrationNumber", "innCode", "ogrnCode", "taxNumber", "idNumber", "leiCode", "vatCode")
COUNTRY_PENALTY = 0.1
ID_FLOOR = 0.95

FEATURES: dict[str, FeatureDoc] = {
    "name_similarity": FeatureDoc(
        description="Screening score of the best pair of names after transliteration and legal-form removal "
        "(0..1), less 0.05 when the query's one country is not the candidate's.",
        coefficient=1.0,
    ),
    "identifier_match": FeatureDoc(
        description="A registration, tax or other identifier equals one of the candidate's.", coefficient=ID_FLOOR
    ),
    "country_mismatch": FeatureDoc(
        description="The query states several countries and none is the candidate's.", coefficient=-COUNTRY_PENALTY
    ),
}


class BadQuery(ValueError):
    """An example entity that cannot be matched; its message says why."""


def _countries(example: EntityExample) -> set[str]:
    out = set()
    for prop in COUNTRY_PROPS:
        for value in example.values(prop):
            code = to_iso2(value)
            if code:
                out.add(code)
    return out


def _score(
    record: Record, name_score: float, reason: str, ids: set[str], countries: set[str]
) -> tuple[float, dict[str, float], dict[str, str]]:
    features = {"name_similarity": name_score}
    explanations = {"name_similarity": reason}
    score = name_score
    if ids & record.identifiers:
        features["identifier_match"] = 1.0
        explanations["identifier_match"] = "same identifier: " + ", ".join(sorted(ids & record.identifiers))
        score = max(score, ID_FLOOR)
    theirs = {c.upper() for c in record.properties.get("country", [])}
    # One query country is already weighed by the screening index; several are checked here.
    if len(countries) > 1 and theirs and not countries & theirs:
        features["country_mismatch"] = 1.0
        explanations["country_mismatch"] = f"query countries {sorted(countries)} vs {sorted(theirs)}"
        score -= COUNTRY_PENALTY
    return round(max(0.0, min(1.0, score)), 4), features, explanations


def match_example(
    catalog: Catalog,
    collections: list[tuple[Collection, str | None]],
    example: EntityExample,
    limit: int,
    threshold: float,
    cutoff: float,
) -> EntityMatches:
    """Score one example entity against the selected collections."""
    schema = model.get(example.schema_)
    if schema is None:
        raise BadQuery(f"unknown FollowTheMoney schema {example.schema_!r}")
    if not schema.matchable:
        raise BadQuery(f"schema {schema.name} cannot be matched; use e.g. LegalEntity, Company or Person")
    names = [n for p in ALIAS_PROPS for n in example.values(p) if n.strip()]
    if not names:
        raise BadQuery("the query has no name: give properties.name")
    countries = _countries(example)
    country = sorted(countries)[0] if len(countries) == 1 else None  # the index's penalty takes one country
    ids = {_id_key(v) for p in ID_PROPS for v in example.values(p) if _id_key(v)}
    scored: dict[tuple[int, str], tuple[float, dict[str, float], dict[str, str], Record]] = {}
    usable = False
    for pos, (collection, list_filter) in enumerate(collections):
        for name in names:
            try:
                hits = collection.index.lookup(name, schema.name, country, limit=limit * 3, cutoff=cutoff)
            except UnusableName:
                continue
            usable = True
            for hit in hits:
                record = collection.records[hit.key]
                if list_filter and list_filter not in record.datasets:
                    continue
                cand_schema = model.get(record.schema)
                if cand_schema is not None and not schema.can_match(cand_schema):
                    continue
                result = _score(record, hit.score, hit.reason, ids, countries)
                key = (pos, record.id)
                if key not in scored or result[0] > scored[key][0]:
                    scored[key] = (*result, record)
        # An identifier alone finds a record even when its names differ.
        for record in collection.records.values() if ids else ():
            key = (pos, record.id)
            if key not in scored and ids & record.identifiers and (not list_filter or list_filter in record.datasets):
                scored[key] = (*_score(record, 0.0, "no similar name", ids, countries), record)
    if not usable and not ids:
        raise BadQuery("no name in the query can be matched (empty, punctuation only or too long)")
    ranked = sorted((v for v in scored.values() if v[0] >= cutoff), key=lambda v: (-v[0], v[3].caption))
    results = [
        ScoredEntity(
            id=rec.id,
            caption=rec.caption,
            schema=rec.schema,
            properties=rec.properties,
            datasets=rec.datasets,
            target=rec.target,
            score=score,
            match=score >= threshold,
            features=features,
            explanations=expl,
        )
        for score, features, expl, rec in ranked[:limit]
    ]
    return EntityMatches(status=200, results=results, total=TotalSpec(value=len(ranked)), query=example)
