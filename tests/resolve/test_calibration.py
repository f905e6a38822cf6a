"""Linkage that does not depend on how many singletons the warehouse holds (issue #14).

A warehouse where most parties appear once: the trained prior is tiny, and before
the same-name calibration two mentions with the same distinctive name in one
country stayed apart (p ≈ 0.07).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.resolve import resolve
from diversion.resolve.explain import explain_pair
from tests.resolve.conftest import Case

SYLLABLES = ["ka", "ro", "mi", "ta", "lo", "ven", "dor", "zel", "pra", "nik", "sto", "gar", "bel", "tru", "vos"]

#: Pairs of importer names (record ids X1..) that must be one party, and pairs that must not.
SAME = [("Zarnovikt Instruments LLC", "ZARNOVIKT INSTRUMENTS LLC"), ("JSC Prombelvost", "Prombelvost JSC"),
        ("Kartelmash Makina Sanayi Ve Ticaret Ltd. Sti.", "KARTELMASH MAKINA SANAYI VE TICARET LIMITED SIRKETI"),
        ("ОсОО Айсберг", "Aisberg OSOO")]
APART = [("Trade LLC", "Trade LLC"), ("Uralmash", "Uralmash-Servis")]


def singleton_warehouse(case: Case, singletons: int, seed: int = 1) -> None:
    """``singletons`` unrelated shipments (distinct made-up names), then the pairs above, each side once."""
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()

    for i in range(singletons):
        case.shipment(f"S{i}", f"{word()} {word()} Co Ltd", f"{word()} {rng.choice(['LLC', 'OOO', 'JSC'])}",
                      exporter_country="CN")
    for k, (a, b) in enumerate(SAME + APART):
        country = "TR" if "Sti" in a else "KG" if "Айсберг" in a else "RU"
        case.shipment(f"X{k}a", "Foo Corp", a, exporter_country="CN", importer_country=country)
        case.shipment(f"X{k}b", "Bar Corp", b, exporter_country="CN", importer_country=country,
                      importer_address=f"street {k}")


@pytest.fixture(scope="module")
def resolved_singletons() -> Iterator[DuckDBEngine]:
    from diversion.config import load_settings

    engine = DuckDBEngine(":memory:")
    singleton_warehouse(Case(engine), 600)
    resolve(engine, load_settings(environ={}))
    yield engine
    engine.close()


def _importer(engine: DuckDBEngine, record_id: str) -> str:
    return engine.scalar("SELECT importer_entity_id FROM shipment_entities WHERE record_id = ?", [record_id])


@pytest.mark.parametrize("k", range(len(SAME)))
def test_same_distinctive_name_in_one_country_links(resolved_singletons: DuckDBEngine, k: int) -> None:
    assert _importer(resolved_singletons, f"X{k}a") == _importer(resolved_singletons, f"X{k}b"), SAME[k]


@pytest.mark.parametrize("k", range(len(APART)))
def test_common_name_and_extra_word_stay_apart(resolved_singletons: DuckDBEngine, k: int) -> None:
    k += len(SAME)
    assert _importer(resolved_singletons, f"X{k}a") != _importer(resolved_singletons, f"X{k}b")


def test_explain_shows_the_calibrated_same_name(resolved_singletons: DuckDBEngine, settings: Settings) -> None:
    ids = [r[0] for r in resolved_singletons.fetch_all(
        "SELECT mention_id FROM mentions WHERE name IN ('JSC Prombelvost', 'Prombelvost JSC') ORDER BY name")]
    lines = "\n".join(explain_pair(resolved_singletons, *ids).lines())
    assert "same name (expected other parties with this name:" in lines and "one entity by the model" in lines
