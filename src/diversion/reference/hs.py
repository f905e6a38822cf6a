"""HS nomenclature, CHPL tiers and transshipment hubs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from diversion.reference._files import read_rows

_NON_DIGIT = re.compile(r"[\s.\-/]")

#: CHPL tiers from most to least severe, for ranking findings.
TIER_ORDER = ("1", "2", "3.A", "3.B", "4.A", "4.B")


def normalise_hs(value: object) -> str | None:
    """Return an HS code as a digit string with leading zeros kept, or ``None``.

    Accepts ``8458.11``, ``8458 11 000 0`` and numbers that lost a leading zero
    is not possible to recover, so numbers are rejected upstream.

    >>> normalise_hs("8458.11.00"), normalise_hs("0101 21"), normalise_hs("abc")
    ('84581100', '010121', None)
    """
    if value is None:
        return None
    text = _NON_DIGIT.sub("", str(value).strip())
    if not text.isdigit() or not 2 <= len(text) <= 10:
        return None
    return text


@dataclass(frozen=True)
class ChplItem:
    """One CHPL entry."""

    hs6: str
    tier: str
    description: str


@cache
def load_chpl() -> dict[str, ChplItem]:
    """The CHPL items keyed by six-digit HS code."""
    return {
        r["hs6"]: ChplItem(r["hs6"], r["tier"], r["short_description"])
        for r in read_rows("chpl.csv")
    }


def chpl_tier(hs_code: str | None) -> str | None:
    """The CHPL tier of an HS code (matched on its first six digits), or ``None``.

    >>> chpl_tier("8458110000"), chpl_tier("8501")
    ('4.B', None)
    """
    if not hs_code or len(hs_code) < 6:
        return None
    item = load_chpl().get(hs_code[:6])
    return item.tier if item else None


@cache
def _headings() -> dict[str, tuple[str, bool]]:
    return {
        r["code"]: (r["description"], r["machine_tool"] == "true")
        for r in read_rows("hs_headings.csv")
    }


def hs_chapter_title(hs_code: str) -> str | None:
    """Title of the HS chapter (first two digits)."""
    for row in read_rows("hs_chapters.csv"):
        if row["chapter"] == hs_code[:2]:
            return row["title"]
    return None


def hs_description(hs_code: str) -> str | None:
    """The most specific shipped description of an HS code."""
    for length in (6, 4):
        if len(hs_code) >= length and hs_code[:length] in _headings():
            return _headings()[hs_code[:length]][0]
    item = load_chpl().get(hs_code[:6])
    return item.description if item else hs_chapter_title(hs_code)


def is_machine_tool(hs_code: str | None) -> bool:
    """Whether the code falls in headings 8456–8466 (machine tools and parts)."""
    return hs_code is not None and len(hs_code) >= 4 and "8456" <= hs_code[:4] <= "8466"


@dataclass(frozen=True)
class Hub:
    """A country named as a transshipment point, with the public source."""

    iso2: str
    country: str
    listed_by: str
    listed_on: date
    source_url: str


@cache
def load_hubs() -> dict[str, Hub]:
    """Transshipment hubs keyed by ISO alpha-2."""
    return {
        r["iso2"]: Hub(
            r["iso2"], r["country"], r["listed_by"], date.fromisoformat(r["date"]), r["source_url"]
        )
        for r in read_rows("transshipment_hubs.csv")
    }
