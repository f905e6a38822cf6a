"""Entity-resolution quality: pairwise precision, recall and F1, side by side with baselines.

Three parts, each in one run:

(a) the demo's truth (``--demo DIR``: a demo folder with ``truth/mentions.csv``
    and a resolved warehouse ``--db``); skipped with a message when not given;
(b) the hand-made hard pairs in ``tests/data/er/hard_pairs.csv`` (diversion's
    Splink model with its documented priors, at ``resolve.link_threshold``)
    vs a rapidfuzz ``token_set_ratio`` baseline at
    its best threshold;
(c) the OpenSanctions name-pair cases (``tests/data/er/nomenklatura_name_cases.csv``):
    diversion's name score (and the screening score, which also weighs words by
    rarity) at ``resolve.screen_threshold`` vs nomenklatura's
    current ``DefaultAlgorithm`` at 0.70 (yente's default match threshold), all
    rows and Company/Organization/LegalEntity rows apart. Best-threshold F1 of
    both is printed too, for information.

Usage: python benchmarks/er_quality.py [--demo DIR --db WAREHOUSE]
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from pathlib import Path

from rapidfuzz import fuzz, utils

from diversion.config import load_settings
from diversion.names import name_forms, name_similarity
from diversion.names.similarity import WordWeights
from diversion.resolve.backends import db_api
from diversion.resolve.clustering import UNIQUE_SCHEMES
from diversion.resolve.linkage_input import linkage_table
from diversion.resolve.mentions import mentions_frame
from diversion.resolve.training import TrainedParams

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "er"
ORG_SCHEMATA = {"Company", "Organization", "LegalEntity"}


def prf(pred: list[bool], gold: list[bool]) -> tuple[float, float, float]:
    """Precision, recall, F1 of boolean decisions."""
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def best_threshold(scores: list[float], gold: list[bool]) -> tuple[float, tuple[float, float, float]]:
    """The cut-off on ``scores`` with the best F1."""
    best = (0.0, (0.0, 0.0, 0.0))
    for t in sorted(set(scores)):
        result = prf([s >= t for s in scores], gold)
        if result[2] > best[1][2]:
            best = (t, result)
    return best


def row(label: str, result: tuple[float, float, float], extra: str = "") -> str:
    p, r, f = result
    return f"  {label:<44} P={p:.3f} R={r:.3f} F1={f:.3f} {extra}"


# --- (a) demo truth ---------------------------------------------------------------
def demo_part(demo: Path | None, db: Path | None) -> None:
    print("(a) demo truth")
    truth_file = demo / "truth" / "mentions.csv" if demo else None
    if truth_file is None or not truth_file.is_file() or db is None or not db.is_file():
        print("  skipped: give --demo DIR (with truth/mentions.csv) and --db (the demo warehouse after resolve)")
        return
    from diversion.engine import open_engine

    engine = open_engine(db, read_only=True)
    ship = {}
    sql = "SELECT record_id, exporter_entity_id, importer_entity_id FROM shipment_entities"
    for rid, ex, im in engine.fetch_all(sql):
        ship[(rid, "exporter")], ship[(rid, "importer")] = ex, im
    by_key = {}
    for key, role, eid in engine.fetch_all(
        "SELECT m.source_key, m.role, em.entity_id FROM mentions m JOIN entity_mentions em USING (mention_id)"
    ):
        by_key[(str(key), role)] = eid
        by_key.setdefault((str(key), None), eid)
    pred, gold, missing = [], [], 0
    with truth_file.open(encoding="utf-8") as fh:
        for t in csv.DictReader(fh):
            eid = ship.get((t["source_key"], t["role"])) or by_key.get((t["source_key"], t["role"])) \
                or by_key.get((t["source_key"], None))
            if eid is None:
                missing += 1
                continue
            pred.append(eid)
            gold.append(t["true_entity_id"])
    engine.close()
    # pairwise counts from the contingency table (no quadratic loop)
    def pairs(counter: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    tp = pairs(Counter(zip(pred, gold, strict=True)))
    pp, tt = pairs(Counter(pred)), pairs(Counter(gold))
    p, r = (tp / pp if pp else 0.0), (tp / tt if tt else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    print(row("diversion resolve (pairwise, all truth rows)", (p, r, f), f"rows={len(pred):,} unmatched={missing:,}"))
    print(f"  target F1 >= 0.95: {'met' if f >= 0.95 else 'NOT met'}")


# --- (b) hard pairs ---------------------------------------------------------------
def _mention(side: dict[str, str], pid: str) -> dict:
    ident = side["id"] or None
    return {
        "mention_id": pid, "name": side["name"], "schema": "Company",
        "aliases": [a for a in side["aliases"].split("|") if a] if side["aliases"] else [],
        "countries": [side["country"]] if side["country"] else [], "address": side["address"] or None,
        "identifiers": [ident] if ident else [], "domain": side["domain"] or None,
    }


def hard_part(threshold: float) -> None:
    print("(b) hand-made hard pairs (tests/data/er/hard_pairs.csv)")
    with (DATA / "hard_pairs.csv").open(encoding="utf-8") as fh:
        pairs = list(csv.DictReader(fh))
    left = [_mention({k[5:]: v for k, v in p.items() if k.startswith("left_")}, f"m-{p['pair_id']}-l") for p in pairs]
    right = [_mention({k[6:]: v for k, v in p.items() if k.startswith("right_")}, f"m-{p['pair_id']}-r") for p in pairs]
    table = linkage_table(mentions_frame(left + right))
    rows = {r["unique_id"]: r for r in table.to_pylist()}
    api = db_api("duckdb")
    started = time.perf_counter()
    # The pairs are not a population (208 unrelated pairs): nothing to estimate
    # from without labels, so they are scored with the documented priors, the
    # model resolve itself uses on small data.
    params = TrainedParams(notes=["documented priors (hard pairs are not a population to train on)"])
    from splink import Linker

    from diversion.resolve.backends import register
    from diversion.resolve.model import settings

    linker = Linker(register(api, table, "hard"), settings(params.prior, params.levels),
                    log_level=40)
    scored = linker.inference.score_pairs([rows[m["mention_id"]] for m in left],
                                          [rows[m["mention_id"]] for m in right]).as_pandas_dataframe()
    prob = {(a, b): p for a, b, p in zip(scored["unique_id_l"], scored["unique_id_r"], scored["match_probability"],
                                         strict=True)}
    gold = [p["same"] == "true" for p in pairs]
    ours = []
    for lm, rm in zip(left, right, strict=True):
        p = prob.get((lm["mention_id"], rm["mention_id"]), prob.get((rm["mention_id"], lm["mention_id"]), 0.0))
        ours.append(p >= threshold and not _id_conflict(lm, rm))
    elapsed = time.perf_counter() - started
    base_scores = [fuzz.token_set_ratio(p["left_name"], p["right_name"], processor=utils.default_process)
                   for p in pairs]
    cut, base = best_threshold(base_scores, gold)
    ours_result = prf(ours, gold)
    print(row(f"diversion (Splink, {params.method}, p>={threshold})", ours_result, f"({elapsed:.1f} s)"))
    print(row(f"rapidfuzz token_set_ratio (best cut {cut:.0f})", base))
    for cat in sorted({p["category"] for p in pairs}):
        idx = [i for i, p in enumerate(pairs) if p["category"] == cat]
        acc_ours = sum(ours[i] == gold[i] for i in idx) / len(idx)
        acc_base = sum((base_scores[i] >= cut) == gold[i] for i in idx) / len(idx)
        print(f"    {cat:<18} n={len(idx):>3}  accuracy ours={acc_ours:.2f} baseline={acc_base:.2f}")
    print(f"  F1 gain over baseline: {ours_result[2] - base[2]:+.3f}  (model notes: {'; '.join(params.notes) or '-'})")


def _id_conflict(a: dict, b: dict) -> bool:
    ids_a = {i.split(":", 1)[0]: i for i in a["identifiers"]}
    ids_b = {i.split(":", 1)[0]: i for i in b["identifiers"]}
    return any(s in ids_b and ids_a[s] != ids_b[s] and s in UNIQUE_SCHEMES | {"reg"} for s in ids_a)


# --- (c) nomenklatura cases -------------------------------------------------------
def nomenklatura_part(threshold: float) -> None:
    print("(c) OpenSanctions name cases (tests/data/er/nomenklatura_name_cases.csv, 818 pairs, MIT)")
    with (DATA / "nomenklatura_name_cases.csv").open(encoding="utf-8") as fh:
        cases = list(csv.DictReader(fh))
    gold = [c["is_match"] == "true" for c in cases]
    started = time.perf_counter()
    ours = [name_similarity(name_forms(c["name1"], c["schema"]), name_forms(c["name2"], c["schema"])).score
            for c in cases]
    ours_s = time.perf_counter() - started
    # The screening score: the same, capped by a rarity-weighted word match (IDF over the cases' names).
    df: Counter[str] = Counter()
    for c in cases:
        for name in (c["name1"], c["name2"]):
            df.update(set(name_forms(name, c["schema"]).tokens))
    weights = WordWeights.from_counts(df, 2 * len(cases))
    screening = [
        name_similarity(name_forms(c["name1"], c["schema"]), name_forms(c["name2"], c["schema"]), weights).score
        for c in cases
    ]
    try:
        from followthemoney import model
        from nomenklatura.matching import DefaultAlgorithm, ScoringConfig
    except ImportError:
        print("  nomenklatura not installed (pip install 'diversion[bench]'): our numbers only")
        DefaultAlgorithm = None  # noqa: N806
    theirs: list[float] = []
    nk_s = 0.0
    if DefaultAlgorithm is not None:
        config = ScoringConfig.defaults()
        started = time.perf_counter()
        for i, c in enumerate(cases):
            ents = []
            for j, name in enumerate((c["name1"], c["name2"])):
                e = model.make_entity(c["schema"])
                e.id = f"case-{i}-{j}"
                e.add("name", name)
                ents.append(e)
            theirs.append(DefaultAlgorithm.compare(ents[0], ents[1], config).score)
        nk_s = time.perf_counter() - started
    subsets = {"all rows": range(len(cases)),
               "Company/Organization/LegalEntity": [i for i, c in enumerate(cases) if c["schema"] in ORG_SCHEMATA]}
    for label, idx in subsets.items():
        idx = list(idx)
        g = [gold[i] for i in idx]
        print(f"  {label} (n={len(idx)})")
        mine = prf([ours[i] >= threshold for i in idx], g)
        print(row(f"diversion name score >= {threshold}", mine, f"({ours_s * 1000 / len(cases):.2f} ms/pair)"))
        print(row(f"diversion screening score >= {threshold}", prf([screening[i] >= threshold for i in idx], g),
                  "(rarity-weighted words: stricter on short words)"))
        if theirs:
            nk = prf([theirs[i] >= 0.7 for i in idx], g)
            print(row(f"nomenklatura {DefaultAlgorithm.NAME} >= 0.70", nk, f"({nk_s * 1000 / len(cases):.2f} ms/pair)"))
            print(f"    F1 difference (ours - nomenklatura): {(mine[2] - nk[2]) * 100:+.1f} points")
            tb, rb = best_threshold([theirs[i] for i in idx], g)
            print(row(f"  (info) nomenklatura at its best cut {tb:.2f}", rb))
        to, ro = best_threshold([ours[i] for i in idx], g)
        print(row(f"  (info) diversion at its best cut {to:.2f}", ro))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", type=Path, help="demo folder holding truth/mentions.csv")
    parser.add_argument("--db", type=Path, help="the demo warehouse after `diversion resolve`")
    parser.add_argument("--skip", choices=["a", "b", "c"], action="append", default=[], help="skip a part")
    args = parser.parse_args()
    settings = load_settings()
    if "a" not in args.skip:
        demo_part(args.demo, args.db)
    if "b" not in args.skip:
        hard_part(settings.resolve.link_threshold)
    if "c" not in args.skip:
        nomenklatura_part(settings.resolve.screen_threshold)


if __name__ == "__main__":
    main()
