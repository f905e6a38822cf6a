"""Wire shapes of the JSON API (pydantic), including the yente-compatible screening API.

``/match/{dataset}``, ``/search/{dataset}``, ``/entities/{id}``, ``/algorithms``
and ``/catalog`` answer in the shapes of the OpenSanctions yente API (its
``yente.data.common`` models): entities with ``id``, ``caption``, ``schema``,
``properties``, ``datasets``, ``referents``, ``target``, ``first_seen``,
``last_seen``, ``last_change``; scored results add ``score``, ``match`` and
``explanations`` (``{detail, score, query, candidate}`` per feature). What
diversion adds lives under ``diversion:``-prefixed keys (``diversion:entity``:
the warehouse's resolved entity that holds a listed one), so a yente client
sees nothing it does not know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Longest property value accepted in a query (a name is far shorter).
MAX_VALUE_LENGTH = 1000
#: Most values one property may carry.
MAX_VALUES = 50


def check_text(value: str, what: str = "value") -> str:
    """Reject text that is not clean Unicode: undecodable bytes, lone surrogates, control characters, over-long."""
    if "\ufffd" in value:
        raise ValueError(f"{what} is not valid UTF-8 text")
    if any("\ud800" <= c <= "\udfff" for c in value):
        raise ValueError(f"{what} holds a lone surrogate (\\ud800-\\udfff), which is not text")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise ValueError(f"{what} contains control characters")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(f"{what} is longer than {MAX_VALUE_LENGTH} characters")
    return value


def iso_seconds(value: datetime | None) -> str | None:
    """yente's wire format of a timestamp: ISO 8601 to the second, no time zone.

    >>> iso_seconds(datetime(2023, 4, 20, 18, 0, 25, 120)), iso_seconds(None)
    ('2023-04-20T18:00:25', None)
    """
    return value.replace(microsecond=0, tzinfo=None).isoformat() if value else None


class EntityExample(BaseModel):
    """An example entity to match: FtM schema and properties (yente ``EntityExample``).

    Values may be text, numbers or booleans (``"birthDate": [1965]``); they
    are matched, and echoed, as text.
    """

    model_config = ConfigDict(populate_by_name=True)

    id: str | None = Field(None, examples=["my-entity-id"], max_length=200)
    schema_: str = Field(..., alias="schema", examples=["Company"], max_length=64)
    properties: dict[str, str | int | float | bool | list[Any] | None] = Field(
        ..., examples=[{"name": ['ООО "АМГ"'], "country": ["ru"]}]
    )

    @field_validator("id", "schema_")
    @classmethod
    def _clean_text(cls, value: str | None) -> str | None:
        return None if value is None else check_text(value, "id or schema")

    @field_validator("properties")
    @classmethod
    def _clean_properties(cls, value: dict[str, Any]) -> dict[str, list[str]]:
        if len(value) > MAX_VALUES:
            raise ValueError(f"at most {MAX_VALUES} properties per query")
        out: dict[str, list[str]] = {}
        for prop, values in value.items():
            check_text(prop, "property name")
            items = values if isinstance(values, list) else [values]
            if len(items) > MAX_VALUES:
                raise ValueError(f"property {prop}: at most {MAX_VALUES} values")
            texts = []
            for item in items:
                if item is None:
                    continue
                if isinstance(item, dict | list):
                    raise ValueError(f"property {prop}: values are text, numbers or booleans, not objects or lists")
                text = ("true" if item else "false") if isinstance(item, bool) else str(item)
                texts.append(check_text(text, f"property {prop}"))
            out[prop] = texts
        return out

    def values(self, prop: str) -> list[str]:
        """The values of ``prop`` as text."""
        raw = self.properties.get(prop, [])
        return [str(v) for v in (raw if isinstance(raw, list) else [raw])]


class EntityMatchQuery(BaseModel):
    """A batch of example entities (yente ``EntityMatchQuery``)."""

    queries: dict[str, EntityExample] = Field(
        ..., examples=[{"q1": {"schema": "Company", "properties": {"name": ["AMG"], "country": ["ru"]}}}]
    )
    weights: dict[str, float] = Field(default_factory=dict, description="Feature name → weight, for the algorithm.")
    config: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="Algorithm-specific settings (see GET /algorithms)."
    )
    threshold: float | None = Field(None, ge=0, le=1, description="diversion: overrides ?threshold=.")
    limit: int | None = Field(None, ge=1, le=500, description="diversion: overrides ?limit=.")

    @field_validator("queries")
    @classmethod
    def _clean_keys(cls, value: dict[str, EntityExample]) -> dict[str, EntityExample]:
        for key in value:
            check_text(key, "query key")
        return value


#: Older name of ``EntityMatchQuery``.
MatchRequest = EntityMatchQuery


class TotalSpec(BaseModel):
    """How many results there are (yente ``TotalSpec``)."""

    value: int
    relation: str = "eq"


class EntityResponse(BaseModel):
    """One entity in FtM shape with yente's metadata (yente ``EntityResponse``)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    caption: str
    schema_: str = Field(..., alias="schema")
    properties: dict[str, list[Any]]
    datasets: list[str] = []
    referents: list[str] = []
    target: bool = False
    first_seen: str | None = Field(None, examples=["2023-04-20T18:00:25"])
    last_seen: str | None = None
    last_change: str | None = None
    diversion_entity: str | None = Field(
        None,
        alias="diversion:entity",
        description="diversion: id of the warehouse's resolved entity that holds this one (GET /entities/{id}).",
    )


