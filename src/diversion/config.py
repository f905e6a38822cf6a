"""Settings in one typed object.

Values come, in order of precedence, from ``DIVERSION_*`` environment
variables, an optional TOML config file (``DIVERSION_CONFIG`` or
``diversion.toml`` in the working directory), and the defaults below.
Nothing else in the package reads the environment.

Each section is a frozen dataclass whose fields carry their documented
defaults; ``describe()`` lists them for the README and the report's method
section.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from diversion.errors import ConfigError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    _Section = TypeVar("_Section", bound=DataclassInstance)

DEFAULT_DB = "diversion.duckdb"


@dataclass(frozen=True)
class IngestSettings:
    """What loaded values can mean (``sources/bounds.py``): rows outside these bounds are quarantined."""

    #: Largest amount a loaded number may hold (declared value, value_usd, quantity, weight; any currency).
    #: Larger ones, like any NaN or infinite number, are quarantined: one such row would poison every total.
    max_value: float = 1e13
    #: Plausible exchange rates, in units of the currency per US dollar: the lowest per ISO-4217 code
    #: ("*": any other currency). Rates outside the band are quarantined (a typo or a wrong unit).
    rate_min_per_usd: dict[str, float] = field(default_factory=lambda: {
        "*": 1e-4, "USD": 1.0, "EUR": 0.5, "GBP": 0.4, "CHF": 0.5, "JPY": 50.0, "CNY": 1.0, "RUB": 5.0,
    })
    #: The highest plausible rate per ISO-4217 code ("*": any other currency).
    rate_max_per_usd: dict[str, float] = field(default_factory=lambda: {
        "*": 1e6, "USD": 1.0, "EUR": 2.0, "GBP": 2.0, "CHF": 5.0, "JPY": 400.0, "CNY": 15.0, "RUB": 1000.0,
    })

    def __post_init__(self) -> None:
        # Bounds that are themselves NaN, infinite or crossed would let anything through, or nothing.
        if not 0 < self.max_value < float("inf"):
            raise ConfigError(f"setting ingest.max_value: {self.max_value!r} is not a positive finite number")
        for code in {c.upper() for c in (*self.rate_min_per_usd, *self.rate_max_per_usd)}:
            low, high = self.rate_band(code)
            if not 0 < low <= high < float("inf"):
                raise ConfigError(f"setting ingest.rate_min_per_usd/rate_max_per_usd: the band for {code} "
                                  f"({low!r} to {high!r}) must be positive, finite and low <= high")

    def rate_band(self, currency: str) -> tuple[float, float]:
        """The plausible ``(lowest, highest)`` rate per US dollar of an ISO-4217 currency."""
        # Keys set through the environment arrive in lower case.
        lows = {k.upper(): v for k, v in self.rate_min_per_usd.items()}
        highs = {k.upper(): v for k, v in self.rate_max_per_usd.items()}
        code = currency.upper()
        return float(lows.get(code, lows.get("*", 1e-4))), float(highs.get(code, highs.get("*", 1e6)))


@dataclass(frozen=True)
class ResolveSettings:
    """Entity resolution and screening."""

    #: Splink match probability at or above which two mentions are one entity.
    link_threshold: float = 0.9
    #: Pairs between these probabilities are queued for analyst review.
    review_low: float = 0.5
    review_high: float = 0.97
    #: Screening score (0..1) at or above which a name counts as a sanctions match.
    screen_threshold: float = 0.82
    #: Names longer than this many characters are kept as mentions but never linked.
    max_name_length: int = 500
    #: Blocking keys shared by more mentions than this are dropped (they only pair unrelated firms).
    max_block_size: int = 1000
    #: Most sanctions matches kept per screened name.
    screen_limit: int = 10
    #: Seed for the random pairs that estimate the model's u values (same seed, same model).
    seed: int = 42
    #: Chunks per side of Splink's predict on DuckDB (n × n smaller predicts, same pairs, bounded memory);
    #: 0 = automatic: 1 below 100,000 mentions, ceil(sqrt(mentions / 100,000)) above (4 at 1M).
    predict_chunks: int = 0
    #: DuckDB memory limit of the linkage database (e.g. "6GB"), beyond which it spills to a temporary
    #: folder; empty = automatic: a quarter of the machine's memory, at most 4 GiB.
    predict_memory_limit: str = ""


@dataclass(frozen=True)
class DetectSettings:
    """Red-flag detectors (``detect/``); each detector's docstring says how it uses these."""

    #: The cut-off date that separates "before" and "after" (full-scale invasion).
    cutoff_date: date = date(2022, 2, 24)
    #: Destination country of the flows under investigation.
    destination_country: str = "RU"
    #: sanctions_proximity: hops through trade, ownership, directorship or other links within which it flags.
    proximity_max_hops: int = 2
    #: sanctions_proximity: score multiplier for each hop beyond the first.
    proximity_hop_decay: float = 0.3
    #: sanctions_proximity: traded value (USD) at which the value factor reaches 1 (log scale; floor 0.2).
    proximity_full_value: float = 1_000_000.0
    #: sanctioned (OFAC 50% rule): aggregate listed ownership at or above this share blocks an entity.
    ofac_ownership_share: float = 0.5
    #: intermediary_surge: flows compared, comma-separated: importer, importer_brand, brand, hs4.
    surge_flows: str = "importer,importer_brand,brand,hs4"
    #: intermediary_surge: a new counterpart carrying at least this share of a flow's growth is flagged
    #: (0.1: a second intermediary carrying a fifth of the growth must not fall just under the bar;
    #: the score still scales with the share, so small carriers score low).
    surge_min_growth_share: float = 0.1
    #: intermediary_surge: minimum growth (USD) of a flow before surge is considered.
    surge_min_growth_value: float = 500_000.0
    #: intermediary_surge: minimum after/before ratio of a flow (it must have existed before the cut-off).
    surge_min_growth_factor: float = 10.0
    #: intermediary_surge: flow growth (USD) at which the size term reaches 1 (square-root scale below).
    surge_full_growth_value: float = 5_000_000.0
    #: brand_diversion: score of shipping a brand without being its authorised distributor.
    brand_base_score: float = 0.4
    #: brand_diversion: added when the shipper sits in a third country (no authorised distributor there).
    brand_third_country_bonus: float = 0.3
    #: brand_diversion: added when the shipments go to the destination country.
    brand_destination_bonus: float = 0.2
    #: transshipment: weight of a third country that is not on the hub list (hubs weigh 1).
    transshipment_non_hub_weight: float = 0.5
    #: mirror_gap (trade statistics): both legs of a re-export route must grow at least this many times.
    mirror_min_growth_factor: float = 2.0
    #: mirror_gap: the hub's exports to the destination (USD, latest year) must reach this.
    mirror_min_value: float = 1_000_000.0
    #: impersonation: Jaccard similarity of website text (word shingles) at or above which it counts as a copy.
    impersonation_jaccard: float = 0.6
    #: impersonation: words per shingle.
    impersonation_shingle: int = 3
    #: impersonation: MinHash permutations (more = closer Jaccard estimates, slower).
    impersonation_num_perm: int = 128
    #: hosting_mismatch: score when the site is hosted in the destination country.
    hosting_score: float = 0.8
    #: hosting_mismatch: score when the domain's registrant sits in the destination country.
    registrant_score: float = 0.7
    #: priority_goods: score per CHPL tier (the most severe tier traded wins).
    priority_tier_scores: dict[str, float] = field(
        default_factory=lambda: {"1": 1.0, "2": 0.85, "3.A": 0.6, "3.B": 0.6, "4.A": 0.4, "4.B": 0.4}
    )
    #: military_end_user: registry/sanctions topics marking a military end user, comma-separated.
    military_topics: str = "mil"
    #: military_end_user: sanctions program tags marking a military end user, comma-separated.
    military_programs: str = "MEU,1260H,CMIC,NS-CMIC"
    #: Machines at least this many years old when shipped (year shipped − manufacture_year) are listed as
    #: used/old machines in the evidence of exporters' findings.
    old_machine_age: int = 10
    #: commissioning: score of a front shipping on the named order of a party in another country
    #: ("by order of X" in the goods description) whose country is the declared trading country.
    commissioning_named_score: float = 0.8
    #: commissioning: score when the commissioning party is only inferred (the importer's one supplier
    #: in the declared trading country, which differs from the exporter's country).
    commissioning_inferred_score: float = 0.5


