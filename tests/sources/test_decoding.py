"""One decoding policy for every text format (``sources.textcodec``), and inputs that used to give tracebacks."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from diversion.engine import DuckDBEngine
from diversion.errors import SourceError
from diversion.sources import ingest_file
from diversion.sources.ftm import looks_like_ftm
from diversion.sources.textcodec import choose_encoding, text_lines

DATA = Path(__file__).parents[1] / "data"

#: One small valid file of every text format, its kind and the table its records go to.
FILES = {
    "distributors": ("distributors", "distributors", "brand,distributor_name,country,domain\n"
                     "Okuma,Makina Ltd. Şti.,Turkey,makina.com.tr\n"
                     "Tsugami,Kansai Seimitsu,Japan,kansai-seimitsu.co.jp\n"),
    "registry-csv": ("registry", "registry_entities", "id,name,aliases,country,address\n"
                     "tr-1,Makina Ltd. Şti.,,Turkey,Istanbul\njp-1,Kansai Seimitsu,,Japan,Osaka\n"),
    "ofac-sdn": ("sanctions", "sanctions", '1001,"MAKINA LTD. ŞTI.",-0- ,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,'
                 '-0- ,-0- ,-0- ,"Tax ID No. 7701234567 (Russia)."\n'
                 '1002,"KANSAI SEIMITSU",-0- ,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'),
    "rates": ("rates", "rates", "month,currency,per_usd\n2023-05,EUR,0.92\n2023-06,TRY,19.5\n"),
    "shipments": ("shipments", "shipments", "date,hs_code,exporter_name,importer_name,value,currency\n"
                  "2023-05-01,845811,Makina Ltd. Şti.,OOO AMG,100,USD\n2023-05-02,845811,Kansai,OOO AMG,200,USD\n"),
    "web": ("web", "web_evidence", '{"domain": "makina.com.tr", "company_name": "Makina Ltd. Şti."}\n'
            '{"domain": "kansai-seimitsu.co.jp", "company_name": "Kansai Seimitsu"}\n'),
    "ftm": ("sanctions", "sanctions",
            '{"id": "x-1", "schema": "Company", "properties": {"name": ["Makina Ltd. Şti."]}}\n'
            '{"id": "x-2", "schema": "Company", "properties": {"name": ["Kansai Seimitsu"]}}\n'),
}


def _load(engine: DuckDBEngine, tmp_path: Path, name: str, content: bytes) -> tuple[object, str]:
    kind, table, _ = FILES[name]
    path = tmp_path / f"{name}.dat"
    path.write_bytes(content)
    return ingest_file(engine, kind, path), table


def _with_bad_bytes(text: str) -> str:
    """Bytes FF FE after "Kansai" (``surrogateescape`` markers: encode them back with it)."""
    return text.replace("Kansai", "Kansai\udcff\udcfe").replace("KANSAI", "KANSAI\udcff\udcfe")


def _texts(engine: DuckDBEngine) -> str:
    out = []
    for table in ("distributors", "registry_entities", "sanctions", "web_evidence", "shipments", "quarantine"):
        out += [json.dumps(r, default=str, ensure_ascii=False) for r in engine.fetch_dicts(f"SELECT * FROM {table}")]
    return "\n".join(out)


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("style", ["crlf", "cr", "bom", "utf-16-le", "utf-16-be", "utf-32"])
def test_line_endings_and_byte_order_marks(engine: DuckDBEngine, tmp_path: Path, name: str, style: str) -> None:
    text = FILES[name][2]
    if style == "crlf":
        content = text.replace("\n", "\r\n").encode()
    elif style == "cr":
        content = text.replace("\n", "\r").encode()
    elif style == "bom":
        content = codecs.BOM_UTF8 + text.encode()
    elif style == "utf-32":
        content = text.encode("utf-32")  # with its BOM
    else:
        bom = codecs.BOM_UTF16_LE if style.endswith("le") else codecs.BOM_UTF16_BE
        content = bom + text.encode(style)
    result, table = _load(engine, tmp_path, name, content)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 2, 0), result.quarantine_reasons
    assert engine.count(table) == 2
    assert "şti." in _texts(engine).casefold() or name == "rates"


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_bad_byte_in_a_utf8_file_is_never_re_decoded(engine: DuckDBEngine, tmp_path: Path, name: str) -> None:
    """One invalid byte pair in an otherwise UTF-8 file: its row is quarantined (or the file refused), not mojibake."""
    text = _with_bad_bytes(FILES[name][2])
    content = text.encode("utf-8", errors="surrogateescape")
    try:
        result, table = _load(engine, tmp_path, name, content)
    except SourceError as exc:
        assert "UTF-8" in str(exc)
        return
    if name == "rates":  # the bad bytes sit in no rates row: nothing names Kansai
        return
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert any("UTF-8" in reason for reason in result.quarantine_reasons)
    texts = _texts(engine)
    assert "şti." in texts.casefold() and "Ећ" not in texts and "яю" not in texts


@pytest.mark.parametrize("name", ["distributors", "registry-csv", "ofac-sdn"])
def test_stray_bytes_in_ascii_text_are_refused_not_guessed(engine: DuckDBEngine, tmp_path: Path, name: str) -> None:
    text = _with_bad_bytes(FILES[name][2].replace("Ş", "S"))
    with pytest.raises(SourceError, match="encoding"):
        _load(engine, tmp_path, name, text.encode("utf-8", errors="surrogateescape"))


def test_a_declared_legacy_encoding(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes("brand,distributor_name,country,domain\nOkuma,Makina Ltd. Şti.,Turkey,x.com.tr\n".encode("cp1254"))
    with pytest.raises(SourceError, match="encoding"):
        ingest_file(engine, "distributors", path)  # Ş in Windows-1254 reads as neither cp1251 nor cp1252
    result = ingest_file(engine, "distributors", path, encoding="cp1254")
    assert result.rows_loaded == 1 and engine.scalar("SELECT encoding FROM sources") == "cp1254"
    assert engine.scalar("SELECT distributor_name FROM distributors") == "Makina Ltd. Şti."


def test_the_policy_in_brief() -> None:
    assert choose_encoding("f", "Ş".encode()) == "utf-8"
    assert choose_encoding("f", "ООО «Ромашка» Москва".encode("cp1251")) == "cp1251"
    assert choose_encoding("f", "Café Müller".encode("cp1252")) == "cp1252"
    assert choose_encoding("f", "Ş ok \xff".encode("utf-8", errors="surrogateescape").replace(b"\xc3\xbf", b"\xff")) \
        == "utf-8"  # mostly UTF-8: bad bytes stay marked, the rows holding them are quarantined
    assert choose_encoding("f", "ООО «Ромашка»".encode("cp1251"), declared="cp1251") == "cp1251"
    assert choose_encoding("f", "Ş".encode(), declared="cp1251") == "utf-8"  # valid UTF-8 wins


def test_bom_on_every_json_line(engine: DuckDBEngine, tmp_path: Path) -> None:
    plain = FILES["web"][2].encode()
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"".join(codecs.BOM_UTF8 + line + b"\n" for line in plain.splitlines()))
    first = ingest_file(engine, "web", path)
    assert (first.rows_loaded, first.rows_quarantined) == (2, 0)
    again = tmp_path / "plain.jsonl"
    again.write_bytes(plain)
    assert ingest_file(engine, "web", again).rows_duplicate == 2  # the same records, not new ones


def test_lines_split_on_every_line_ending(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"a\r\nb\rc\n\xffd\r")
    assert [(line.number, line.text) for line in text_lines(path)] == [(1, "a"), (2, "b"), (3, "c"), (4, None)]


# --- inputs that used to give tracebacks -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["web", "sanctions", "registry"])
def test_deeply_nested_json_is_quarantined(engine: DuckDBEngine, tmp_path: Path, kind: str) -> None:
    good = FILES["web"][2] if kind == "web" else FILES["ftm"][2]
    deep = '{"id": "x-3", "schema": "Company", "domain": "a.com", "properties": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = tmp_path / "deep.jsonl"
    path.write_text(good + deep + "\n" + "[" * 50_000 + "\n", encoding="utf-8")
    result = ingest_file(engine, kind, path)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert result.quarantine_reasons.get("JSON nested too deeply") in (1, 2)


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "9999-12-31"])
def test_extreme_timestamps_are_quarantined(engine: DuckDBEngine, tmp_path: Path, stamp: str) -> None:
    path = tmp_path / "w.jsonl"
    path.write_text(json.dumps({"domain": "a.com", "fetched_at": stamp}) + "\n", encoding="utf-8")
    result = ingest_file(engine, "web", path)
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)


def test_web_values_that_are_not_strings(engine: DuckDBEngine, tmp_path: Path) -> None:
    lines = [
        {"domain": "a.com", "company_name": ["A Ltd", "A Limited"], "text": ["page one", "page two"]},
        {"domain": "b.com", "company_name": 12345, "text": True},
        {"domain": "c.com", "company_name": {"name": "C"}},
        {"domain": ["d.com"]},
    ]
    path = tmp_path / "w.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + '\n{"domain": "e.com", "text": NaN}\n', encoding="utf-8")
    result = ingest_file(engine, "web", path)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 3)
    rows = {r["domain"]: r for r in engine.fetch_dicts("SELECT domain, company_name, text FROM web_evidence")}
    assert rows["a.com"] == {"domain": "a.com", "company_name": "A Ltd; A Limited", "text": "page one\npage two"}
    assert rows["b.com"] == {"domain": "b.com", "company_name": "12345", "text": "true"}
    reasons = engine.fetch_all("SELECT field, reason FROM quarantine ORDER BY line")
    assert reasons == [("company_name", "not text (an object or a nested list)"), ("domain", "not text"),
                       (None, "NaN is not a JSON value")]


def test_ftm_first_line_longer_than_64_kb(engine: DuckDBEngine, tmp_path: Path) -> None:
    big = {"id": "x-1", "schema": "Company", "properties": {"name": ["Big Co"], "notes": ["n" * 200_000]}}
    path = tmp_path / "big.ftm.json"
    path.write_text(json.dumps(big) + "\n", encoding="utf-8")
    assert looks_like_ftm(path)
    assert ingest_file(engine, "sanctions", path).rows_loaded == 1
    with DuckDBEngine(":memory:") as other:
        assert ingest_file(other, "registry", path).rows_loaded == 1



def test_encoding_option_of_the_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from diversion.cli import app

    path = tmp_path / "d.csv"
    path.write_bytes("brand,distributor_name\nOkuma,Makina Ltd. Şti.\n".encode("cp1254"))
    db = str(tmp_path / "w.duckdb")
    runner = CliRunner()
    bad = runner.invoke(app, ["ingest", "distributors", str(path), "--db", db, "--encoding", "nosuch"])
    assert bad.exit_code != 0 and isinstance(bad.exception, SourceError) and "unknown encoding" in str(bad.exception)
    ok = runner.invoke(app, ["ingest", "distributors", str(path), "--db", db, "--encoding", "cp1254"])
    assert ok.exit_code == 0, ok.output
    with DuckDBEngine(db) as engine:
        assert engine.scalar("SELECT distributor_name FROM distributors") == "Makina Ltd. Şti."
