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

(d) linkage properties over random warehouses (hypothesis: sizes, singleton
    shares, seeds; ``resolve.synthetic.property_warehouse``): identical
    distinctive names in one country link, ``JSC X``/``X JSC`` link, Turkish
    ``Ltd. Sti.``/``Limited Sirketi`` link, generic-only names and a distinctive
    extra word (``Xmash``/``Xmash-Servis``) stay apart, two entries of one list
    sharing an alias never merge; counts of examples that hold, per property;
(e) the real 2021 OFAC set (``--ofac DIR``, default ``../shared/real/ofac-2021``):
    loaded strictly (nothing may be quarantined), then screening queries built
    from a fixed sample of its entries: exact, natural order (people),
    transliterated to Cyrillic, typo, legal form moved or changed, an alias;
    recall of the listed entry in the top 3 at ``resolve.screen_threshold``,
    and unlisted look-alikes (the rarest word replaced by an invented one, as
    ``Uralmash`` → ``Urbazedo``) that must find nothing;
(f) the OFAC search fixtures (``--fixtures``, default
    ``../shared/real/screening/nomenklatura_ofac_fixtures.csv``): our screening
    score beside the score OFAC's own search gave, with their rank correlation.

Usage: python benchmarks/er_quality.py [--demo DIR --db WAREHOUSE] [--skip a|b|c|d|e|f] [--examples 12]
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from pathlib import Path

from rapidfuzz import fuzz, utils

