"""Ordinary companies with the name variants real customs data shows.

Each company gets four written variants (slot 0 is its canonical name) and a
fifth slot with a Windows-1251-safe spelling for the Russian extract:
Cyrillic and Latin transliterations of Russian names, Chinese names next to
their English ones, legal forms written several ways (ООО/OOO/LLC, 有限公司/
Co., Ltd.), quote styles (« » " “ ”) and a typo now and then.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from diversion.demo import words as w
from diversion.demo.scenario import Party

#: Variants per company (ordinary ones use four), plus one cp1251-safe slot.
VARIANTS = 8
SLOTS = VARIANTS + 1
SAFE_SLOT = VARIANTS
#: How often each variant slot of an ordinary company is written.
VARIANT_WEIGHTS = np.array([0.62, 0.18, 0.13, 0.07, 0, 0, 0, 0])

_FOLD = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ı": "i", "đ": "d"})


@dataclass
class CompanyPool:
    """Every company of the demo, columnar: ``names[i * SLOTS + slot]`` is company i's variant."""

    ids: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    canonical: list[str] = field(default_factory=list)
    flat_names: list[str] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    inn: list[str | None] = field(default_factory=list)
    website: list[str | None] = field(default_factory=list)
    brand: list[str | None] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)

    def add(self, cid: str, country: str, variants: list[str], address: str, inn: str | None = None,
            website: str | None = None, brand: str | None = None, weights: np.ndarray | None = None) -> None:
        """Append one company; ``variants[0]`` is the canonical name."""
        variants = (variants + [variants[0]] * VARIANTS)[:VARIANTS]
        self.ids.append(cid)
        self.country.append(country)
        self.canonical.append(variants[0])
        self.flat_names.extend(variants)
        self.flat_names.append(cp1251_safe(variants[0]))
        self.address.append(address)
        self.inn.append(inn)
        self.website.append(website)
        self.brand.append(brand)
        self.weights.append(VARIANT_WEIGHTS if weights is None else weights)

    def freeze(self) -> FrozenPool:
        """Columnar, read-only form used by the vectorised shipment generator."""
        names = pa.array(self.flat_names, pa.string())
        encodable = _encodable_all(self.flat_names)
        countries = np.array(self.country, dtype="U2")
        by_country = {c: np.flatnonzero(countries == c) for c in sorted(set(self.country))}
        cum = np.cumsum(np.vstack(self.weights), axis=1)
        cum /= cum[:, -1:]
        return FrozenPool(self.ids, countries, names, encodable, pa.array(self.address, pa.string()),
                          pa.array([a if ok else cp1251_safe(a) for a, ok in
                                    zip(self.address, _encodable_all(self.address), strict=True)], pa.string()),
                          pa.array(self.inn, pa.string()), pa.array(self.brand, pa.string()), by_country, cum,
                          self)


@dataclass
class FrozenPool:
    """A ``CompanyPool`` as arrays."""

    ids: list[str]
    country: np.ndarray
    names: pa.Array
    encodable: np.ndarray
    address: pa.Array
    address_safe: pa.Array  # as a Windows-1251 file can hold it
    inn: pa.Array
    brand: pa.Array
    by_country: dict[str, np.ndarray]
    variant_cum: np.ndarray  # per company cumulative variant weights
    source: CompanyPool

    def pick_variants(self, rng: np.random.Generator, company: np.ndarray) -> np.ndarray:
        """A variant slot for each row, by each company's variant weights."""
        u = rng.random(len(company))
        slots: np.ndarray = (u[:, None] > self.variant_cum[company]).sum(axis=1).astype(np.int64)
        return slots


def _encodable(text: str) -> bool:
    try:
        text.encode("cp1251")
    except UnicodeEncodeError:
        return False
    return True


def _encodable_all(texts: list[str]) -> np.ndarray:
    # One bulk round trip: a name survives unchanged exactly when cp1251 can hold it.
    joined = "\x00".join(texts).encode("cp1251", errors="replace").decode("cp1251")
    return np.array([a == b for a, b in zip(joined.split("\x00"), texts, strict=True)], dtype=bool)


def cp1251_safe(text: str) -> str:
    """The name as a Windows-1251 file can hold it (accents folded, other scripts dropped)."""
    if _encodable(text):
        return text
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in folded if _encodable(ch) and not unicodedata.combining(ch)).strip()


