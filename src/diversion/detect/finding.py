"""The one shape every detector returns."""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypedDict, cast

import orjson


class RecordIds(TypedDict, total=False):
    """The records behind a finding, by kind: every id a reader can look up, declared once.

    Detectors put these keys in their evidence (``{**RecordIds(shipment_ids=...), ...}``)
    next to their own detail; leads, the evidence tables and the report read ids
    from these keys only, whatever the detector.
    """

    shipment_ids: list[str]  # shipments.record_id
    sanction_ids: list[str]  # sanctions.entity_id: the list entries
    edge_ids: list[str]  # edges.edge_id: registry links, ownership, trade and path steps
    domains: list[str]  # web_evidence.domain
    entity_ids: list[str]  # other resolved entities the finding rests on (e.g. listed owners)


#: The record-id keys of a finding's evidence, in the order a reader is shown them.
RECORD_ID_KEYS: tuple[str, ...] = tuple(RecordIds.__annotations__)

_ID_TYPES = frozenset({str, type(None)})
#: Types ``_rounded`` passes through unchanged: a list of only these is returned as it is (dates and times are
#: written as text by ``evidence_json``, whatever holds them).
_PLAIN = frozenset({str, int, bool, type(None), date, datetime})
#: JSON text of a string, as ``json.dumps(..., ensure_ascii=False)`` writes it (its own encoder, in C).
_QUOTED = json.encoder.encode_basestring
#: orjson with what ``json.dumps(..., sort_keys=True, default=str)`` wrote before (dates and times through
#: ``str``: ``2023-05-19``, ``2023-05-19 10:00:00``), compact.
_DUMPS_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def record_ids(evidence: Mapping[str, Any]) -> RecordIds:
    """The ids under ``RECORD_ID_KEYS`` in ``evidence``, as non-empty strings.

    Raises ``TypeError`` when a key holds something else than a list of ids: a
    detector bug, which would otherwise hide the records behind a finding.
    """
    check_record_ids(evidence)
    return cast(RecordIds, {key: list(ids) for key, ids in stored_record_ids(evidence)})


def check_record_ids(evidence: Mapping[str, Any]) -> None:
    """Raise ``TypeError`` when a ``RECORD_ID_KEYS`` key of ``evidence`` holds something else than a list of ids
    (what ``record_ids`` checks, without building its lists: every finding is checked as it is made)."""
    for key in RECORD_ID_KEYS:
        value = evidence.get(key)
        # The types are collected in C (``map``): a million findings are checked as they are made.
        if value is not None and (not isinstance(value, list | tuple) or not set(map(type, value)) <= _ID_TYPES
                                  and not all(v is None or isinstance(v, str) for v in value)):
            raise TypeError(f"evidence {key!r} must be a list of ids (text), not {value!r}")


def stored_record_ids(evidence: Mapping[str, Any]) -> Iterator[tuple[str, Iterator[str]]]:
    """Each kind of id ``evidence`` holds (``RECORD_ID_KEYS`` order) with its non-empty ids, read as they are asked.

    Not checked: for evidence ``record_ids`` checked when its finding was made (a stored finding's), whose
    readers want a few ids of each kind (leads), not every shipment id of a large flow.
    """
    for key in RECORD_ID_KEYS:
        ids = evidence.get(key)
        if ids is not None:
            yield key, filter(None, ids)


def clipped(score: float) -> float:
    """A finding's score: clipped to 0..1 rather than rejected (detectors combine factors that may overshoot),
    rounded to 4 places."""
    return round(min(1.0, max(0.0, float(score))), 4)


