"""The resolve commands end to end on a warehouse file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from diversion.cli import app


def test_resolve_review_decide_explain(minicase_file: Path) -> None:
    db = minicase_file
    run = CliRunner()
    out = run.invoke(app, ["resolve", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert "mentions" in out.output and "kept unresolved" in out.output
    said = " ".join(out.output.split())
    assert "Splink compared" in said and "blocked pairs (the others cannot reach p ≥ 0.5)" in said
    assert "linkage rows taken" not in said  # the first resolve: nothing kept yet
    assert db.with_name(db.name + ".linkage").is_file()
    again = run.invoke(app, ["resolve", "--db", str(db)])  # builds on the first: its parties' rows are kept
    assert again.exit_code == 0 and "linkage rows taken as the last resolve kept them" in " ".join(again.output.split())
    out = run.invoke(app, ["review", "--db", str(db)])
    assert out.exit_code == 0 and "Uncertain pairs" in out.output
    out = run.invoke(app, ["decide", "Amegino FZCO", "AMEGINO F.Z.E.", "--different", "--why", "test",
                           "--author", "qa", "--db", str(db)])
    assert out.exit_code == 0 and "different" in out.output
    out = run.invoke(app, ["explain", "Amegino FZCO", "AMEGINO F.Z.E.", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert "name:" in out.output and "Analyst decision: different by qa" in out.output
    out = run.invoke(app, ["decide", "Amegino FZCO", "AMEGINO F.Z.E.", "--db", str(db)])
    assert out.exit_code != 0