def inn_with_checksum(nine_digits: str) -> str:
    """A ten-digit Russian company INN: nine digits plus their check digit (FtM drops invalid ones)."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return nine_digits + str(sum(w * int(d) for w, d in zip(weights, nine_digits, strict=True)) % 11 % 10)


def typo(rnd: random.Random, text: str) -> str:
    """One keyboard slip: two letters swapped, one dropped or one doubled."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha() and 0 < i < len(text) - 1]
    if not letters:
        return text
    i = rnd.choice(letters)
    op = rnd.randrange(3)
    if op == 0 and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if op == 1:
        return text[:i] + text[i + 1:]
    return text[:i] + text[i] + text[i:]


def _stdlib_rng(rng: np.random.Generator) -> random.Random:
    # Name building draws one value at a time; the stdlib RNG is ~20x cheaper per draw.
    return random.Random(int(rng.integers(2**62)))


def _pick(rnd: random.Random, seq: tuple[Any, ...]) -> Any:
    return rnd.choice(seq)


class _Unique:
    """Keeps generated names (and domains, INNs) unique, numbering them when needed."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.next: dict[str, int] = {}

    def take(self, candidate: str, _unused: str = "") -> str | None:
        if candidate not in self.seen:
            self.seen.add(candidate)
            return candidate
        return None

    def force(self, base: str, fmt: str = "{base}-{n}") -> str:
        n = self.next.get(base + fmt, 2)
        while (name := fmt.format(base=base, n=n)) in self.seen:
            n += 1
        self.next[base + fmt] = n + 1
        self.seen.add(name)
        return name


def _stem(rnd: random.Random) -> str:
    return str(_pick(rnd, w.STEM_HEADS)) + str(_pick(rnd, w.STEM_TAILS))


def _foreign(
    rnd: random.Random, country: str, unique: _Unique, domains: _Unique
) -> tuple[list[str], str, str, str | None]:
    forms, cities, tld = w.FOREIGN.get(country, (("Ltd.",), ("Capital",), "com"))
    form = str(_pick(rnd, forms))
    city = str(_pick(rnd, cities))
    brand = None
    for _ in range(6):
        if country == "DE" and rnd.random() < 0.5:
            base = f"{_pick(rnd, w.SURNAMES_DE)} {_pick(rnd, w.INDUSTRY_DE)}"
        elif country == "IT" and rnd.random() < 0.6:
            base = f"{_pick(rnd, w.SURNAMES_IT)} {_pick(rnd, w.INDUSTRY_IT)}"
        else:
            brand = _stem(rnd)
            base = f"{brand} {_pick(rnd, w.INDUSTRY_EN)}"
        if unique.take(base, base):
            break
    else:
        base = unique.force(base, "{base} {n}")
    name = f"{base} {form}"
    alt_form = {"Co., Ltd.": "Co Ltd", "GmbH": "GMBH", "S.p.A.": "SPA", "S.r.l.": "SRL", "K.K.": "Kabushiki Kaisha",
                "Inc.": "Incorporated", "Ltd": "Limited", "s.r.o.": "s. r. o."}.get(form, form)
    variants = [name, name.upper(), f"{base} {alt_form}" if alt_form != form else base, typo(rnd, name)]
    slug = cp1251_safe(base.split()[0]).lower().replace(" ", "")
    domain = domains.take(f"{slug}.{tld}", "") or domains.force(slug, "{base}{n}." + tld)
    street = _pick(rnd, w.STREETS_EN)
    address = f"{rnd.randrange(1, 300)} {street}, {city}, {w.COUNTRY_EN.get(country, country)}"
    return variants, address, domain, brand.upper() if brand else None


def _chinese(rnd: random.Random, unique: _Unique, domains: _Unique) -> tuple[list[str], str, str, str | None]:
    # A Chinese firm's registered name is unique in its place: when the one-word trade names run out (a
    # large demo), a trade name of two words, then three ("Boyuanhengli", 博远恒力), never a second firm under
    # the same Chinese name (which no resolver could tell apart, and the truth would still call two firms).
    for words in (1, 1, 1, 1, 1, 1, *[2] * 8, *[3] * 8):
        city, first, industry = _pick(rnd, w.CN_CITIES), _pick(rnd, w.CN_WORDS), _pick(rnd, w.CN_INDUSTRY)
        parts = [first] + [_pick(rnd, w.CN_WORDS) for _ in range(words - 1)]
        word = ("".join(p[0] for p in parts).capitalize(), "".join(p[1] for p in parts))
        english = f"{city[0]} {word[0]} {industry[0]}"
        if unique.take(english, english):
            hanzi = f"{city[1]}{word[1]}{industry[1]}有限公司"
            break
    else:  # the number the English name gets, the Chinese name carries too
        english = unique.force(english, "{base} {n}")
        hanzi = f"{city[1]}{word[1]}{english.rsplit(' ', 1)[1]}{industry[1]}有限公司"
    name = f"{english} Co., Ltd."
    variants = [name, hanzi, f"{english.upper()} CO.,LTD", typo(rnd, name) if rnd.random() < 0.5
                else f"{word[0]} {industry[0]} Co., Ltd."]
    slug = f"{city[0]}{word[0]}".lower()
    domain = domains.take(f"{slug}.cn", "") or domains.force(slug, "{base}{n}.cn")
    address = f"No. {rnd.randrange(1, 999)} {word[0]} Road, {city[0]}, China"
    return variants, address, domain, word[0].upper()


def _russian(rnd: random.Random, unique: _Unique, inns: _Unique) -> tuple[list[str], str, str]:
    for _ in range(6):
        head, tail, mod = _pick(rnd, w.RU_HEADS), _pick(rnd, w.RU_TAILS), _pick(rnd, w.RU_MODIFIERS)
        cyr, lat = head[0] + tail[0] + mod[0], head[1] + tail[1] + mod[1]
        if unique.take(cyr, cyr):
            break
    else:
        cyr = unique.force(cyr)
        lat = lat + cyr[cyr.rfind("-"):]
    u = rnd.random()
    form_ru, form_lat, form_en = ("ООО", "OOO", "LLC") if u < 0.78 else (("АО", "AO", "JSC") if u < 0.95
                                                                        else ("ПАО", "PAO", "PJSC"))
    canonical = f"{form_ru} «{cyr}»"
    second = f'{form_ru} "{cyr}"' if rnd.random() < 0.6 else f"{form_ru} {cyr.upper()}"
    third = f"{lat} {form_en}" if rnd.random() < 0.6 else f'{form_lat} "{lat}"'
    r = rnd.random()
    if r < 0.4:
        fourth = typo(rnd, canonical)
    elif r < 0.6 and form_ru == "ООО":
        fourth = f"Общество с ограниченной ответственностью «{cyr}»"
    elif r < 0.8:
        fourth = f"{form_ru} “{cyr}”"
    else:
        fourth = f"{form_lat} {lat.upper()}"
    city, _, region = rnd.choices(w.RU_CITIES, weights=_RU_CITY_W)[0]
    address = f"{city}, {_pick(rnd, w.RU_STREETS)}, д. {rnd.randrange(1, 120)}"
    inn = None
    while inn is None:
        inn = inns.take(inn_with_checksum(f"{region}{rnd.randrange(10**6, 10**7)}"))
    return [canonical, second, third, fourth], address, inn


_RU_CITY_W = [c[1] for c in w.RU_CITIES]


def add_exporters(pool: CompanyPool, rng: np.random.Generator, counts: dict[str, int]) -> None:
    """Add ordinary exporters: ``counts`` companies per country."""
    rnd = _stdlib_rng(rng)
    unique, domains = _Unique(), _Unique()
    unique.seen.update(pool.flat_names)
    for country, n in counts.items():
        for i in range(n):
            if country == "CN":
                variants, address, domain, brand = _chinese(rnd, unique, domains)
            else:
                variants, address, domain, brand = _foreign(rnd, country, unique, domains)
            pool.add(f"bg-x-{country.lower()}-{i:06d}", country, variants, address, website=domain, brand=brand)


def add_party(pool: CompanyPool, party: Party) -> None:
    """Add a scenario party with its own name variants and weights."""
    weights = np.array(party.variant_weights[:VARIANTS] or (1.0,), dtype=float)
    weights = np.pad(weights, (0, VARIANTS - len(weights)))
    variants = list(party.variants) or [party.canonical]
    pool.add(party.key, party.country, variants, party.address, inn=party.inn, website=party.website,
             weights=weights)


def add_importers(pool: CompanyPool, rng: np.random.Generator, n_russian: int, others: dict[str, int]) -> None:
    """Add ordinary importers: Russian ones (with INN) plus a few in neighbouring countries."""
    rnd = _stdlib_rng(rng)
    unique, inns = _Unique(), _Unique()
    unique.seen.update(pool.flat_names)
    inns.seen.update(i for i in pool.inn if i)
    for i in range(n_russian):
        variants, address, inn = _russian(rnd, unique, inns)
        pool.add(f"bg-m-ru-{i:06d}", "RU", variants, address, inn=inn)
    domains = _Unique()
    for country, n in others.items():
        for i in range(n):
            variants, address, _, _ = _foreign(rnd, country, unique, domains)
            pool.add(f"bg-m-{country.lower()}-{i:06d}", country, variants, address)
