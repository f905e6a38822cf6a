"""The resolve commands end to end on a warehouse file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from diversion.cli import app
from diversion.resolve.pipeline import ResolveReport


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


def test_resolve_says_how_many_pairs_sharing_a_value_splink_compared(minicase_file: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A large warehouse's candidates are found by the values they share: the blocked pairs are not counted."""
    import diversion.resolve

    report = ResolveReport(mentions=10, entities=8, pairs_blocked=None, pairs_bounded=1_234, pairs_compared=56)
    monkeypatch.setattr(diversion.resolve, "resolve", lambda *_, **__: report)
    out = CliRunner().invoke(app, ["resolve", "--db", str(minicase_file)])
    assert out.exit_code == 0, out.output
    said = " ".join(out.output.split())
    assert "Splink compared 56 of the 1,234 blocked pairs that share a value a link needs" in said
    assert "cannot reach p ≥ 0.5" in said
