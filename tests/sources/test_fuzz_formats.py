"""Hypothesis fuzzing of the web, FtM, registry, distributors and rates parsers.

Whatever the records, line endings, byte-order marks, nesting depth, dates
and numbers: no exception but ``SourceError`` escapes, every record is loaded,
a duplicate or quarantined (the counts add up, in the result and in the
warehouse), and no loaded number is NaN or infinite.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.engine import DuckDBEngine
from diversion.engine.schema import LOADED_TABLES
from diversion.errors import SourceError
from diversion.sources import ingest_file
from diversion.sources.integrity import check_warehouse

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=15)
NUMBER = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([1e308, -1e308, 1e-320, 0.0, 1.0]))
DATE = st.sampled_from(["2023-08-01T12:00:00Z", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
                        "2023-02-30", "01.08.2023", "", "yesterday", "2023", "-1", "99999-01-01"])
SCALAR = st.one_of(st.none(), st.booleans(), NUMBER, TEXT, DATE)


#: Stands for a value nested deeper than any parser recurses: ``dumps`` writes it out.
DEEP = "\x00deep\x00"
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=3), st.dictionaries(TEXT, SCALAR, max_size=2), st.just(DEEP))
ENDINGS = st.sampled_from(["\n", "\r\n", "\r"])
BOMS = st.sampled_from(["none", "start", "every line", "utf-16", "utf-32"])


def dumps(value: Any) -> str:
    """JSON text, NaN and Infinity included (as Python writes them), ``DEEP`` as 5,000 nested lists."""
    return json.dumps(value, ensure_ascii=False).replace(json.dumps(DEEP), "[" * 5_000 + "]" * 5_000)


def encode(lines: list[str], ending: str, bom: str) -> bytes:
    if bom == "every line":
        return "".join("\ufeff" + line + ending for line in lines).encode("utf-8")
    text = "".join(line + ending for line in lines)
    if bom == "start":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if bom in ("utf-16", "utf-32"):
        return text.encode(bom)  # Python writes the BOM
    return text.encode("utf-8")


def check(engine: DuckDBEngine, path: Path, kind: str, content: bytes, lines: int | None = None) -> None:
    path.write_bytes(content)
    try:
        result = ingest_file(engine, kind, path)
    except SourceError:
        return  # a whole-file verdict is allowed; a crash is not
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
    if lines is not None:
        assert result.rows_read == lines  # every JSON line is a record: loaded, duplicate or quarantined
    assert engine.count("quarantine") == result.rows_quarantined
    assert check_warehouse(engine) == []
    for table in LOADED_TABLES:
        data = engine.fetch_arrow(f"SELECT * FROM {table}")
        for field in data.schema:
            if str(field.type) == "double":
                assert all(v is None or math.isfinite(v) for v in data.column(field.name).to_pylist()), table


WEB_FIELDS = ("domain", "company_name", "claimed_address", "hosting_country", "registrant_country", "fetched_at",
              "text")
WEB_RECORD = st.fixed_dictionaries(
    {"domain": st.one_of(st.sampled_from(["a.com", "https://www.b.co.uk/x", "kansai.co.jp", ""]), VALUE)},
    optional={f: VALUE for f in WEB_FIELDS[1:]} | {"fetched_at": st.one_of(DATE, VALUE)},
)
JUNK_LINE = st.one_of(st.sampled_from(["{", "[]", "null", '{"domain": NaN}', "1e999", '"x"', "{}"]), TEXT)


@FUZZ
@given(records=st.lists(st.one_of(WEB_RECORD.map(dumps), JUNK_LINE), min_size=1, max_size=8), ending=ENDINGS,
       bom=BOMS)
def test_web(tmp_path: Path, records: list[str], ending: str, bom: str) -> None:
    records = ['{"domain": "first.com"}', *records]  # recognisable as web evidence
    lines = [r for r in records if r.strip() and not any(c in r for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")]
    with DuckDBEngine(":memory:") as engine:
        check(engine, tmp_path / "w.jsonl", "web", encode(lines, ending, bom),
              len([line for line in lines if line.strip()]))


SCHEMAS = st.sampled_from(["Company", "Person", "Organization", "Sanction", "Address", "Ownership", "Directorship",
                           "Vessel", "Thing", "NoSuchSchema", "LegalEntity"])
PROPS = st.dictionaries(st.sampled_from(["name", "alias", "country", "address", "innCode", "listingDate",
                                         "startDate", "percentage", "owner", "asset", "entity", "addressEntity",
                                         "notes", "topics", "program"]),
                        st.one_of(st.lists(st.one_of(TEXT, DATE, st.sampled_from(["e1", "e2", "ru", "50"])),
                                           max_size=3), VALUE), max_size=5)
FTM_RECORD = st.fixed_dictionaries(
    {"id": st.one_of(st.sampled_from(["e1", "e2", "e3"]), VALUE), "schema": st.one_of(SCHEMAS, VALUE),
     "properties": st.one_of(PROPS, VALUE)},
    optional={"caption": VALUE, "datasets": VALUE, "referents": VALUE, "first_seen": st.one_of(DATE, VALUE)},
)


@FUZZ
@given(records=st.lists(st.one_of(FTM_RECORD.map(dumps), JUNK_LINE), min_size=1, max_size=8), ending=ENDINGS,
       bom=BOMS, kind=st.sampled_from(["sanctions", "registry"]), long_first=st.booleans())
def test_ftm(tmp_path: Path, records: list[str], ending: str, bom: str, kind: str, long_first: bool) -> None:
    first = {"id": "e0", "schema": "Company", "properties": {"name": ["First"], "notes": ["n" * (70_000 * long_first)]}}
    records = [json.dumps(first), *records]
    lines = [r for r in records if r.strip() and not any(c in r for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")]
    with DuckDBEngine(":memory:") as engine:
        check(engine, tmp_path / "e.ftm.json", kind, encode(lines, ending, bom))


CELL = st.one_of(TEXT, DATE, st.sampled_from(["", ";", ",", '"', "50%", "0.5", "150", "-1", "NaN", "inf",
                                              "Russia", "RU", "Japan", "Şti.", "ООО «АМГ»"]))


def csv_text(header: list[str], rows: list[list[str]], ending: str) -> list[str]:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().split("\n")[:-1] if ending == "\n" else [out.getvalue().replace("\n", ending)[:-len(ending)]]


HEADERS = {
    "registry": ["id", "name", "aliases", "country", "address", "registration_number", "inn", "incorporation_date",
                 "website", "topics"],
    "registry-links": ["owner_id", "owner_name", "owned_id", "owned_name", "share", "start_date", "end_date", "role"],
    "distributors": ["brand", "distributor_name", "country", "domain"],
    "rates": ["month", "currency", "per_usd"],
}
RATE_CELL = st.one_of(CELL, st.sampled_from(["2023-05", "05.2023", "EUR", "RUB", "USD", "XAF", "643", "0.92", "95",
                                             "1e-320", "1e308", "1,5"]), NUMBER.map(str))


@FUZZ
@given(layout=st.sampled_from(sorted(HEADERS)), data=st.data(), ending=ENDINGS,
       bom=st.sampled_from(["none", "start", "utf-16", "utf-32"]), tail=st.binary(max_size=12))
def test_csv_formats(tmp_path: Path, layout: str, data: st.DataObject, ending: str, bom: str, tail: bytes) -> None:
    header = HEADERS[layout]
    cell = RATE_CELL if layout == "rates" else CELL
    rows = data.draw(st.lists(st.lists(cell, min_size=len(header) - 1, max_size=len(header) + 1), max_size=8))
    content = encode(csv_text(header, rows, ending), "" if ending != "\n" else "\n", bom)
    if bom == "none":
        content += tail  # stray bytes: a mostly-UTF-8 file's bad row is quarantined, others are refused
    kind = "registry" if layout.startswith("registry") else layout
    with DuckDBEngine(":memory:") as engine:
        check(engine, tmp_path / "f.csv", kind, content)