from diversion.config import load_settings
from diversion.engine import InProcessLinkage
from diversion.names import name_forms, name_similarity
from diversion.names.similarity import WordWeights
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
    backend = InProcessLinkage()
    started = time.perf_counter()
    # The pairs are not a population (208 unrelated pairs): nothing to estimate
    # from without labels, so they are scored with the documented priors, the
    # model resolve itself uses on small data.
    params = TrainedParams(notes=["documented priors (hard pairs are not a population to train on)"])
    from splink import Linker

    from diversion.resolve.model import settings

    linker = Linker(backend.register(table, "hard"), settings(params.prior, params.levels),
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


# --- (d) properties over random warehouses ------------------------------------------
def properties_part(examples: int) -> None:
    print(f"(d) linkage properties over random warehouses (hypothesis, {examples} examples)")
    import pyarrow as pa
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from diversion.engine import DuckDBEngine
    from diversion.resolve import resolve
    from diversion.resolve.synthetic import PLANTED, check_planted, property_warehouse

    held: Counter[str] = Counter()
    tried: list[tuple[int, float, int]] = []

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(size=st.integers(200, 4000), singleton_share=st.floats(0.3, 1.0), seed=st.integers(0, 100_000))
    def check(size: int, singleton_share: float, seed: int) -> None:
        rows, planted = property_warehouse(size, singleton_share, seed)
        engine = DuckDBEngine(":memory:")
        for table, data in rows.items():
            engine.insert_arrow(table, pa.Table.from_pylist(data))
        resolve(engine, load_settings(environ={}))
        outcome = check_planted(engine, planted)
        engine.close()
        tried.append((size, singleton_share, seed))
        held.update(k for k, ok in outcome.items() if ok)

    check()
    sizes = sorted(s for s, _, _ in tried)
    print(f"  warehouses: {len(tried)}, {sizes[0]:,}-{sizes[-1]:,} background parties, singleton share "
          f"{min(t[1] for t in tried):.2f}-{max(t[1] for t in tried):.2f}")
    for kind, should_link in PLANTED.items():
        print(f"  {'link' if should_link else 'apart':<5} {kind:<44} held in {held[kind]}/{len(tried)}")


# --- (e) the real 2021 OFAC set ----------------------------------------------------
_CYRILLIC = [("shch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"),
             ("ya", "я"), ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"),
             ("i", "и"), ("y", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
             ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"), ("c", "к"), ("w", "в"), ("x", "кс"),
             ("h", "х"), ("q", "к"), ("j", "дж")]


def to_cyrillic(text: str) -> str:
    """A Latin name written in Cyrillic letters, as a Russian clerk might."""
    out, low, i = [], text.lower(), 0
    while i < len(low):
        for latin, cyr in _CYRILLIC:
            if low.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            out.append(low[i])
            i += 1
    return "".join(out).upper()


def _variants(rng, ent, aliases: list[str]) -> list[tuple[str, str]]:  # noqa: ANN001
    """(kind, query) variants of one listed entry that screening must find."""
    name, person = ent.caption, ent.schema == "Person"
    out = [("exact", name)]
    if person and "," in name:
        last, first = name.split(",", 1)
        out.append(("natural order", f"{first.strip()} {last.strip().title()}"))
    words = name.replace(",", " ").split()
    longest = max(words, key=len)
    if len(longest) >= 7:
        i = rng.randrange(1, len(longest) - 1)
        out.append(("typo", name.replace(longest, longest[:i] + longest[i + 1:], 1)))
    if "RU" in ent.countries or any(p.startswith(("RUSSIA", "UKRAINE", "BELARUS")) for p in ent.programs):
        out.append(("transliterated", to_cyrillic(name)))
    if not person and ent.schema in ("Organization", "Company"):
        for a, b in ((" LLC", "OOO "), (" LIMITED", "LTD "), (" JSC", "AO "), (" OAO", "OAO "), (" CO., LTD.", "")):
            if name.upper().endswith(a):
                out.append(("legal form", (b + name[: -len(a)]).strip()))
                break
        else:
            out.append(("legal form", f"{name} LLC"))
    if aliases:
        out.append(("alias", rng.choice(aliases)))
    return out


def _look_alike(rng, name: str, weights) -> str | None:  # noqa: ANN001
    """``name`` with its rarest word (highest IDF over the list) replaced by an invented one: another party."""
    words = [w for w in name.replace(",", " ").split() if w.isalpha() and len(w) >= 5]
    if not words:
        return None
    rarest = max(words, key=lambda w: (weights.weight(w.lower()), w))
    other = rarest[:2] + "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))
    return name.replace(rarest, other.upper(), 1)


def ofac_part(folder: Path, threshold: float, sample: int) -> None:
    print(f"(e) real lists: OFAC SDN 2021 ({folder}), screening at score >= {threshold}")
    import random
    import tempfile

    from diversion.engine import DuckDBEngine
    from diversion.resolve.screening import build_index
    from diversion.sources import ingest_file

    files = [folder / f for f in ("sdn.csv", "alt.csv", "add.csv")]
    if not all(f.is_file() for f in files):
        print(f"  skipped: {folder} lacks sdn.csv, alt.csv, add.csv")
        return
    with tempfile.TemporaryDirectory() as tmp:
        engine = DuckDBEngine(Path(tmp) / "ofac.duckdb")
        for f in files:
            r = ingest_file(engine, "sanctions", f, strict=True)  # raises on any quarantined row
            print(f"  {f.name}: read {r.rows_read:,}, loaded {r.rows_loaded:,} (empty placeholders "
                  f"{r.rows_empty:,}), duplicate {r.rows_duplicate:,}, quarantined {r.rows_quarantined}")
        weak = engine.scalar("SELECT count(*) FROM sanction_names WHERE name_type = 'weak'")
        print(f"  weak aliases: {weak:,}; identifiers: {engine.count('sanction_identifiers'):,}")
        aliases: dict[str, list[str]] = {}
        for eid, name in engine.fetch_all("SELECT entity_id, name FROM sanction_names WHERE name_type = 'alias'"):
            aliases.setdefault(eid, []).append(name)
        started = time.perf_counter()
        index = build_index(engine)
        built = time.perf_counter() - started
        print(f"  index: {len(index):,} names of {len(index.entities):,} entries ({built:.1f} s)")
        engine.close()
    rng = random.Random(14)
    picked = rng.sample([e for e in index.entities if e.schema in ("Person", "Organization", "Company")], sample)
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses: list[str] = []
    look_alikes = matched_look_alikes = 0
    listed_names = {n.upper() for e in index.entities for n, _ in e.names}
    started = time.perf_counter()
    queries = 0
    for ent in picked:
        for kind, query in _variants(rng, ent, aliases.get(ent.entity_id, [])):
            hits = index.search(query, threshold=threshold, limit=3)
            queries += 1
            total[kind] += 1
            if any(h.sanction_entity_id == ent.entity_id for h in hits):
                found[kind] += 1
            elif len(misses) < 8:
                misses.append(f"{kind}: {query!r} -> {ent.caption!r}")
        other = _look_alike(rng, ent.caption, index.weights)
        if other and other.upper() not in listed_names:
            look_alikes += 1
            queries += 1
            wrong = index.search(other, threshold=threshold, limit=1)
            if wrong:
                matched_look_alikes += 1
                if len(misses) < 16:
                    misses.append(f"look-alike: {other!r} -> {wrong[0].caption!r} {wrong[0].score}")
    seconds = time.perf_counter() - started
    recall = sum(found.values()) / sum(total.values())
    print(f"  {len(picked)} entries, {queries:,} queries ({queries / seconds:,.0f}/s)")
    for kind in sorted(total):
        print(f"    {kind:<15} recall {found[kind] / total[kind]:.3f} ({found[kind]}/{total[kind]})")
    print(f"  recall (listed entry in the top 3): {recall:.3f}  target >= 0.95: "
          f"{'met' if recall >= 0.95 else 'NOT met'}")
    print(f"  unlisted look-alikes matched: {matched_look_alikes}/{look_alikes}  target 0: "
          f"{'met' if matched_look_alikes == 0 else 'NOT met'}")
    for m in misses:
        print(f"    wrong: {m}")


# --- (f) OFAC's own search scores ----------------------------------------------------
def fixtures_part(path: Path, threshold: float) -> None:
    print(f"(f) OFAC search fixtures ({path}): our screening score beside OFAC's")
    if not path.is_file():
        print("  skipped: file not found")
        return
    from diversion.resolve.screening import ListedEntity, ScreeningIndex

    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    results = sorted({r["result_name"] for r in rows})
    # a listed name "LAST, First" is a person (OFAC writes people so); the rest organisations
    index = ScreeningIndex([ListedEntity(str(i), "Person" if "," in n else "Organization", n, names=[(n, "primary")])
                            for i, n in enumerate(results)])
    ids = {n: str(i) for i, n in enumerate(results)}
    ours, theirs = [], []
    for r in rows:
        hits = {h.sanction_entity_id: h.score for h in index.search(r["query_name"], threshold=0.0, limit=50)}
        ours.append(hits.get(ids[r["result_name"]], 0.0))
        theirs.append(float(r["ofac_score"]) / 100)

    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        out = [0.0] * len(values)
        for rank, i in enumerate(order):
            out[i] = rank
        return out

    ro, rt = ranks(ours), ranks(theirs)
    mo, mt = sum(ro) / len(ro), sum(rt) / len(rt)
    cov = sum((a - mo) * (b - mt) for a, b in zip(ro, rt, strict=True))
    rho = cov / ((sum((a - mo) ** 2 for a in ro) * sum((b - mt) ** 2 for b in rt)) ** 0.5)
    full = [o for o, t in zip(ours, theirs, strict=True) if t >= 1.0]
    print(f"  {len(rows)} query/result pairs; Spearman rank correlation with OFAC's score: {rho:.2f}")
    print(f"  pairs OFAC scores 100: {len(full)}, ours >= {threshold} on {sum(o >= threshold for o in full)}")
    print(f"  pairs OFAC scores < 90: {sum(t < 0.9 for t in theirs)}, ours >= {threshold} on "
          f"{sum(o >= threshold for o, t in zip(ours, theirs, strict=True) if t < 0.9)}")
    for r, o in list(zip(rows, ours, strict=True))[:6]:
        print(f"    {r['query_name']!r} ~ {r['result_name']!r}: OFAC {r['ofac_score']}, ours {o:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", type=Path, help="demo folder holding truth/mentions.csv")
    parser.add_argument("--db", type=Path, help="the demo warehouse after `diversion resolve`")
    # ../shared/real beside the checkout (or a worktree of it)
    real = next((d / "shared" / "real" for d in Path(__file__).resolve().parents if (d / "shared" / "real").is_dir()),
                Path("shared/real"))
    parser.add_argument("--ofac", type=Path, default=real / "ofac-2021", help="folder of the OFAC legacy CSV set")
    parser.add_argument("--fixtures", type=Path, default=real / "screening" / "nomenklatura_ofac_fixtures.csv")
    parser.add_argument("--examples", type=int, default=12, help="random warehouses of part (d)")
    parser.add_argument("--sample", type=int, default=600, help="OFAC entries screened in part (e)")
    parser.add_argument("--skip", choices=list("abcdef"), action="append", default=[], help="skip a part")
    args = parser.parse_args()
    settings = load_settings()
    if "a" not in args.skip:
        demo_part(args.demo, args.db)
    if "b" not in args.skip:
        hard_part(settings.resolve.link_threshold)
    if "c" not in args.skip:
        nomenklatura_part(settings.resolve.screen_threshold)
    if "d" not in args.skip:
        properties_part(args.examples)
    if "e" not in args.skip:
        ofac_part(args.ofac, settings.resolve.screen_threshold, args.sample)
    if "f" not in args.skip:
        fixtures_part(args.fixtures, settings.resolve.screen_threshold)


if __name__ == "__main__":
    main()
