"""Web evidence (JSON lines, one site a line) and the authorised distributor list (CSV)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from diversion.demo.sanction_files import Mention
from diversion.demo.world import World

WEB_FILE = "web/web_evidence.jsonl"
DISTRIBUTORS_FILE = "distributors/authorised_distributors.csv"
#: Ordinary exporters with a website in the evidence file, and with a brand on the distributor list.
WEB_SHARE = 0.06
DISTRIBUTOR_SHARE = 0.04

_SENTENCES = (
    "{name} was founded in {year} and is based in {city}.",
    "We manufacture {product} for customers in more than {n} countries.",
    "Our quality management system is certified to ISO 9001.",
    "Contact our sales department for a quotation.",
    "{name} employs {n}0 people across engineering, production and service.",
    "We exhibit every year at the EMO and JIMTOF trade fairs.",
    "Our service team offers installation, training and maintenance contracts.",
    "Spare parts are shipped within 48 hours of order.",
    "Read our latest news about new product launches.",
    "Custom solutions are designed together with our customers.",
    "We are committed to sustainability and energy-efficient production.",
    "Download our catalogue in PDF format.",
    "Career opportunities are available for engineers and technicians.",
    "Our distributors provide local support worldwide.",
    "The new {product} series offers higher accuracy and faster cycle times.",
    "Visit our showroom to see the machines in operation.",
    "{name} is a family-owned company in its {ordinal} generation.",
    "Financing through partner banks is available.",
)
_PRODUCTS = ("machining centres", "CNC lathes", "grinding machines", "press brakes", "tooling systems",
             "precision components", "measuring instruments", "industrial electronics")
_FETCHED = "2024-01-15T09:30:00Z"


def _site_text(rng: np.random.Generator, name: str, city: str) -> str:
    picked = rng.choice(len(_SENTENCES), size=int(rng.integers(6, 11)), replace=False)
    product = _PRODUCTS[int(rng.integers(len(_PRODUCTS)))]
    return " ".join(_SENTENCES[i].format(name=name, year=int(rng.integers(1950, 2015)), city=city, product=product,
                                         n=int(rng.integers(3, 60)), ordinal=("second", "third")[i % 2])
                    for i in sorted(picked))


def write_web(out: Path, world: World, rng: np.random.Generator) -> tuple[list[Mention], int]:
    """Write the web evidence file; returns name mentions and the number of planted bad lines."""
    scenario, pool = world.scenario, world.pool.source
    lines, mentions = [], []
    for site in scenario.websites:
        lines.append({"domain": site.domain, "company_name": site.company_name,
                      "claimed_address": site.claimed_address, "hosting_country": site.hosting_country,
                      "registrant_country": site.registrant_country, "fetched_at": _FETCHED,
                      "text": " ".join(site.sentences)})
        mentions.append((WEB_FILE, site.domain, "website", site.company_name, site.party))
    with_site = [i for i in world.background_ids if pool.website[i]]
    picked = rng.choice(with_site, size=max(3, int(len(with_site) * WEB_SHARE)), replace=False)
    for i in sorted(picked):
        city = pool.address[i].split(", ")[-2] if pool.address[i].count(", ") >= 2 else pool.country[i]
        name = pool.canonical[i]
        domain = pool.website[i]
        text = _site_text(rng, name, city)
        if rng.random() < 0.3:  # some sites are fetched as HTML
            text = f"<html><head><title>{name}</title></head><body><p>{text}</p></body></html>"
        lines.append({"domain": f"www.{domain}" if rng.random() < 0.2 else domain, "company_name": name,
                      "claimed_address": pool.address[i], "hosting_country": pool.country[i],
                      "registrant_country": pool.country[i], "fetched_at": _FETCHED, "text": text})
        mentions.append((WEB_FILE, domain, "website", name, pool.ids[i]))
    encoded = [json.dumps(line, ensure_ascii=False) for line in lines]
    bad = ['{"domain": "broken.example", "company_name": "Unterminated', "not json at all"]
    encoded.insert(min(5, len(encoded)), bad[0])
    encoded.insert(min(12, len(encoded)), bad[1])
    (out / "web").mkdir(parents=True, exist_ok=True)
    (out / WEB_FILE).write_text("\n".join(encoded) + "\n", encoding="utf-8")
    return mentions, len(bad)


def write_distributors(out: Path, world: World, rng: np.random.Generator) -> list[Mention]:
    """Write the authorised distributor list: the brand's official channels and ordinary brands' makers."""
    scenario, pool = world.scenario, world.pool.source
    brand = scenario.brand
    rows, mentions = [], []
    for party in scenario.parties:
        if party.role in ("official_supplier", "cloned_distributor"):
            rows.append([brand.name, party.canonical, party.country, party.website or ""])
            mentions.append((DISTRIBUTORS_FILE, party.website or party.key, "distributor", party.canonical,
                             party.key))
    for name, country, domain in brand.other_distributors:
        rows.append([brand.name, name, country, domain])
        mentions.append((DISTRIBUTORS_FILE, domain, "distributor", name, f"dist-{domain}"))
    makers = [i for i in world.background_ids if pool.brand[i]]
    for i in sorted(rng.choice(makers, size=max(3, int(len(makers) * DISTRIBUTOR_SHARE)), replace=False)):
        rows.append([str(pool.brand[i]).title(), pool.canonical[i], pool.country[i], pool.website[i] or ""])
        mentions.append((DISTRIBUTORS_FILE, pool.website[i] or pool.ids[i], "distributor", pool.canonical[i],
                         pool.ids[i]))
    (out / "distributors").mkdir(parents=True, exist_ok=True)
    with (out / DISTRIBUTORS_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["brand", "distributor_name", "country", "domain"])
        writer.writerows(rows)
    return mentions
