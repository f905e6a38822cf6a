"""Vocabularies of trade statistics: commodity classifications, trade-flow codes, aggregate partners.

UN Comtrade, Eurostat Comext and national offices write the same things
differently (``H5``, ``HS 2017``; ``1``, ``M``, ``Import``; ``WLD``, ``W00``,
``World``). These functions turn each spelling into one value; the tables
are ``data/trade_*.csv`` (see ``data/SOURCES.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from diversion.reference._files import read_rows

#: Classification families whose codes are HS codes (CN and TN VED extend HS-6).
HS_FAMILY = "HS"
_SPACE = re.compile(r"[\s._\-/]+")
# Partner or reporter names that stand for a residual or a group, whatever their code.
_NES = re.compile(r"(,|\b)\s*(nes|n\.e\.s\.?|not elsewhere specified|not specified)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Classification:
    """A commodity classification: its normalised name (``HS2017``, ``SITC4``) and family (``HS``, ``SITC``)."""

    name: str
    family: str

    @property
    def is_hs(self) -> bool:
        """Whether codes in it are HS codes (HS of any edition, EU CN, EAEU TN VED)."""
        return self.family == HS_FAMILY


@dataclass(frozen=True)
class Aggregate:
    """A partner or reporter that is not one country: World, "Other Asia, nes", the EU."""

    code: str
    name: str


def _key(text: str) -> str:
    return _SPACE.sub("", text.strip().upper())


@cache
def _classifications() -> dict[str, Classification]:
    return {_key(r["code"]): Classification(r["classification"], r["family"])
            for r in read_rows("trade_classifications.csv")}


def classification(text: str | None) -> Classification | None:
    """The classification a code or name stands for, or ``None``.

    >>> classification("H5"), classification("SITC Rev. 4").name, classification("xyz")
    (Classification(name='HS2017', family='HS'), 'SITC4', None)
    """
    if text is None or not str(text).strip():
        return None
    key = _key(str(text))
    found = _classifications().get(key)
    if found is None and key.startswith("SITCREV"):
        found = _classifications().get("SITC" + key[7:])
    return found


@cache
def _flows() -> dict[str, str]:
    return {" ".join(r["code"].upper().split()): r["flow"] for r in read_rows("trade_flows.csv")}


def trade_flow(text: str | None) -> str | None:
    """The flow direction: ``import``, ``export``, ``re-export``, ``re-import`` (or a named sub-flow), else ``None``.

    >>> trade_flow("Import"), trade_flow("2"), trade_flow("RX"), trade_flow("sideways")
    ('import', 'export', 're-export', None)
    """
    if text is None:
        return None
    key = " ".join(str(text).upper().split())
    if key.endswith(".0") and key[:-2].isdigit():
        key = key[:-2]
    return _flows().get(key) or _flows().get(key.replace(" ", "-"))


@cache
def _aggregates() -> dict[str, Aggregate]:
    out: dict[str, Aggregate] = {}
    for row in read_rows("trade_aggregates.csv"):
        agg = Aggregate(row["code"], row["name"])
        for alias in [row["code"], row["name"], *row["aliases"].split("|")]:
            out.setdefault(_alias_key(alias), agg)
    return out


def _alias_key(text: str) -> str:
    return " ".join(text.upper().replace(",", " ").replace(".", " ").split())


def aggregate_area(text: str | None) -> Aggregate | None:
    """The aggregate a partner or reporter code or name stands for, or ``None`` for a (possible) country.

    Aggregates are kept as they are: they are never a country and never quarantined.

    >>> aggregate_area("WLD").name, aggregate_area("Other Asia, nes").code, aggregate_area("China")
    ('World', 'OAS', None)
    >>> aggregate_area("Fmr Arab Rep. of Yemen"), aggregate_area("Caribbean, nes")
    (None, Aggregate(code='NES', name='Caribbean, nes'))
    """
    if text is None or not str(text).strip():
        return None
    raw = " ".join(str(text).split())
    key = _alias_key(raw)
    if key.isdigit() and int(key) == 0:
        key = "0"  # Comtrade's World is partner code 0, also written 00 or 000
    found = _aggregates().get(key)
    if found is not None:
        return found
    if _NES.search(raw):
        return Aggregate("NES", raw)
    return None


# Comtrade's short names ("Rep. of Korea", "Solomon Isds", "China, Hong Kong SAR") spelled out.
_ABBREVIATIONS = ((r"\bRep\.", "Republic"), (r"\bDem\.", "Democratic"), (r"\bIsds\b", "Islands"),
                  (r"\bIsd\b", "Island"), (r"\bFed\.", "Federated"), (r"\bSt\.", "Saint"),
                  (r"\bUtd\.?", "United"), (r"\bBr\.", "British"), (r"\bN\.", "North"), (r"\bS\.", "South"))
# Eurostat's own codes for Greece and the United Kingdom.
_EUROSTAT = {"EL": "GR", "UK": "GB"}
_SAR = re.compile(r"^China,\s*(.+?)\s+SAR$", re.IGNORECASE)


def trade_country(text: str | None) -> str | None:
    """ISO alpha-2 of a reporter or partner as trade statistics write it (ISO-3, ISO-2, names, Comtrade's short names).

    >>> trade_country("KGZ"), trade_country("Rep. of Korea"), trade_country("China, Hong Kong SAR")
    ('KG', 'KR', 'HK')
    >>> trade_country("Serbia and Montenegro"), trade_country("World")
    (None, None)
    """
    from diversion.reference.countries import to_iso2

    if text is None or not str(text).strip() or aggregate_area(text) is not None:
        return None
    raw = " ".join(str(text).split())
    if raw.upper() in _EUROSTAT:
        return _EUROSTAT[raw.upper()]
    candidates = [raw]
    sar = _SAR.match(raw)
    if sar:
        candidates.append(sar.group(1))
    spelled = raw
    for pattern, word in _ABBREVIATIONS:
        spelled = re.sub(pattern, word, spelled)
    candidates.append(spelled)
    for candidate in candidates:
        code = to_iso2(candidate)
        # countrynames knows some former states by four-letter codes (CSXX): not ISO alpha-2.
        if code and len(code) == 2 and code != "EU":
            return code
    return None
