"""Demo fixtures: one generated data set per session (generation takes a few seconds)."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from diversion.demo import DemoFiles, generate_demo
from diversion.demo.exchange_rates import per_usd
from diversion.reference import to_iso2


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    """The default demo (Tsugami case, scale 1, seed 7)."""
    return generate_demo(tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture(scope="session")
def truth(demo: DemoFiles) -> dict:
    """The demo's truth.json."""
    assert demo.truth is not None
    return json.loads(demo.truth.read_text(encoding="utf-8"))


def read_shipments(files: DemoFiles) -> pd.DataFrame:
    """Every shipment file read with pandas only, planted bad rows dropped, values in GBP.

    Independent of the ingest code: the figures tests check the files themselves.
    """
    bad = set()
    with (files.out_dir / "truth" / "bad_rows.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            bad.add((row["source_file"], row["record_id"]))
    frames = []
    for path in files.files["shipments"]:
        rel = f"shipments/{path.name}"
        mapping = files.mappings.get(path)
        if mapping is None:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
            df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
            df["value"] = pd.to_numeric(df["value"], errors="coerce")
        else:
            import yaml

            spec = yaml.safe_load(mapping.read_text(encoding="utf-8"))
            df = pd.read_csv(path, dtype=str, keep_default_na=False, sep=spec["delimiter"],
                             encoding=spec.get("encoding", "utf-8"))
            df = df.rename(columns=spec["columns"])
            df["importer_country"] = "RU"
            df["date"] = pd.to_datetime(df["date"], format="%d.%m.%Y", errors="coerce")
            df["value"] = pd.to_numeric(df["value"].str.replace(",", "."), errors="coerce")
        df["source_file"] = rel
        frames.append(df[[(rel, r) not in bad for r in df["record_id"]]])
    df = pd.concat(frames, ignore_index=True)
    for col in ("origin_country", "importer_country", "exporter_country", "dispatch_country", "trading_country"):
        codes = {v: to_iso2(v) for v in df[col].unique()}
        df[col] = df[col].map(codes)
    df["month"] = df["date"].dt.strftime("%Y-%m")
    rates = {(m, c): per_usd(c, m) for m in df["month"].unique() for c in df["currency"].unique()}
    df["gbp"] = [v / rates[(m, c)] * rates[(m, "GBP")]
                 for v, m, c in zip(df["value"], df["month"], df["currency"], strict=True)]
    return df


@pytest.fixture(scope="session")
def ships(demo: DemoFiles) -> pd.DataFrame:
    """The default demo's shipments (see ``read_shipments``)."""
    return read_shipments(demo)
