"""Wire shapes of the JSON API (pydantic), including the yente-compatible matching API.

The ``/match/{dataset}`` request and response follow the OpenSanctions yente
matching API: queries keyed by a client-chosen id, each an example entity with
a FollowTheMoney ``schema`` and ``properties``; each response lists scored
entities with ``score``, ``match`` and ``features``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Longest property value accepted in a query (a name is far shorter).
MAX_VALUE_LENGTH = 1000
#: Most values one property may carry.
MAX_VALUES = 50


def check_text(value: str, what: str = "value") -> str:
    """Reject text that is not clean Unicode: undecodable bytes, control characters, over-long."""
    if "\ufffd" in value:
        raise ValueError(f"{what} is not valid UTF-8 text")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise ValueError(f"{what} contains control characters")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(f"{what} is longer than {MAX_VALUE_LENGTH} characters")
    return value


class EntityExample(BaseModel):
    """An example entity to match: FtM schema and properties (yente ``EntityExample``)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str | None = Field(None, examples=["my-entity-id"], max_length=200)
    schema_: str = Field(..., alias="schema", examples=["Company"], max_length=64)
    properties: dict[str, str | list[str]] = Field(..., examples=[{"name": ['ООО "АМГ"'], "country": ["ru"]}])

    @field_validator("properties")
    @classmethod
    def _clean_properties(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        if len(value) > MAX_VALUES:
            raise ValueError(f"at most {MAX_VALUES} properties per query")
        for prop, values in value.items():
            check_text(prop, "property name")
            items = [values] if isinstance(values, str) else values
            if len(items) > MAX_VALUES:
                raise ValueError(f"property {prop}: at most {MAX_VALUES} values")
            for item in items:
                check_text(item, f"property {prop}")
        return value

    def values(self, prop: str) -> list[str]:
        """The values of ``prop`` as a list (a single string becomes one value)."""
        raw = self.properties.get(prop, [])
        return [raw] if isinstance(raw, str) else list(raw)


class MatchRequest(BaseModel):
    """A batch of example entities (yente ``EntityMatchQuery``)."""

    queries: dict[str, EntityExample] = Field(
        ..., examples=[{"q1": {"schema": "Company", "properties": {"name": ["AMG"], "country": ["ru"]}}}]
    )
    weights: dict[str, float] = Field(default_factory=dict, description="Accepted for compatibility; unused.")
    threshold: float | None = Field(None, ge=0, le=1, description="Overrides the ?threshold= parameter.")
    limit: int | None = Field(None, ge=1, le=100, description="Overrides the ?limit= parameter.")


class TotalSpec(BaseModel):
    """How many results there are (yente ``TotalSpec``)."""

    value: int
    relation: str = "eq"


class ScoredEntity(BaseModel):
    """One matching entity with its score (yente ``ScoredEntityResponse``)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    caption: str
    schema_: str = Field(..., alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str] = []
    referents: list[str] = []
    target: bool = False
    score: float
    match: bool
    features: dict[str, float]
    explanations: dict[str, str] = Field(default_factory=dict, description="Feature name → what it measured.")


class EntityMatches(BaseModel):
    """The answer to one query of a batch (yente ``EntityMatches``)."""

    status: int = 200
    results: list[ScoredEntity]
    total: TotalSpec
    query: EntityExample


class FeatureDoc(BaseModel):
    """What a scoring feature measures (yente ``FeatureDoc``)."""

    description: str
    coefficient: float
    url: str | None = None


class MatchResponse(BaseModel):
    """Answers keyed like the queries (yente ``EntityMatchResponse``)."""

    responses: dict[str, EntityMatches]
    matcher: dict[str, FeatureDoc]
    limit: int


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