@dataclass(frozen=True)
class LeadSettings:
    """How findings combine into a lead score (see ``diversion.leads``).

    score = 1 − Π over flags (1 − weight × the flag's best finding score): a
    noisy-OR, so several independent flags outscore one strong flag.
    """

    #: Leads scoring at or above this are shown by default (on the demo, fewer than 5% of ordinary companies).
    threshold: float = 0.55
    #: Weight overrides in 0..1 per flag (``[leads.weights] transshipment = 0.3``); every detector declares its
    #: own default weight (``diversion.detect.registry``), and a flag's best score times its weight is its part.
    weights: dict[str, float] = field(default_factory=dict)
    #: Rows shown by ``diversion leads`` without ``--top``.
    top: int = 50


@dataclass(frozen=True)
class WebSettings:
    """The web app and screening API (``diversion serve``)."""

    #: Operator's key that unlocks writing (review decisions); empty = the app is read-only.
    #: Set it with ``DIVERSION_WEB__API_KEY``; it is never logged or shown.
    api_key: str = field(default="", repr=False)
    #: Requests with a larger body are refused with 413.
    max_body_bytes: int = 1_000_000
    #: Most queries one ``POST /match`` batch may hold.
    max_match_queries: int = 100
    #: Score at or above which a screening result is marked ``match: true`` (yente's default).
    match_threshold: float = 0.7
    #: Results scoring below this are not returned at all.
    match_cutoff: float = 0.5
    #: Rows per page in the shipments table, the leads list and the review queue.
    page_size: int = 25
    #: Most nodes drawn in an entity's network neighbourhood.
    max_graph_nodes: int = 80
    #: Threads that screen ``/match`` requests off the event loop (one process computes on one core at a time;
    #: ``serve --workers N`` runs N processes).
    match_threads: int = 1
    #: Threads each warehouse query of the web app may use (0: DuckDB's default, every core). The app's
    #: queries are small lookups run many at once: one thread each spends ~20% less CPU per request, and
    #: concurrent requests use the cores. Raise it for dashboards over very large warehouses.
    query_threads: int = 1
    #: Seconds a ``/match`` job waits, before it starts, for the pages and lookups in flight (they share one
    #: interpreter with screening): keeps ``/search`` and ``/entities`` quick while a batch screens.
    match_yield_s: float = 0.005
    #: ``/match`` requests that may wait for a thread; beyond that the server answers 503 at once.
    match_queue: int = 64
    #: Seconds one ``/match`` request may take, waiting included: 503 when it waited that long, 422 when it
    #: needs that long to compute.
    request_budget_s: float = 10.0
    #: Host header values the app answers (comma-separated; ``*`` = any). Others get 400: a page on another
    #: site cannot reach a loopback server through DNS rebinding.
    allowed_hosts: str = "localhost,127.0.0.1,[::1]"
    #: Failed logins or wrong API keys from one client address before it must wait ``login_lockout_s``.
    login_attempts: int = 5
    login_lockout_s: int = 300


