"""Names normalised half in a worker (``resolve.normalising``) get the forms this process would give them."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from diversion import workers
from diversion.config import Settings
from diversion.engine import DuckDBEngine
from diversion.names import normalise
from diversion.names.normalise import _name_forms, name_forms, remembered_forms
from diversion.resolve import normalising
from diversion.resolve.normalising import forms_of
from diversion.resolve.pipeline import OUTPUT_TABLES, resolve

DATA = Path(__file__).parents[1] / "data"


def _keys() -> list[tuple[str | None, str | None]]:
    """Real list names in many scripts (OFAC 2021 lines, nomenklatura's cases) as several kinds, and oddities."""
    names: list[str | None] = []
    with (DATA / "sanctions" / "ofac2021" / "sdn.csv").open(encoding="utf-8", newline="") as f:
        names += [row[1] for row in csv.reader(f) if len(row) > 1][:300]
    with (DATA / "er" / "nomenklatura_name_cases.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            names += [v for k, v in row.items() if k and "name" in k.lower() and v][:2]
    names += ['ООО "АМГ"', "深圳市易络科技有限公司", "Deutsche Bank (Schweiz) AG", "شركة الأمل",
              "", "   ", None, "x" * 600]
    schemas = [None, "Company", "Person", "Vessel"]
    return list(dict.fromkeys((n, schemas[i % len(schemas)]) for i, n in enumerate(names)))


def _fresh(keys: list[tuple[str | None, str | None]]) -> list[normalise.NameForms]:
    _name_forms.cache_clear()
    return [name_forms(n, s, 500) for n, s in keys]


def test_the_worker_gives_the_forms_this_process_gives(worker_answers: list[Any],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    keys = _keys()
    assert len(keys) > 300
    expected = _fresh(keys)
    monkeypatch.setattr(normalising, "FORMS_IN_WORKER", 0)
    _name_forms.cache_clear()
    with remembered_forms():
        got = forms_of(keys, 500)
        assert worker_answers and worker_answers[0] is not None  # the worker did its half
        assert got == expected
        # Its half is remembered as if made here: read again, nothing is worked out anew.
        monkeypatch.setattr(normalise, "_prepared", lambda *a: pytest.fail("worked out again"))
        half = len(keys) // 2
        assert [name_forms(n, s, 500) for n, s in keys[half:]] == got[half:]
        # ... and so are the words it transliterated (Cyrillic and Greek are transliterated a word at a time).
        assert any(not w.isascii() for w in normalise._REMEMBERED_WORDS)


def test_a_worker_that_fails_leaves_its_half_here(failing_worker: list[str], monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    keys = _keys()[:60]
    expected = _fresh(keys)
    monkeypatch.setattr(normalising, "FORMS_IN_WORKER", 0)
    assert forms_of(keys, 500) == expected
    assert failing_worker == ["diversion.resolve.normalising"]
    # The user is told why resolve ran on one core.
    assert any("diversion.resolve.normalising" in r.getMessage() and r.levelname == "WARNING"
               for r in caplog.records)


def test_few_names_are_normalised_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "Worker", lambda *args: pytest.fail("a worker for a few names"))
    keys = _keys()[:20]
    assert forms_of(keys, 500) == _fresh(keys)


def test_a_resolve_with_the_worker_writes_what_one_without_writes(minicase: DuckDBEngine, settings: Settings,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def tables() -> dict[str, list[tuple[Any, ...]]]:
        return {t: minicase.fetch_all(f"SELECT * FROM {t} ORDER BY ALL") for t in OUTPUT_TABLES if t != "resolve_model"}

    resolve(minicase, settings)
    alone = tables()
    monkeypatch.setattr(normalising, "FORMS_IN_WORKER", 0)
    resolve(minicase, settings)
    assert tables() == alone