class FeatureResult(BaseModel):
    """How one feature scored a candidate (nomenklatura ``FeatureResult``)."""

    detail: str | None
    score: float
    query: str | None = None
    candidate: str | None = None


class ScoredEntityResponse(EntityResponse):
    """One matching entity with its score (yente ``ScoredEntityResponse``)."""

    score: float
    explanations: dict[str, FeatureResult] = Field(default_factory=dict)
    match: bool


class EntityMatches(BaseModel):
    """The answer to one query of a batch (yente ``EntityMatches``)."""

    status: int = 200
    results: list[ScoredEntityResponse]
    total: TotalSpec
    query: EntityExample


class EntityMatchResponse(BaseModel):
    """Answers keyed like the queries (yente ``EntityMatchResponse``)."""

    responses: dict[str, EntityMatches]
    limit: int


#: Older name of ``EntityMatchResponse``.
MatchResponse = EntityMatchResponse


class FeatureDoc(BaseModel):
    """What a scoring feature measures (nomenklatura ``FeatureDoc``)."""

    description: str | None = None
    coefficient: float
    url: str = ""


class ConfigVar(BaseModel):
    """One setting of an algorithm (nomenklatura ``ConfigVar``)."""

    type: str = "float"
    description: str | None = None
    default: str | int | float | bool | None = 0


class AlgorithmDocs(BaseModel):
    """An algorithm's description, settings and features (nomenklatura ``AlgorithmDocs``)."""

    name: str
    description: str | None = None
    config: dict[str, ConfigVar]
    features: dict[str, FeatureDoc]


class Algorithm(BaseModel):
    """One scoring algorithm (yente ``Algorithm``)."""

    name: str
    description: str | None = None
    features: dict[str, FeatureDoc]
    docs: AlgorithmDocs


class AlgorithmResponse(BaseModel):
    """The algorithms ``/match`` takes (yente ``AlgorithmResponse``)."""

    algorithms: list[Algorithm]
    default: str
    best: str


class SearchFacetItem(BaseModel):
    """One facet value and its count (yente ``SearchFacetItem``)."""

    name: str
    label: str
    count: int = 1


class SearchFacet(BaseModel):
    """Counts of one facet (yente ``SearchFacet``)."""

    label: str
    values: list[SearchFacetItem]


class EntitySearchResponse(BaseModel):
    """A page of ``/search/{dataset}`` (yente ``SearchResponse``)."""

    limit: int
    offset: int = 0
    total: TotalSpec
    results: list[EntityResponse]
    facets: dict[str, SearchFacet]


class DatasetModel(BaseModel):
    """One dataset or collection (yente ``YenteDatasetModel``, the fields a client reads)."""

    name: str
    title: str
    summary: str | None = None
    url: str | None = None
    load: bool = True
    entities_url: str | None = None
    version: str
    index_version: str | None = None
    index_current: bool = True
    children: list[str] = []


class DataCatalogModel(BaseModel):
    """What the server holds (yente ``DataCatalogModel``)."""

    datasets: list[DatasetModel]
    current: list[str]
    outdated: list[str]
    index_stale: bool = False


class StatusResponse(BaseModel):
    """``/healthz`` and ``/readyz`` (yente ``StatusResponse``)."""

    status: str = "ok"


class SearchResult(BaseModel):
    """One entity found by the search box."""

    entity_id: str
    name: str
    matched_name: str
    score: float
    countries: list[str]
    lead_score: float | None = None
    flags: list[str] = []
    sanctioned: bool = False


class SearchResponse(BaseModel):
    """Search results for a free-text name."""

    query: str
    total: int
    results: list[SearchResult]


class Lead(BaseModel):
    """One row of the ranked lead list."""

    rank: int
    entity_id: str
    name: str
    country: str | None
    score: float
    flags: list[str]
    evidence: str


class LeadsResponse(BaseModel):
    """A page of the lead list."""

    total: int
    offset: int
    limit: int
    results: list[Lead]


class ChangeRow(BaseModel):
    """One thing a run changed: a lead, a sanctions match or a flag of one entity (``diversion changes``)."""

    run_id: int
    kind: str = Field(description="lead_new|lead_changed|lead_removed|match_new|match_removed|flag_new|flag_removed")
    entity_id: str
    name: str | None
    item: str = Field(description="the sanctions-list entry (match), the flag (flag), empty (lead)")
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ChangesResponse(BaseModel):
    """The changes after run ``since`` up to run ``latest`` (0 when no run is recorded)."""

    since: int
    latest: int
    hidden: int = Field(description="changes of leads below the threshold or of context entities, left out")
    results: list[ChangeRow]


class EntityDetail(BaseModel):
    """Everything the warehouse knows about one resolved entity."""

    entity_id: str
    name: str
    schema_: str | None = Field(None, alias="schema")
    names: list[str]
    countries: list[str]
    identifiers: list[str]
    lead: dict[str, Any] | None
    sanctions_matches: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    counterparts: list[dict[str, Any]]
    ownership: list[dict[str, Any]]
    websites: list[dict[str, Any]]
    shipments_total: int

    model_config = ConfigDict(populate_by_name=True)


class Decision(BaseModel):
    """An analyst's judgement on a pair of mentions from the review queue."""

    left_id: str = Field(..., min_length=1, max_length=200)
    right_id: str = Field(..., min_length=1, max_length=200)
    judgement: str = Field(..., pattern="^(same|different)$")
    author: str | None = Field(None, max_length=200)
    reason: str | None = Field(None, max_length=2000)

    @field_validator("left_id", "right_id", "author", "reason")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return None if value is None else check_text(value)
