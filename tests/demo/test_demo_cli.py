"""End to end: ``diversion demo`` writes and loads the data set; the warehouse holds what truth says."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from diversion.cli import app


def test_demo_command_loads_everything_and_quarantines_the_planted_bad_rows(tmp_path: Path) -> None:
    out, db = tmp_path / "demo-data", tmp_path / "w.duckdb"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC DATA" in result.output
    # Same seed, same bytes: a second run loads nothing new.
    again = CliRunner().invoke(app, ["demo", "--out", str(out), "--db", str(db)])
    assert again.exit_code == 0 and "already loaded" in again.output
    truth = json.loads((out / "truth" / "truth.json").read_text(encoding="utf-8"))
    shipped = sum(f["rows"] for f in truth["files"].values() if f.get("kind") == "shipments")
    planted = sum(f["bad_rows"] for f in truth["files"].values())
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.sql("SELECT count(*) FROM shipments").fetchone()[0] == shipped
        assert con.sql("SELECT count(*) FROM shipments WHERE value_usd IS NULL").fetchone()[0] == 0
        quarantined = con.sql("SELECT count(*) FROM quarantine").fetchone()[0]
        assert quarantined > 0 and quarantined == planted
        assert con.sql("SELECT count(*) FROM sources").fetchone()[0] == 15
        listed = {r[0] for r in con.sql("SELECT value FROM sanction_identifiers WHERE scheme = 'innCode'").fetchall()}
        assert truth["roles"]["importer"][0]["inn"] in listed
        hosted = con.sql("SELECT hosting_country, claimed_country FROM web_evidence WHERE domain = 'amegino.ae'")
        assert hosted.fetchone() == ("RU", "AE")
        del hosted
        # the seeds' anchor, straight from the warehouse
        feb = con.sql("""
            SELECT sum(s.value_usd * r.per_usd) FROM shipments s
            JOIN rates r ON r.currency = 'GBP' AND r.month = date_trunc('month', s.date)
            WHERE s.origin_country = 'CN' AND s.importer_country = 'RU'
              AND substr(s.hs_code, 1, 4) BETWEEN '8456' AND '8466'
              AND s.date >= DATE '2022-02-01' AND s.date < DATE '2022-03-01'""").fetchone()[0]
        assert abs(feb - 6.5e6) / 6.5e6 < 0.02
    finally:
        con.close()


def test_no_load_writes_files_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "d"), "--db", str(tmp_path / "w.duckdb"),
                                      "--no-load"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "truth" / "truth.json").exists()
    assert not (tmp_path / "w.duckdb").exists()
