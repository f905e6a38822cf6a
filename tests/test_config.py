from datetime import date
from pathlib import Path

import pytest

from diversion.config import describe, load_settings
from diversion.detect.registry import weights
from diversion.errors import ConfigError


def test_defaults_and_env_override():
    s = load_settings(environ={"DIVERSION_DB": "w.duckdb", "DIVERSION_DETECT__CUTOFF_DATE": "2022-03-01"})
    assert s.db_path == Path("w.duckdb")
    assert s.detect.cutoff_date == date(2022, 3, 1)
    assert s.engine == "duckdb"


def test_config_file_and_precedence(tmp_path):
    cfg = tmp_path / "d.toml"
    cfg.write_text('report_currency = "USD"\n[leads]\nthreshold = 0.7\nweights = {sanctioned = 0.5}\n')
    s = load_settings(config_file=cfg, environ={"DIVERSION_LEADS__THRESHOLD": "0.6"})
    assert s.report_currency == "USD"
    assert s.leads.threshold == 0.6  # environment beats file
    assert s.leads.weights["sanctioned"] == 0.5
    assert weights(s)["sanctioned"] == 0.5
    assert weights(s)["impersonation"] > 0  # other weights keep the detectors' defaults


def test_overrides_beat_environment():
    s = load_settings(environ={"DIVERSION_DB": "env.duckdb"}, db_path=Path("cli.duckdb"))
    assert s.db_path == Path("cli.duckdb")


@pytest.mark.parametrize(
    "environ",
    [{"DIVERSION_NOPE": "1"}, {"DIVERSION_DETECT__CUTOFF_DATE": "yesterday"}, {"DIVERSION_LEADS__THRESHOLD": "x"}],
)
def test_bad_settings_are_config_errors(environ):
    with pytest.raises(ConfigError):
        load_settings(environ=environ)


def test_unreadable_config_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_settings(config_file=bad, environ={})


def test_describe_lists_nested_settings():
    names = dict(describe())
    assert "detect.cutoff_date" in names
    assert "resolve.link_threshold" in names
