"""Fuzzing the shipments parser: garbage never escapes as an exception, and every row is accounted for."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.engine import DuckDBEngine
from diversion.errors import SourceError
from diversion.sources import ingest_file

HEADER = ["record_id", "date", "hs_code", "exporter_name", "importer_name", "value", "currency",
          "origin_country", "quantity"]
plausible = {
    "date": st.sampled_from(["2023-05-01", "01.05.2023", "31.02.2023", "", "20230501", "x"]),
    "hs_code": st.sampled_from(["845811", "0101", "8458.11", "ABC", "", "12345678901"]),
    "value": st.sampled_from(["100", "12,5", "-3", "1,234.5", "nan", "", "inf", "1e309"]),
    "currency": st.sampled_from(["USD", "eur", "XYZ", "", "643"]),
    "origin_country": st.sampled_from(["CN", "КИТАЙ", "Atlantis", "", "germany"]),
}
cell = st.one_of(st.text(max_size=12), st.sampled_from(['"', '""', ",", "\n", ";", "\t", " ", "\\"]))


@st.composite
def rows(draw: st.DrawFn) -> list[list[str]]:
    out = []
    for _ in range(draw(st.integers(0, 12))):
        width = draw(st.sampled_from([len(HEADER)] * 4 + [1, 3, len(HEADER) + 2]))
        row = [draw(plausible[HEADER[i]]) if i < len(HEADER) and HEADER[i] in plausible and draw(st.booleans())
               else draw(cell) for i in range(width)]
        out.append(row)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=rows(), raw_tail=st.binary(max_size=40), quote_all=st.booleans())
def test_garbage_rows_are_loaded_quarantined_or_duplicate(tmp_path: Path, body: list[list[str]], raw_tail: bytes,
                                                          quote_all: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(body)
    path = tmp_path / "fuzz.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8") + raw_tail)
    with DuckDBEngine(":memory:") as engine:
        try:
            result = ingest_file(engine, "shipments", path)
        except SourceError:
            return  # a whole-file verdict (e.g. undecodable bytes) is allowed; a crash is not
        assert result.rows_read == result.rows_loaded + result.rows_quarantined + result.rows_duplicate
        assert engine.count("shipments") == result.rows_loaded
        assert engine.count("quarantine") == result.rows_quarantined
        assert engine.scalar("SELECT count(*) FROM shipments WHERE hs_code IS NULL OR date IS NULL") == 0
