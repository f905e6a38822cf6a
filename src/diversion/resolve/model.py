"""The Splink linkage model: blocking, comparisons, documented priors, training.

Comparisons (each level's prior m/u is the fallback when the data cannot
train the model; see ``train``):

- **name**: the best pair of the two mentions' names, after normalisation
  (``diversion.names``): same name, weighed by how common the name is
  (a term-frequency adjustment, ``same_name_lookup``); same letters or same
  words in another order;
  a distinctive word differs (the names share a word, and each has a word the
  other lacks that is no typo of the other's: sibling firms such as ``Foshan
  Weida Hardware`` / ``Foshan Weida Technology``; counts against a match);
  very similar spelling (Jaro-Winkler ≥ 0.95) or same sound (metaphone);
  similar spelling (Jaro-Winkler ≥ 0.88); all words (two or more) of one name
  found in the other; different. Other spellings of one name (reordered,
  very similar, similar) weigh no more than the commoner name's rarity allows
  (``COMMONNESS_CAPPED``).
- **country**: a country in common; none in common.
- **address**: near-identical address (Jaro-Winkler ≥ 0.92 on rigour's address
  fingerprint, with the same house and postal numbers); three words in common; one word in common (same city or
  street); nothing in common.
- **identifiers**: an identifier in common (INN, OGRN, registration number,
  a list's entry id...); different numbers in the same register (INN, OGRN,
  LEI, IMO, OKPO; registration, tax and VAT numbers of the same country).
  Identifiers from different registers, and record ids (``referent``: a
  list's own entry id), never count against a match.
- **domain**: same web domain; different domains.

Missing values are neutral (Splink's null level), and so is a web site's claimed
country or address that disagrees (a claim counts for a match, never against). People are compared only with
people, organisations with organisations, vessels and aircraft with assets (part of the blocking rule).
Two entries of one list are never one party (``clustering``): the model does not weigh lists.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

#: Prior probability that two mentions drawn at random are the same party.
PRIOR_MATCH_PROBABILITY = 0.002

# (label, m, u) per non-null level, most specific first; the last is "anything else".
PRIORS: dict[str, list[tuple[str, float, float]]] = {
    "name": [
        ("same name", 0.55, 0.0005),
        ("same letters or same words reordered", 0.12, 0.0003),
        ("a distinctive word differs", 0.003, 0.03),
        ("very similar spelling or same sound", 0.16, 0.0002),
        ("similar spelling", 0.08, 0.001),
        ("all words of one name in the other", 0.04, 0.0005),
        ("different names", 0.047, 0.968),
    ],
    "country": [("same country", 0.92, 0.15), ("different countries", 0.08, 0.85)],
    "address": [
        ("same address", 0.45, 0.0005),
        ("three address words in common", 0.2, 0.005),
        ("an address word in common", 0.2, 0.1),
        ("different addresses", 0.15, 0.8945),
    ],
    "identifiers": [("an identifier in common", 0.97, 0.00001), ("different identifiers", 0.03, 0.99999)],
    "domain": [("same domain", 0.9, 0.00001), ("different domains", 0.1, 0.99999)],
}


#: Jaro-Winkler similarity of two names at or above which they are "very similar" / "similar" spellings.
NAME_VERY_SIMILAR, NAME_SIMILAR = 0.95, 0.88
#: Jaro-Winkler similarity of two address fingerprints from which (with the same numbers) they are one address.
ADDRESS_SAME = 0.92
#: Address words (longer than two letters) two addresses share at the "three address words in common" level.
ADDRESS_WORDS = 3

# One primary name's words (two or more) all appear in the other's: "ELE Technology" / "Shenzhen ELE Technology".
_CONTAINED = (
    'array_length(array_intersect("name_tokens_l", "name_tokens_r")) = '
    'least(array_length("name_tokens_l"), array_length("name_tokens_r")) '
    'AND least(array_length("name_tokens_l"), array_length("name_tokens_r")) >= 2'
)

# The words only one name has, per side (tokens of the primary names).
_EXTRA_L = 'list_filter("name_tokens_l", t -> NOT list_contains("name_tokens_r", t))'
_EXTRA_R = 'list_filter("name_tokens_r", t -> NOT list_contains("name_tokens_l", t))'


def _unmatched(extra: str, other: str) -> str:
    """SQL: ``extra`` holds a word with no near-spelling (a typo away) among ``other``'s words."""
    close = "levenshtein(x, y) <= CASE WHEN least(length(x), length(y)) >= 8 THEN 2 ELSE 1 END"
    return f"array_length(list_filter({extra}, x -> array_length(list_filter({other}, y -> {close})) = 0)) >= 1"