@dataclass(frozen=True)
class ReportSettings:
    """The investigation report (``diversion report``)."""

    #: Leads that get a full dossier (``--top`` overrides it).
    top_leads: int = 5
    #: Most leads listed in the ranked table.
    max_leads_listed: int = 50
    #: Trade-flow charts cover machine tools (HS 8456–8466) only; false = all goods.
    flows_machine_tools: bool = True
    #: Origin countries drawn separately in the flow charts (the rest is "other").
    chart_groups: int = 6
    #: Importers drawn separately in the origin → dispatch → importer Sankey.
    sankey_importers: int = 8
    #: Hops around a lead drawn in its network picture, and the most nodes drawn.
    network_hops: int = 2
    network_max_nodes: int = 40
    #: Export every chart as PNG beside the HTML (needs Chromium for Kaleido).
    png: bool = True


@dataclass(frozen=True)
class Settings:
    """All settings of one run."""

    db_path: Path = Path(DEFAULT_DB)
    #: ``duckdb`` (embedded, default) or ``spark``.
    engine: str = "duckdb"
    #: Spark master URL for ``engine = "spark"``: ``local[N]`` on this machine, ``spark://host:7077``, ``yarn``.
    spark_master: str = "local[2]"
    #: Driver heap in local mode (the driver is the executor there); a cluster uses its spark-defaults.conf.
    spark_driver_memory: str = "4g"
    #: DuckDB ``memory_limit`` of the warehouse (``"6GB"``); empty: a third of the machine's memory, at most
    #: 6 GiB. Beyond it DuckDB spills to ``<warehouse>.tmp``: each stage's peak memory stays bounded.
    memory_limit: str = ""
    #: Currency that flows and reports are stated in (converted via the rates table).
    report_currency: str = "GBP"
    ingest: IngestSettings = field(default_factory=IngestSettings)
    resolve: ResolveSettings = field(default_factory=ResolveSettings)
    detect: DetectSettings = field(default_factory=DetectSettings)
    leads: LeadSettings = field(default_factory=LeadSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    web: WebSettings = field(default_factory=WebSettings)


def _coerce(value: Any, current: Any, name: str) -> Any:
    """Convert a config/env value to the type of the default it replaces."""
    try:
        if isinstance(current, bool):
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        if isinstance(current, int):
            return int(value)
        if isinstance(current, float):
            return float(value)
        if isinstance(current, date):
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if isinstance(current, Path):
            return Path(value)
        if isinstance(current, dict):
            if not isinstance(value, dict):
                raise TypeError("expected a table")
            return {**current, **{str(k): float(v) for k, v in value.items()}}
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot use {value!r} ({exc})") from exc


def _apply(obj: _Section, values: dict[str, Any], prefix: str) -> _Section:
    changes: dict[str, Any] = {}
    known = {f.name: f for f in fields(obj)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown setting {prefix}{key}")
        current = getattr(obj, key)
        if is_dataclass(current) and not isinstance(current, type) and isinstance(value, dict):
            changes[key] = _apply(current, value, f"{prefix}{key}.")
        else:
            changes[key] = _coerce(value, current, prefix + key)
    return replace(obj, **changes)


def _env_values(environ: dict[str, str]) -> dict[str, Any]:
    """``DIVERSION_DB`` → db_path; ``DIVERSION_DETECT__CUTOFF_DATE`` → detect.cutoff_date."""
    out: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith("DIVERSION_") or key == "DIVERSION_CONFIG":
            continue
        name = key[len("DIVERSION_") :].lower()
        if name == "db":
            name = "db_path"
        parts = name.split("__")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def load_settings(
    config_file: Path | None = None, environ: dict[str, str] | None = None, **overrides: Any
) -> Settings:
    """Build the settings from defaults, a TOML file, the environment and overrides.

    >>> load_settings(environ={"DIVERSION_DB": "x.duckdb"}).db_path
    PosixPath('x.duckdb')
    """
    env = dict(os.environ if environ is None else environ)
    settings = Settings()
    path = config_file or (Path(env["DIVERSION_CONFIG"]) if "DIVERSION_CONFIG" in env else None)
    if path is None and Path("diversion.toml").is_file():
        path = Path("diversion.toml")
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read config ({exc})") from exc
        settings = _apply(settings, data, "")
    settings = _apply(settings, _env_values(env), "")
    clean = {k: v for k, v in overrides.items() if v is not None}
    if clean:
        settings = _apply(settings, clean, "")
    return settings


def describe(obj: Any = None, prefix: str = "") -> list[tuple[str, Any]]:
    """List every setting as ``(dotted name, value)``, for reports and docs."""
    obj = Settings() if obj is None else obj
    rows: list[tuple[str, Any]] = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            rows.extend(describe(value, f"{prefix}{f.name}."))
        elif not f.repr and value:
            rows.append((prefix + f.name, "(set, hidden)"))  # secrets (web.api_key) never leave the process
        else:
            rows.append((prefix + f.name, value))
    return rows
