"""A diversion case as data: who the parties are, what flowed, and the market around it.

A ``Scenario`` holds everything the generator needs to replay one case: the
brand and its products, the sanctioned importer and its end user, the brand's
official supplier, the intermediaries with their websites and owners, the
case's yearly flows, and the wider market's monthly targets. The generator
never hard-codes a party, so a differently shaped case (``second_scenario``)
comes out of the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Listing:
    """A sanctions listing of a party (OpenSanctions FtM and, where ``ofac``, the SDN CSV)."""

    authority: str
    program: str
    listing_date: date
    country: str  # the listing authority's country, ISO2
    datasets: tuple[str, ...]
    topics: tuple[str, ...] = ("sanction",)
    ofac: bool = True


@dataclass(frozen=True)
class Party:
    """One planted entity and every way its name is written.

    ``variants`` are the names used in shipment files, with ``variant_weights``;
    ``aliases`` are the extra names the sanctions lists and registries carry.
    """

    key: str  # the true entity id used in truth files
    role: str  # importer|end_user|official_supplier|broker|front|cloned_distributor|owner|near_miss
    schema: str  # FtM schema: Company or Person
    canonical: str
    country: str
    address: str
    city: str
    variants: tuple[str, ...] = ()
    variant_weights: tuple[float, ...] = ()
    aliases: tuple[str, ...] = ()
    inn: str | None = None
    ogrn: str | None = None
    registration_number: str | None = None
    incorporation_date: date | None = None
    website: str | None = None
    topics: tuple[str, ...] = ()
    listings: tuple[Listing, ...] = ()
    expected_flags: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Product:
    """One model of the brand, with its HS code and a typical unit value in GBP."""

    model: str
    hs_code: str
    description_en: str
    description_ru: str
    unit_value_gbp: float
    unit_weight_kg: float


@dataclass(frozen=True)
class Brand:
    """The brand whose goods are diverted."""

    name: str
    country: str
    variants: tuple[str, ...]  # how the brand column is written
    products: tuple[Product, ...]
    domain: str
    other_distributors: tuple[tuple[str, str, str], ...] = ()  # (name, country, domain)


@dataclass(frozen=True)
class CaseFlow:
    """Shipments of the brand from one exporter to the case importer over some months.

    ``value_gbp`` is hit exactly (summed in GBP through the demo's rates).
    ``fixed_years`` pins the manufacture year of the first shipments (the used
    machines the front company advertises).
    """

    exporter: str  # Party.key
    year: int
    months: tuple[int, ...]
    value_gbp: float
    origin: dict[str, float]
    dispatch: dict[str, float]
    currency: dict[str, float]
    trading_country: str | None = None
    used_years: tuple[int, int] | None = None
    fixed_years: tuple[int, ...] = ()
    note_en: str = ""
    note_ru: str = ""
    label: str = ""


@dataclass(frozen=True)
class OriginProfile:
    """One origin country of the wider market: its pre-war monthly value and post-war path.

    ``path`` multiplies the pre-war value at four anchors after the cut-off:
    two months after, six months after, the peak month, and the last month;
    in between it is interpolated. ``flex`` origins absorb the difference
    that makes the anchor totals exact.
    """

    country: str
    prewar_gbp: float
    path: tuple[float, float, float, float]
    flex: bool = False


@dataclass(frozen=True)
class MarketSpec:
    """The market the case sits in: monthly imports of some HS headings into one country."""

    headings: tuple[str, ...]  # HS4 headings that make up the market
    hs_codes: tuple[str, ...]  # HS6 codes used for background rows in the market
    importer_country: str
    rising_origin: str  # the origin whose share climbs (CN)
    prewar_share: float  # its share in every pre-war month
    cutoff_value_gbp: float  # its value in the cut-off month
    peak_month: str  # YYYY-MM
    peak_value_gbp: float
    peak_share: float
    origins: tuple[OriginProfile, ...]
    eu: tuple[str, ...] = ("DE", "IT", "AT", "CZ", "FR", "ES", "PL", "NL", "BE", "SE", "FI")


@dataclass(frozen=True)
class WebSite:
    """A website in the web evidence file."""

    domain: str
    company_name: str
    claimed_address: str
    hosting_country: str
    registrant_country: str
    sentences: tuple[str, ...]
    party: str  # Party.key


@dataclass(frozen=True)
class Scenario:
    """A whole case: parties, flows, websites and market (see module docstring)."""

    name: str
    title: str
    source_note: str
    brand: Brand
    parties: tuple[Party, ...]
    flows: tuple[CaseFlow, ...]
    websites: tuple[WebSite, ...]
    market: MarketSpec
    cutoff: date
    start_month: str = "2021-01"
    end_month: str = "2023-12"
    end_user_link_role: str = "supply contract"
    ownership: tuple[tuple[str, str, float, date], ...] = ()  # (owner key, asset key, share, start)
    end_user_link: tuple[str, str] | None = None  # (importer key, end user key)
    #: Checks on the case figures: label -> (exporter keys or "*", years, expected GBP).
    figures: dict[str, tuple[tuple[str, ...], tuple[int, ...], float]] = field(default_factory=dict)

    def party(self, key: str) -> Party:
        """The party with this key (KeyError naming the key when absent)."""
        for party in self.parties:
            if party.key == key:
                return party
        raise KeyError(f"scenario {self.name!r} has no party {key!r}")

    def by_role(self, role: str) -> list[Party]:
        """Every party with this role, in declaration order."""
        return [p for p in self.parties if p.role == role]