@dataclass(frozen=True)
class Finding:
    """One red flag raised on one entity, with everything an analyst needs to check it.

    ``score`` is the detector's confidence in 0..1; ``summary`` is one human
    sentence; ``evidence`` holds the record ids (the keys of ``RecordIds``),
    labelled ``facts`` for the evidence table, and the detector's own detail.
    """

    detector: str
    entity_id: str
    score: float
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from diversion.detect.registry import flags, registry  # the registry imports the detectors: not at the top

        if self.detector not in registry():
            raise ValueError(f"unknown detector flag {self.detector!r}; use one of {', '.join(flags())}")
        check_record_ids(self.evidence)  # a detector that writes ids another way fails here, not in a reader
        object.__setattr__(self, "score", clipped(self.score))

    @classmethod
    def stored(cls, detector: str, entity_id: str, score: float, summary: str,
               evidence: dict[str, Any]) -> Finding:
        """A finding read back from the ``findings`` table, as it was written: not checked again.

        Every stored finding was checked when it was made (``__post_init__``); leads read hundreds of
        thousands back at 10M shipment rows, and checking each again was a third of reading them.
        """
        found = object.__new__(cls)
        for name, value in (("detector", detector), ("entity_id", entity_id), ("score", score),
                            ("summary", summary), ("evidence", evidence)):
            object.__setattr__(found, name, value)
        return found

    @property
    def records(self) -> RecordIds:
        """The ids of the records behind this finding (``record_ids`` of its evidence)."""
        return record_ids(self.evidence)

    @cached_property  # read several times per finding when findings are written (a million at 10M rows)
    def finding_id(self) -> str:
        """Stable id: the same finding on the same data gets the same id."""
        parts = (self.detector, self.entity_id, self.summary)
        # What json.dumps(list(parts), ensure_ascii=False) writes, without its set-up (a million ids at 10M rows).
        plain = type(self.entity_id) is str and type(self.summary) is str and type(self.detector) is str
        key = "[" + ", ".join(map(_QUOTED, parts)) + "]" if plain else json.dumps(list(parts), ensure_ascii=False)
        return f"{self.detector}:{hashlib.sha1(key.encode()).hexdigest()[:16]}"

    def evidence_json(self) -> str:
        """The evidence as JSON text (dates and other values as strings).

        Floats keep ten significant digits (rounded through twelve): sums over
        many shipments differ in the last bits with the order an engine adds them in.
        """
        evidence = dict(self.evidence)
        if isinstance(evidence.get("facts"), dict):  # labelled facts keep the detector's order
            evidence["facts"] = [[label, value] for label, value in evidence["facts"].items()]
        # orjson: a million findings' evidence is written at 10M shipment rows (the standard library took 20 s).
        rounded = _rounded(evidence)
        try:
            return orjson.dumps(rounded, default=str, option=_DUMPS_OPTIONS).decode()
        except TypeError:  # what orjson cannot write (an integer beyond 64 bits), the standard library can
            return json.dumps(rounded, ensure_ascii=False, default=str, sort_keys=True, separators=(",", ":"))


def _rounded(value: Any) -> Any:
    kind = type(value)
    # Exact types first (text and ids are most of any evidence), then their subclasses (numpy floats).
    if kind in _PLAIN:
        return value
    if kind is float or isinstance(value, float):
        # To 12 digits first: two sums of the same amounts in another order differ in the last bits, and
        # when the exact value is a tie at 10 digits (money sums often are) those bits decided which way
        # it rounded (priority_goods' values changed between two runs on the same warehouse).
        return float(f"{float(f'{value:.12g}'):.10g}")
    # Plain values are passed over without a call (a million findings hold tens of millions of them).
    # A list of plain values (ids, a fact's label and value) is kept as it is, tested here without a call:
    # its types are collected in C.
    if kind is dict or isinstance(value, dict):
        return {k: v if (t := type(v)) in _PLAIN or t is list and set(map(type, v)) <= _PLAIN else _rounded(v)
                for k, v in value.items()}
    if kind is list or isinstance(value, list | tuple):
        if kind is list and set(map(type, value)) <= _PLAIN:
            return value
        return [v if (t := type(v)) in _PLAIN or t is list and set(map(type, v)) <= _PLAIN else _rounded(v)
                for v in value]
    return value
