"""Synthetic shipment parties with known truth, for benchmarks and tests of scale.

Each synthetic company has a made-up name, a legal form, a country, an address
and (in Russia) an INN; each of its mentions is spelt with typical noise:
other legal-form spellings, case, a typo, a dropped word, a missing address
or id. Not the demo (``diversion.demo`` replays the real case); just volume.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pyarrow as pa

_SYLLABLES = ["ka", "ro", "mi", "te", "van", "sor", "lin", "bek", "tra", "mos", "gen", "dor", "pol", "zan",
              "ri", "tek", "nov", "al", "ser", "vik", "dex", "mar", "lo", "ton", "stan", "kom", "eta", "ur"]
_WORDS = ["trading", "technology", "engineering", "machinery", "industrial", "group", "systems", "supply"]
_FORMS = {
    "RU": ["OOO", "ООО", "LLC", "Obshchestvo s ogranichennoy otvetstvennostyu"],
    "AE": ["FZE", "FZCO", "L.L.C.", "LLC"],
    "CN": ["Co., Ltd.", "Co Ltd", "Limited", "CO., LTD"],
    "TR": ["Ltd. Şti.", "Limited Şirketi", "Ltd Sti"],
    "DE": ["GmbH", "Gesellschaft mit beschränkter Haftung", "GMBH"],
}
_CITIES = {"RU": ["Moscow", "Novosibirsk", "Kazan"], "AE": ["Dubai", "Sharjah"], "CN": ["Shenzhen", "Shanghai"],
           "TR": ["Istanbul", "Izmir"], "DE": ["Stuttgart", "Hamburg"]}


def _name(rng: random.Random) -> str:
    core = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    if rng.random() < 0.5:
        core += " " + rng.choice(_WORDS).capitalize()
    return core


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(1, max(2, len(text) - 1))
    return text[:i] + text[i + 1 :] if rng.random() < 0.5 else text[:i] + text[i] + text[i:]


def _spell(rng: random.Random, core: str, country: str) -> str:
    form = rng.choice(_FORMS[country])
    name = f"{form} {core}" if form in ("OOO", "ООО") or form.startswith("Obsh") else f"{core} {form}"
    roll = rng.random()
    if roll < 0.25:
        name = name.upper()
    elif roll < 0.4:
        name = _typo(rng, name)
    return name


#: A synthetic mention as the truth map keys it: role, raw name, address, country, id.
MentionKey = tuple[str, str, str | None, str, str | None]


def synthetic_shipments(
    n_companies: int, mentions_per_company: int = 4, seed: int = 7
) -> tuple[pa.Table, dict[MentionKey, int]]:
    """Shipments naming ``n_companies`` importers and exporters, and the truth.

    Returns the ``shipments`` rows and a map from (role, raw name, address,
    country, id) to the true company number.
    """
    rng = random.Random(seed)
    companies: list[tuple[str, str, str, str | None]] = []
    for i in range(n_companies):
        country = rng.choice(list(_FORMS))
        inn = str(7700000000 + i) if country == "RU" else None
        addr = f"{rng.randint(1, 99)} {rng.choice(_SYLLABLES).capitalize()} Street, {rng.choice(_CITIES[country])}"
        companies.append((_name(rng), country, addr, inn))
    rows: dict[str, list[Any]] = {k: [] for k in ("record_id", "exporter_name", "exporter_address", "exporter_country",
                                             "importer_name", "importer_address", "importer_country", "importer_id")}
    truth: dict[MentionKey, int] = {}
    n = 0
    for i, (core, country, addr, inn) in enumerate(companies):
        for _ in range(mentions_per_company):
            j = rng.randrange(n_companies)
            other = companies[j]
            imp = (_spell(rng, core, country), addr if rng.random() < 0.7 else None, country,
                   inn if rng.random() < 0.6 else None)
            exp = (_spell(rng, other[0], other[1]), other[2] if rng.random() < 0.7 else None, other[1])
            n += 1
            rows["record_id"].append(f"SYN{n:08d}")
            for k, v in zip(("importer_name", "importer_address", "importer_country", "importer_id"), imp, strict=True):
                rows[k].append(v)
            for k, v in zip(("exporter_name", "exporter_address", "exporter_country"), exp, strict=True):
                rows[k].append(v)
            truth[("importer", *imp)] = i
            truth[("exporter", *exp, None)] = j
    size = len(rows["record_id"])
    table = pa.table({
        **rows,
        "date": pa.array([date(2023, 1, 1)] * size, pa.date32()),
        "hs_code": ["845811"] * size,
        "value": pa.array([float(rng.randint(1, 500) * 1000) for _ in range(size)], pa.float64()),
        "source_id": ["synthetic"] * size,
        "line": pa.array(range(1, size + 1), pa.int64()),
        "record_hash": [f"syn-{i}" for i in range(size)],
    })
    return table, truth


#: Kinds of planted pairs in a ``property_warehouse`` and whether resolve must join them.
PLANTED = {
    "same distinctive name, one country": True,
    "legal form before / after": True,
    "Turkish Ltd. Sti. / Limited Sirketi": True,
    "a name of generic words only": False,
    "a distinctive extra word": False,
    "two entries of one list sharing an alias": False,
}
# Planted names use other syllables than the background, so that no background name meets them by chance.
_PLANTED_SYLLABLES = ["zq", "xu", "qor", "vyx", "jyv", "zuk", "wex", "qim"]


def property_warehouse(
    size: int, singleton_share: float, seed: int
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, tuple[str, str]]]:
    """A random warehouse for the linkage properties of issue #14, as rows per contract table.

    ``size`` background parties of which ``singleton_share`` appear once and
    the rest two or three times (spelling noise); then one pair of each
    ``PLANTED`` kind. Returns the rows (``shipments``, ``sanctions``,
    ``sanction_names``) and ``planted``: kind → the two shipment record ids, or
    the two listed entity ids.
    """
    rng = random.Random(seed)
    rows: dict[str, list[dict[str, Any]]] = {"shipments": [], "sanctions": [], "sanction_names": []}

    def ship(record_id: str, importer: str, country: str, address: str | None = None) -> None:
        rows["shipments"].append({
            "record_id": record_id, "date": date(2023, 3, 1), "hs_code": "845811", "exporter_name": "Okuma Corp",
            "exporter_country": "JP", "importer_name": importer, "importer_country": country,
            "importer_address": address, "value": 1000.0, "value_usd": 1000.0, "source_id": "0" * 64,
            "line": len(rows["shipments"]) + 1, "record_hash": f"h-{record_id}",
        })

    for i in range(size):
        country = rng.choice(list(_FORMS))
        name, form = _name(rng), rng.choice(_FORMS[country])
        copies = 1 if rng.random() < singleton_share else rng.randint(2, 3)
        for c in range(copies):
            spelt = f"{name} {rng.choice(_FORMS[country])}" if c else f"{name} {form}"
            ship(f"B{i}-{c}", spelt.upper() if c == 2 else spelt, country)

    def word() -> str:
        return "".join(rng.choice(_PLANTED_SYLLABLES) for _ in range(3)).capitalize()

    planted: dict[str, tuple[str, str]] = {}
    a, b, form_word, tr = word(), word(), word(), word()
    pairs = {
        "same distinctive name, one country": (f"{a} {b} LLC", f"{a.upper()} {b.upper()} LLC", "RU"),
        "legal form before / after": (f"JSC {form_word}", f"{form_word} JSC", "KZ"),
        "Turkish Ltd. Sti. / Limited Sirketi": (f"{tr} Makina Ltd. Sti.", f"{tr.upper()} MAKINA LIMITED SIRKETI", "TR"),
        "a name of generic words only": ("Trade LLC", "TRADE LLC", "RU"),
        "a distinctive extra word": (f"{a}mash", f"{a}mash-Servis", "RU"),
    }
    for kind, (left, right, country) in pairs.items():
        ship(f"P-{kind}-l", left, country)
        ship(f"P-{kind}-r", right, country, address="Office 1")
        planted[kind] = (f"P-{kind}-l", f"P-{kind}-r")
    alias = f"{word()}transgaz".upper()
    for n, form in enumerate(("LLC", "OJSC")):
        entity_id = f"ofac-{90000 + n}"
        rows["sanctions"].append({
            "entity_id": entity_id, "schema": "Organization", "name": f"{alias} {form}", "countries": ["RU"],
            "programs": ["UKRAINE-EO13662"], "topics": ["sanction"], "datasets": ["us_ofac_sdn"],
            "list_name": "us_ofac_sdn", "source_id": "0" * 64, "line": n + 1, "record_hash": f"s-{entity_id}",
        })
        for name, name_type in ((f"{alias} {form}", "primary"), (alias, "alias")):
            rows["sanction_names"].append({"entity_id": entity_id, "name": name, "name_type": name_type})
    planted["two entries of one list sharing an alias"] = ("ofac-90000", "ofac-90001")
    return rows, planted


def check_planted(engine: object, planted: dict[str, tuple[str, str]]) -> dict[str, bool]:
    """Per planted kind, whether resolve treated the pair as ``PLANTED`` says (True: as it should)."""
    out = {}
    for kind, (left, right) in planted.items():
        if left.startswith("ofac-"):
            sql = ("SELECT em.entity_id FROM mentions m JOIN entity_mentions em USING (mention_id) "
                   "WHERE m.source_table = 'sanctions' AND m.source_key = ?")
        else:
            sql = "SELECT importer_entity_id FROM shipment_entities WHERE record_id = ?"
        same = engine.scalar(sql, [left]) == engine.scalar(sql, [right])  # type: ignore[attr-defined]
        out[kind] = same == PLANTED[kind]
    return out
