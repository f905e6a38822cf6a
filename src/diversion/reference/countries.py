"""Country normalisation to ISO-3166 alpha-2.

``countrynames`` (the OpenSanctions library) knows names in many languages;
a shipped table adds the upper-case Russian forms seen in customs extracts
(``ТАЙВАНЬ (КИТАЙ)``) that it misses.
"""

from __future__ import annotations

from functools import cache

import countrynames
import pycountry

from diversion.reference._files import read_rows

# Codes that are not ISO countries but appear in trade and sanctions data.
_SPECIAL = {"EU": "EU", "XK": "XK", "ZZ": None, "XX": None}


@cache
def _ru_names() -> dict[str, str]:
    return {row["name"].upper(): row["iso2"] for row in read_rows("country_names_ru.csv")}


@cache
def to_iso2(value: str | None) -> str | None:
    """Return the ISO alpha-2 code for a country name or code, or ``None``.

    >>> to_iso2("КИТАЙ"), to_iso2("China"), to_iso2("cn"), to_iso2("Atlantis")
    ('CN', 'CN', 'CN', None)
    """
    if value is None:
        return None
    text = " ".join(str(value).split()).strip(" .")
    if not text:
        return None
    upper = text.upper()
    if upper in _SPECIAL:
        return _SPECIAL[upper]
    if len(upper) == 2 and upper.isalpha() and pycountry.countries.get(alpha_2=upper):
        return upper
    if upper in _ru_names():
        return _ru_names()[upper]
    code = countrynames.to_code(text, fuzzy=False)
    if code:
        return str(code).upper()
    return None


def load_tables() -> None:
    """Load the name tables ``to_iso2`` reads (countrynames builds its index on first use: ~0.3 s).

    Ingest calls it in a thread while DuckDB reads a file, so the load overlaps the read.
    """
    _ru_names()
    countrynames.to_code("China", fuzzy=False)


@cache
def country_name(code: str | None) -> str:
    """English short name of an alpha-2 code (the code itself when unknown)."""
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)
