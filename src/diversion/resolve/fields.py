"""Cleaning of the non-name fields a mention is compared on."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from rigour.addresses import address_fingerprint

#: FtM / registry identifier schemes folded onto one short name, so lists and registries agree.
SCHEMES = {
    "innCode": "inn", "inn": "inn", "ogrnCode": "ogrn", "ogrn": "ogrn", "registrationNumber": "reg",
    "reg": "reg", "taxNumber": "tax", "vatCode": "vat", "leiCode": "lei", "imoNumber": "imo",
    "swiftBic": "bic", "okpoCode": "okpo", "kppCode": "kpp",
}


#: Schemes that number a company in one register: two different values count against a match.
REGISTRY_SCHEMES = frozenset({"inn", "ogrn", "lei", "imo", "okpo"})
#: Schemes whose numbers are only comparable within one country (a Dutch and a Czech registration number
#: are two registers, not two companies).
NATIONAL_SCHEMES = frozenset({"reg", "tax", "vat"})


def distinct_sorted(values: list[str | None] | None) -> list[str] | None:
    """The distinct non-empty ``values``, sorted; ``None`` when there are none.

    >>> distinct_sorted(["RU", "", "AE", "RU"]), distinct_sorted([None]), distinct_sorted(None)
    (['AE', 'RU'], None, None)
    """
    if not values:
        return None
    if len(values) == 1:  # the common case, without building a set
        return [values[0]] if values[0] else None
    return sorted({v for v in values if v}) or None


def comparable_schemes(identifiers: list[str] | None, countries: list[str] | None) -> list[str]:
    """The registers a mention's identifiers come from, where a different number means another company.

    Record ids (a list's own entry id, ``referent``, an unnamed customs ``id``)
    are left out: equal ones link, different ones say nothing.

    >>> comparable_schemes(["inn:7701", "referent:OFAC1", "reg:123"], ["RU"])
    ['inn', 'reg@RU']
    """
    out: set[str] = set()
    for ident in identifiers or []:
        scheme = ident.partition(":")[0]
        if scheme in REGISTRY_SCHEMES:
            out.add(scheme)
        elif scheme in NATIONAL_SCHEMES:
            out.update(f"{scheme}@{c}" for c in countries or [] if c)
    return sorted(out)


def clean_identifier(scheme: str, value: str | None) -> str | None:
    """``scheme:VALUE`` with the value's letters upper-cased and separators dropped.

    >>> clean_identifier("innCode", " 7701-234567 ")
    'inn:7701234567'
    """
    if not value:
        return None
    compact = "".join(ch for ch in value.upper() if ch.isalnum())
    if not compact:
        return None
    return f"{SCHEMES.get(scheme, scheme.lower())}:{compact}"


def clean_domain(value: str | None) -> str | None:
    """The host of a URL or domain, lower-case, without ``www.``.

    >>> clean_domain("https://www.Amegino.ae/about")
    'amegino.ae'
    """
    if not value or not value.strip():
        return None
    text = value.strip().lower()
    host = urlsplit(text if "//" in text else "//" + text).hostname or ""
    host = host.removeprefix("www.").strip(".")
    return host or None


@lru_cache(maxsize=200_000)  # one address recurs on every declaration of its firm
def address_key(address: str | None) -> str | None:
    """A normalised address (rigour's address fingerprint: abbreviations, transliteration, places)."""
    if not address or not address.strip() or len(address) > 1000:
        return None
    try:
        return address_fingerprint(address) or None
    except Exception:  # noqa: BLE001 - a malformed address must not stop resolution
        return None
