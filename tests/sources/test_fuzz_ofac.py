"""Hypothesis fuzzing of the OFAC parser: no exception escapes, and every line is accounted for."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from diversion.engine import DuckDBEngine
from diversion.errors import SourceError
from diversion.sources import ParseOptions
from diversion.sources.loader import file_sha256, load_parsed
from diversion.sources.ofac import parse_ofac_text
from diversion.sources.sanctions import parse_sanctions

FIELD = st.one_of(
    st.just("-0- "),
    st.integers(min_value=-5, max_value=10**6).map(str),
    st.sampled_from(["aka", "fka", "nka", "individual", "vessel", "aircraft", "[RUSSIA-EO14024]", "Russia",
                     "Tax ID No. 7701234567 (Russia); Linked To: X.", "Registration Number (", "IMO ;;"]),
    st.text(max_size=30),
)
ENT_NUM = st.integers(min_value=1, max_value=60).map(str)
# Mostly rows of an OFAC width with a numeric ent_num (so parsing goes deep), some of any shape.
NAME = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
PLAUSIBLE_SDN = st.tuples(
    ENT_NUM, NAME, st.sampled_from(["-0- ", "individual", "vessel", "aircraft"]), FIELD,
    st.lists(FIELD, min_size=7, max_size=7), FIELD,
).map(lambda t: [t[0], t[1], t[2], t[3], *t[4], t[5]])
ROW = st.one_of(
    PLAUSIBLE_SDN,
    st.sampled_from([5, 6, 12]).flatmap(lambda n: st.tuples(ENT_NUM, st.lists(FIELD, min_size=n - 1, max_size=n - 1))
                                         .map(lambda t: [t[0], *t[1]])),
    st.lists(FIELD, min_size=0, max_size=14),
)
COUNTED = {"sdn": "sanctions", "alt": "sanction_names", "add": "sanction_addresses"}


def as_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(ROW, max_size=12), kind=st.sampled_from(sorted(COUNTED)), junk=st.text(max_size=80))
def test_every_line_loaded_or_quarantined(rows: list[list[str]], kind: str, junk: str) -> None:
    text = as_csv(rows) + junk
    parsed = parse_ofac_text(text, kind)
    counted = parsed.tables[COUNTED[kind]].num_rows
    # OFAC's all-empty add.csv rows are placeholders: skipped and counted (issue #14)
    assert parsed.rows_read == counted + len(parsed.quarantined) + parsed.rows_empty
    for q in parsed.quarantined:
        assert q.reason and q.line is not None and q.line >= 1


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(ROW, min_size=1, max_size=8), kind=st.sampled_from(sorted(COUNTED)))
def test_counts_add_up_through_the_loader(rows: list[list[str]], kind: str) -> None:
    engine = DuckDBEngine(":memory:")
    try:
        for attempt in range(2):  # the second load is all duplicates
            parsed = parse_ofac_text(as_csv(rows), kind)
            result = load_parsed(engine, Path(f"{kind}.csv"), "sanctions", parsed, f"src-{attempt}")
            assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
            if attempt:  # placeholder rows (issue #14) count as loaded every time
                assert result.rows_loaded == result.rows_empty
    finally:
        engine.close()


@settings(max_examples=60, deadline=None)
@given(content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_any_bytes_parse_or_raise_source_error(tmp_path_factory, content: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "list.dat"
    path.write_bytes(content)
    try:
        parsed = parse_sanctions(path, ParseOptions(file_sha256(path)))
    except SourceError:
        return
    assert parsed.rows_read >= len(parsed.quarantined)