# Sibling firms: "Foshan Weida Hardware" / "Foshan Weida Technology" share words, and each has a word the
# other lacks that is not a typo of any of the other's words. Whole-name Jaro-Winkler rates such names
# "very similar"; this level, tested before it, counts them against a match.
DISTINCT_WORD = (
    'array_length(array_intersect("name_tokens_l", "name_tokens_r")) >= 1 '
    f"AND {_unmatched(_EXTRA_L, _EXTRA_R)} AND {_unmatched(_EXTRA_R, _EXTRA_L)}"
)
#: Name levels that count against a match: left out of the "closer weighs more" check of training.
NEGATIVE_LEVELS = frozenset({"a distinctive word differs"})

#: The column whose values carry the same-name calibration (Splink's term-frequency lookup).
SAME_NAME_COLUMN = "name_key"

# A web site's claimed country or address that disagrees is treated as missing, not as evidence against.
_NO_COUNTRY_IN_COMMON = 'array_length(array_intersect("countries_l", "countries_r")) = 0'
_NO_ADDRESS_WORD_IN_COMMON = 'array_length(array_intersect("address_tokens_l", "address_tokens_r")) = 0'


# "No 882 Xinke Rd" and "No 880 Xinda Rd" are near-identical strings on different plots: a near-identical
# address must also carry the same house, building and postal numbers. (``[^0-9]+``, not ``[^0-9]``: the same
# digits, a run of other characters removed at a time: seven times faster.)
_SAME_NUMBERS = (
    "regexp_replace(\"address_fp_l\", '[^0-9]+', '', 'g') = regexp_replace(\"address_fp_r\", '[^0-9]+', '', 'g')"
)

# Identifiers that share no register (an OFAC entry id and an OpenSanctions id, an INN and a Dutch KvK
# number) cannot disagree: neutral. Only a register in common with different numbers counts against.
_NOT_COMPARABLE = (
    'array_length(array_intersect("identifiers_l", "identifiers_r")) = 0 '
    'AND array_length(array_intersect("id_schemes_l", "id_schemes_r")) = 0'
)


def _unless_claimed(null: Any, disagree: str) -> Any:
    """The null level, widened to: one side is a claim (web site) and the values disagree."""
    claim = cll.CustomLevel(f'("claimed_l" OR "claimed_r") AND {disagree}', base_dialect_str="duckdb")
    return cll.Or(null, claim)


Levels = dict[str, dict[str, tuple[float, float]]]

#: Other spellings of the same name, whose weight the names' commonness caps (``calibrated``): "Trade" and
#: "Traeta" sound alike, but a near-spelling of a name many firms bear says no more than that name itself does.
#: ("All words of one name in the other" is not another spelling of one name: not capped.)
COMMONNESS_CAPPED = frozenset({
    ("name", "same letters or same words reordered"), ("name", "very similar spelling or same sound"),
    ("name", "similar spelling"),
})


def level_m_u(params: Levels | None) -> dict[str, dict[str, tuple[float, float]]]:
    """Every level's m and u as the model uses them: trained where ``params`` has the level, else the prior."""
    return {name: {label: (params[name][label] if params and label in params.get(name, {}) else (m, u))
                   for label, m, u in levels} for name, levels in PRIORS.items()}


