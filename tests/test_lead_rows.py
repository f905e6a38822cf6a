"""Lead rows made in SQL (``leads.rows``) are the ones ``rank_leads`` makes in Python from the same findings.

The Python statement below is what ``leads`` made each row with until December 7 (``lead_rows``): the best
findings read back holding the ids they quote, ranked by ``rank_leads``, each lead's row and contributions.
Both are drawn the same random best findings: every flag and one no detector declares, weights from 0 to 1,
scores with ties and exact binary halves, sentences with quotes and control characters, evidence with
empty, missing and repeated ids of every kind (lists longer than the SQL's 64-id prefix among them), empty
evidence and evidence with NaN (an older run's), entities with and without a node (a node's label is never
null), and trade-statistics countries.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.detect.finding import RECORD_ID_KEYS
from diversion.detect.registry import flags
from diversion.detect.run import stored_findings
from diversion.leads import _with_countries, quoted_evidence, rank_leads
from diversion.leads.carry import contributions_text
from diversion.leads.rows import MADE_SCHEMA, made_rows

_FLAGS = [*flags(), "retired_flag"]
_ENTITIES = ["a", "b", "c", "d", "ё", "country:KG", "country:AE", "country:"]
_ESCAPED = st.sampled_from(['"', "\\", "\x0b", "\x1f", "\u2028", "ß", " "])
_TEXT = st.lists(st.one_of(st.characters(exclude_categories=("Cs",)), _ESCAPED), max_size=6).map("".join)
_SCORE = st.one_of(st.sampled_from([0.0, 1.0, 0.5, 0.03125, 0.15625, 0.2, 0.33335, 0.99995]),
                   st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
_WEIGHT = st.one_of(st.sampled_from([0.0, 1.0, 0.5, 0.3, 0.0625]), st.floats(min_value=0.0, max_value=1.0))
_ID = st.one_of(st.sampled_from(["s1", "s2", "s3", "", "x, y", "ё1"]), st.none(), st.text(max_size=3))
#: A kind's ids: a few, or a long list of few distinct ids (the first 64 hold fewer than 5 of them).
_IDS = st.one_of(st.lists(_ID, max_size=8),
                 st.tuples(st.lists(_ID, min_size=1, max_size=3), st.integers(20, 40), st.lists(_ID, max_size=6))
                 .map(lambda t: t[0] * t[1] + t[2]), st.none())
_EVIDENCE = st.one_of(
    st.dictionaries(st.sampled_from([*RECORD_ID_KEYS, "facts", "share"]), _IDS).map(
        lambda d: orjson.dumps({k: (v if k != "share" else 0.5) for k, v in d.items()}).decode()),
    # empty, and as an older run wrote it (``json.dumps``: NaN and infinities, which orjson refuses)
    st.sampled_from(["", "{}", '{"share": NaN, "shipment_ids": ["s1", "", "s1", "s2"], "edge_ids": ["e", "e"]}',
                     '{"domains": ["x.com"], "ratio": -Infinity}']))
_FINDINGS = st.dictionaries(st.tuples(st.sampled_from(_ENTITIES), st.sampled_from(_FLAGS)),
                            st.tuples(_SCORE, _TEXT, _EVIDENCE), max_size=24)
_LABELS = st.dictionaries(st.sampled_from(_ENTITIES[:6]),
                          st.tuples(_TEXT, st.sampled_from(["RU", "AE", None])))  # a node's label is never null


def _python_rows(rows: pa.Table, labels: dict[str, tuple[Any, Any]], traders: set[str],
                 weights: dict[str, float]) -> list[dict[str, Any]]:
    """The rows as ``leads.lead_rows`` made them (the Python statement)."""
    findings = stored_findings([rows], keep=quoted_evidence)
    made = rank_leads(findings, _with_countries(dict(labels), findings), weights, traders)
    return [{**{k: v for k, v in lead.row().items() if k != "rank"}, "section": lead.section,
             "parts": len(lead.contributions), "contributions": contributions_text(lead.contributions)}
            for lead in made]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_FINDINGS, _LABELS, st.sets(st.sampled_from(_ENTITIES)), st.fixed_dictionaries({f: _WEIGHT for f in flags()}))
def test_rows_made_in_sql_are_the_rows_made_in_python(found, labels, traders, weights) -> None:
    rows = pa.table({"detector": [f for _, f in found], "entity_id": [e for e, _ in found],
                     "score": [s for s, _, _ in found.values()], "summary": [t for _, t, _ in found.values()],
                     "evidence": [e for _, _, e in found.values()]},
                    schema=pa.schema([("detector", pa.string()), ("entity_id", pa.string()), ("score", pa.float64()),
                                      ("summary", pa.string()), ("evidence", pa.string())]))
    nodes = pa.table({"node_id": list(labels), "label": [v[0] for v in labels.values()],
                      "country": [v[1] for v in labels.values()]},
                     schema=pa.schema([("node_id", pa.string()), ("label", pa.string()), ("country", pa.string())]))
    made = made_rows(rows, nodes, pa.table({"entity_id": pa.array(sorted(traders), pa.string())}), weights)
    assert made.schema == MADE_SCHEMA
    expected = sorted(_python_rows(rows, labels, traders, weights), key=lambda r: r["entity_id"])
    assert sorted(made.to_pylist(), key=lambda r: r["entity_id"]) == expected


def test_a_lead_quotes_the_first_distinct_ids_of_its_three_strongest_flags() -> None:
    """Spelled out: shipments first (3 at most, empty ones skipped), then other kinds, 5 per finding, no repeats."""
    ships = ["", "s1", "s1", "s2", "s3", "s4"]
    rows = pa.table({
        "detector": ["sanctioned", "transshipment", "brand_diversion", "sanctions_proximity"],
        "entity_id": ["a"] * 4, "score": [1.0, 0.9, 0.8, 0.7],
        "summary": ["A is listed.", "A ships via a hub.", "A sells B.", "A is near C."],
        "evidence": [orjson.dumps({"shipment_ids": ships, "sanction_ids": ["o1"] * 70 + ["o2"]}).decode(),
                     orjson.dumps({"edge_ids": ["e1", "s1"], "shipment_ids": ["s9"]}).decode(),
                     orjson.dumps({"domains": ["x.com"]}).decode(),
                     orjson.dumps({"shipment_ids": ["s7"]}).decode()]})
    nodes = pa.table({"node_id": ["a"], "label": ["A"], "country": ["AE"]})
    weights = dict.fromkeys(flags(), 1.0)
    (row,) = made_rows(rows, nodes, pa.table({"entity_id": ["a"]}), weights).to_pylist()
    assert row["evidence"] == "A is listed. A ships via a hub. [ids: s1, s2, o1, o2, s9, e1, x.com]"
    assert (row["score"], row["section"], row["parts"]) == (1.0, "lead", 4)
    assert row["flags"] == "sanctioned;transshipment;brand_diversion;sanctions_proximity"
