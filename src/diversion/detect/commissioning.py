"""``commissioning``: a party in one country has a front company elsewhere ship on its order."""

from __future__ import annotations

import json

from diversion.config import Settings
from diversion.detect.context import DetectContext
from diversion.detect.finding import Finding, RecordIds
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.engine import Engine
from diversion.reference import country_name

NAME = "commissioning"


def find(ctx: DetectContext) -> list[Finding]:
    """A party that has a front company ship on its order, and the front that ships for it.

    Read from the network's ``commissioning`` edges (``graph.commissioning``):
    a declaration names the party the goods were shipped for ("by order of X",
    "по поручению X"), or declares a trading country other than the
    exporter's, whose party is then taken to be the importer's supplier in that
    country. Both ends are flagged: the commissioner (it hides its trade
    behind another exporter) and the front (it ships what another party sold).
    Score: ``commissioning_named_score`` (0.8) when a declaration names the
    party, ``commissioning_inferred_score`` (0.5) when it is only inferred from
    the trading country.
    """
    d = ctx.settings.detect
    findings = []
    for e in ctx.rows("""SELECT edge_id, source, target, value_usd, count, first_date, last_date, evidence
                         FROM edges WHERE kind = 'commissioning' ORDER BY edge_id"""):
        ev = json.loads(e["evidence"]) if isinstance(e["evidence"], str) else (e["evidence"] or {})
        named = "named" in ev.get("basis", [])
        score = d.commissioning_named_score if named else d.commissioning_inferred_score
        broker, front = ctx.name(e["source"]), ctx.name(e["target"])
        front_country = ctx.labels.get(e["target"], ("", None))[1]
        buyers = ", ".join(ctx.name(i) for i in ev.get("importers", [])[:3])
        trading = ", ".join(f"{country_name(c) or c} ({c})" for c in ev.get("trading_countries", []))
        value = ev.get("value") if ev.get("currency") == ctx.currency else None
        amount = ctx.money(value) if value is not None else ctx.money(None)
        how = (f"the declarations say \"by order of {ev['named_as'][0]}\"" if named and ev.get("named_as")
               else f"the declared trading country is {trading}")
        period = f"{e['first_date']} to {e['last_date']}"
        facts = {"Commissioner": broker, "Front (exporter)": f"{front} ({front_country or '?'})", "Buyer": buyers,
                 "Shipments": e["count"], "Value": amount, "First and last": period,
                 "Basis": "named in the declaration" if named else "trading country only (inferred)",
                 "Trading country": trading or "not declared"}
        evidence = {**RecordIds(edge_ids=[e["edge_id"]], shipment_ids=ev.get("shipment_ids", [])[:10]),
                    "basis": ev.get("basis", []), "named_as": ev.get("named_as", []), "currency": ctx.currency,
                    "value": value, "value_usd": e["value_usd"], "facts": facts}
        findings.append(Finding(NAME, e["source"], score,
                                f"{broker} had {front} ({front_country or '?'}) ship {amount} of goods to {buyers} "
                                f"on its order ({e['count']} shipment(s), {period}): {how}.",
                                {**evidence, "role": "commissioner", "front": e["target"]}))
        findings.append(Finding(NAME, e["target"], score,
                                f"{front} shipped {amount} of goods to {buyers} on the order of {broker} "
                                f"({e['count']} shipment(s), {period}): {how}.",
                                {**evidence, "role": "front", "commissioner": e["source"]}))
    return findings


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.7, severity="severe",
                    settings=("commissioning_named_score", "commissioning_inferred_score"),
                    title="ships on a third party's order")