def _levels(name: str, conditions: list[Any], null: Any, params: Levels | None,
            calibrated: bool = False) -> cl.CustomComparison:
    levels = [null.configure(is_null_level=True, label_for_charts="missing")]
    m_u = level_m_u(params)[name]
    for condition, (label, _, _) in zip(conditions, PRIORS[name], strict=True):
        m, u = m_u[label]
        if calibrated and (name, label) == ("name", "same name"):
            # Splink adds log2(u) - log2(tf) to this level's weight log2(m/u): the weight becomes log2(m / tf),
            # tf from the lookup ``same_name_lookup`` registers (never from the data's own name counts).
            condition = condition.configure(tf_adjustment_column=SAME_NAME_COLUMN, tf_adjustment_weight=1.0,
                                            disable_tf_exact_match_detection=True)
        elif calibrated and (name, label) in COMMONNESS_CAPPED:
            # The same lookup, with tf never below this level's u: the adjustment log2(u) - log2(max(tf_l, tf_r, u))
            # only lowers the weight, to log2(m / tf) when the commoner name's tf exceeds u.
            condition = condition.configure(tf_adjustment_column=SAME_NAME_COLUMN, tf_adjustment_weight=1.0,
                                            disable_tf_exact_match_detection=True, tf_minimum_u_value=u)
        levels.append(condition.configure(m_probability=m, u_probability=u, label_for_charts=label))
    return cl.CustomComparison(comparison_levels=levels, output_column_name=name, comparison_description=name)


def same_name_tf(commonness: float, prior: float) -> float:
    """The term frequency that calibrates the same-name level: prior and same name then weigh log2(m / r).

    ``r`` = ``commonness`` (``names.rarity``), the expected number of other
    parties bearing the name. Splink's total is log2(λ/(1-λ)) + log2(m) -
    log2(tf); with tf = r·λ/(1-λ) the data's size and singleton share (which
    set λ) cancel out: a name no other party uses links on the same name and
    country, a name many firms bear does not.

    >>> round(same_name_tf(0.01, 0.5), 6)
    0.01
    """
    return min(1.0, commonness * prior / (1.0 - prior))


def comparisons(params: Levels | None = None, calibrated: bool = False) -> list[cl.CustomComparison]:
    """The five comparisons, with trained m/u values where given, else the priors.

    ``calibrated``: the same-name level is term-frequency adjusted (predict and
    explain, which register the lookup); training leaves it plain.
    """
    jw = cll.PairwiseStringDistanceFunctionLevel
    return [
        _levels("name", [
            cll.ArrayIntersectLevel("names_core", 1),
            cll.Or(cll.ArrayIntersectLevel("names_compact", 1), cll.ArrayIntersectLevel("names_sorted", 1)),
            cll.CustomLevel(DISTINCT_WORD, base_dialect_str="duckdb"),
            cll.Or(jw("names_core", "jaro_winkler", NAME_VERY_SIMILAR), cll.ArrayIntersectLevel("names_phonetic", 1)),
            jw("names_core", "jaro_winkler", NAME_SIMILAR),
            cll.CustomLevel(_CONTAINED, base_dialect_str="duckdb"),
            cll.ElseLevel(),
        ], cll.NullLevel("names_core"), params, calibrated),
        _levels("country", [cll.ArrayIntersectLevel("countries", 1), cll.ElseLevel()],
                _unless_claimed(cll.NullLevel("countries"), _NO_COUNTRY_IN_COMMON), params),
        _levels("address", [
            cll.And(cll.JaroWinklerLevel("address_fp", ADDRESS_SAME),
                    cll.CustomLevel(_SAME_NUMBERS, base_dialect_str="duckdb")),
            cll.ArrayIntersectLevel("address_tokens", ADDRESS_WORDS),
            cll.ArrayIntersectLevel("address_tokens", 1),
            cll.ElseLevel(),
        ], _unless_claimed(cll.Or(cll.NullLevel("address_fp"), cll.NullLevel("address_tokens")),
                           _NO_ADDRESS_WORD_IN_COMMON), params),
        _levels("identifiers", [cll.ArrayIntersectLevel("identifiers", 1), cll.ElseLevel()],
                cll.Or(cll.NullLevel("identifiers"), cll.CustomLevel(_NOT_COMPARABLE, base_dialect_str="duckdb")),
                params),
        _levels("domain", [cll.ExactMatchLevel("domain"), cll.ElseLevel()], cll.NullLevel("domain"), params),
    ]


# What must hold for a pair to reach each level (``resolve.candidates`` bounds a pair's match weight with it).
# SQL over the candidate columns of both sides (``l.``/``r.``): the comparison columns, ``core1``, a
# mention's only name (``names_core[1]``; NULL when it has several names or none: such pairs are never pruned),
# and ``address_numbers``, a hash of its address's digits (``_SAME_NUMBERS``: equal numbers hash alike).
# A level that is not listed can always be reached; so can the null level (weight 0). Keep these in step
# with ``comparisons``: ``tests/resolve/test_candidates.py`` checks that no pair Splink scores exceeds them.
_JW_NAME = "jaro_winkler_similarity(l.core1, r.core1)"
NECESSARY: dict[str, dict[str, str]] = {
    "name": {
        "same name": "l.core1 = r.core1",
        "same letters or same words reordered": "list_has_any(l.names_compact, r.names_compact) "
                                                "OR list_has_any(l.names_sorted, r.names_sorted)",
        "very similar spelling or same sound": f"{_JW_NAME} >= {NAME_VERY_SIMILAR} "
                                               "OR list_has_any(l.names_phonetic, r.names_phonetic)",
        "similar spelling": f"{_JW_NAME} >= {NAME_SIMILAR}",
        "all words of one name in the other": "least(len(l.name_tokens), len(r.name_tokens)) >= 2 AND "
        "(list_has_all(l.name_tokens, r.name_tokens) OR list_has_all(r.name_tokens, l.name_tokens))",
    },
    "country": {"same country": "list_has_any(l.countries, r.countries)"},
    "address": {
        # The numbers first: one integer comparison spares most pairs the string comparison.
        "same address": "l.address_numbers = r.address_numbers AND "
                        f"jaro_winkler_similarity(l.address_fp, r.address_fp) >= {ADDRESS_SAME}",
        "three address words in common": f"len(list_intersect(l.address_tokens, r.address_tokens)) >= {ADDRESS_WORDS}",
        "an address word in common": "list_has_any(l.address_tokens, r.address_tokens)",
    },
    "identifiers": {"an identifier in common": "list_has_any(l.identifiers, r.identifiers)"},
    "domain": {"same domain": "l.domain = r.domain"},
}
#: Levels whose weight has no bound: the same name's weight grows with the name's rarity (term frequency).
UNBOUNDED = frozenset({("name", "same name")})


def blocking_rule() -> Any:
    """Pairs sharing a blocking key (rare word, sound, glued prefix, identifier, domain) and a kind
    (person, organisation, asset)."""
    return block_on("block_keys", "kind", arrays_to_explode=["block_keys"])


#: The column of ``resolve.candidates`` rows that names the candidate pairs a row is in.
PAIR_KEYS = "pair_keys"


def pair_rule() -> Any:
    """Pairs that ``resolve.candidates`` chose: rows sharing a pair number (each number is on exactly two rows)."""
    return block_on(PAIR_KEYS, arrays_to_explode=[PAIR_KEYS])


def settings(
    prior_match_probability: float = PRIOR_MATCH_PROBABILITY, params: Levels | None = None, explain: bool = False,
    calibrated: bool = False, candidates: bool = False,
) -> SettingsCreator:
    """Backend-neutral Splink settings of the model (priors unless trained ``params`` are given).

    ``calibrated``: with the same-name calibration (``same_name_tf``); the
    caller registers its lookup before predicting. ``candidates``: compare the
    pairs ``resolve.candidates`` chose (``pair_rule``) instead of blocking on the keys.
    """
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[*comparisons(params, calibrated)],  # SettingsCreator takes a wider list type
        blocking_rules_to_generate_predictions=[pair_rule() if candidates else blocking_rule()],
        probability_two_random_records_match=prior_match_probability,
        retain_matching_columns=explain,
        retain_intermediate_calculation_columns=explain,
        max_iterations=20,
        em_convergence=0.001,
    )
