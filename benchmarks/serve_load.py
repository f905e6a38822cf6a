"""Load benchmark of ``diversion serve``: requests/s and latency for /match and entity pages.

Starts the real command (``diversion serve``) on a free loopback port in a
subprocess, fires a fixed number of requests per scenario with a fixed
concurrency (httpx, asyncio), stops by itself and prints, per scenario,
requests per second, p50/p99 latency, errors, and the ratio to the baseline
scenario (``/healthz``: the framework's own floor) measured in the same run.

The mixed scenario keeps ``/match`` at full load (``--concurrency`` clients
posting back to back) while ``--probe-concurrency`` other clients fetch
``/search/{dataset}`` and ``/entities/{id}``; it reports each side apart, so
the p99 of search and entity lookups is the one a user sees while screening runs.

Without ``--db`` it builds a synthetic warehouse: ``--sanctions`` listed
companies with 2 names each, ``--entities`` resolved parties, one lead each.

    python benchmarks/serve_load.py --requests 2000 --concurrency 8
    python benchmarks/serve_load.py --db demo.duckdb
    python benchmarks/serve_load.py --only mixed
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa

SYLLABLES = ["ka", "ro", "mi", "tek", "sun", "vol", "gar", "lin", "ex", "tra", "nor", "zen", "mas", "pol", "dor"]
FORMS = ["LLC", "Ltd", "FZE", "GmbH", "JSC", "Co., Ltd", "ООО", "АО"]


def _name(rng: random.Random) -> str:
    words = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).title() for _ in range(rng.randint(1, 3))]
    return " ".join(words) + " " + rng.choice(FORMS)


def build_warehouse(path: Path, sanctions: int, entities: int, seed: int = 1) -> tuple[list[str], list[str]]:
    """A synthetic warehouse; returns (query names, entity ids) for the load scenarios."""
    from diversion.engine import DuckDBEngine
    from diversion.engine.schema import STAGE_TABLES, create_sql

    rng = random.Random(seed)
    listed = [_name(rng) for _ in range(sanctions)]
    parties = [_name(rng) for _ in range(entities)]
    engine = DuckDBEngine(path)
    try:
        for table in STAGE_TABLES:
            engine.execute(create_sql(table))
        engine.insert_arrow(
            "sanctions",
            pa.Table.from_pylist(
                [
                    {
                        "entity_id": f"s-{i}",
                        "schema": "Company",
                        "name": n,
                        "countries": ["RU"],
                        "programs": ["RUSSIA"],
                        "topics": ["sanction"],
                        "datasets": ["bench_list"],
                        "listing_date": None,
                        "list_name": "Bench",
                        "properties": "{}",
                        "source_id": "bench",
                        "line": i,
                        "record_hash": f"s{i}",
                    }
                    for i, n in enumerate(listed)
                ]
            ),
        )
        engine.insert_arrow(
            "sanction_names",
            pa.Table.from_pylist(
                [
                    {"entity_id": f"s-{i}", "name": n.upper().replace(" ", "-"), "name_type": "alias"}
                    for i, n in enumerate(listed)
                ]
            ),
        )
        engine.insert_arrow(
            "entities",
            pa.Table.from_pylist(
                [
                    {
                        "entity_id": f"e-{i}",
                        "canonical_name": n,
                        "names": [n],
                        "countries": ["AE"],
                        "identifiers": [],
                        "schema": "Company",
                        "mention_count": 1,
                    }
                    for i, n in enumerate(parties)
                ]
            ),
        )
        engine.insert_arrow(
            "leads",
            pa.Table.from_pylist(
                [
                    {
                        "rank": i + 1,
                        "entity_id": f"e-{i}",
                        "name": n,
                        "country": "AE",
                        "score": 0.5,
                        "flags": "transshipment",
                        "evidence": "bench",
                    }
                    for i, n in enumerate(parties)
                ]
            ),
        )
        engine.insert_arrow(
            "findings",
            pa.Table.from_pylist(
                [
                    {
                        "finding_id": f"f-{i}",
                        "detector": "transshipment",
                        "entity_id": f"e-{i}",
                        "score": 0.5,
                        "summary": "bench",
                        "evidence": "{}",
                    }
                    for i in range(len(parties))
                ]
            ),
        )
    finally:
        engine.close()
    queries = [rng.choice(listed) for _ in range(200)] + [_name(rng) for _ in range(200)]
    return queries, [f"e-{i}" for i in range(min(entities, 500))]


def warehouse_samples(path: Path) -> tuple[list[str], list[str]]:
    """Query names and entity ids from an existing warehouse (read-only)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sanction_names USING SAMPLE 200 ROWS").fetchall()]
        names += [r[0] for r in con.execute("SELECT canonical_name FROM entities USING SAMPLE 200 ROWS").fetchall()]
        ids = [r[0] for r in con.execute("SELECT entity_id FROM leads ORDER BY rank LIMIT 200").fetchall()] or [
            r[0] for r in con.execute("SELECT entity_id FROM entities LIMIT 200").fetchall()
        ]
    finally:
        con.close()
    return names, ids


def _stat(pid: int | str) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def server_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of the server and its worker processes (Linux /proc), or ``None`` elsewhere."""
    fields = _stat(pid)
    if fields is None:
        return None
    ticks = int(fields[11]) + int(fields[12])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (child := _stat(entry.name)) is not None and child[1] == str(pid):
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """``diversion serve`` in a subprocess; returns once /healthz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVERSION_")}
    cmd = [
        sys.executable,
        "-c",
        "from diversion.cli import main; main()",
        "serve",
        "--db",
        str(db),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180  # a busy shared machine can take a minute to import and open
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start within 180 s")


Make = Callable[[int], tuple[str, str, Any]]


def _summary(latencies: list[float], errors: int, elapsed: float) -> dict[str, float]:
    latencies = sorted(latencies) or [0.0]
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "errors": errors,
    }


async def _worker(client: httpx.AsyncClient, make: Make, counter: Any, latencies: list[float], errors: list[int],
                  stop: asyncio.Event | None = None) -> None:
    for i in counter:
        if stop is not None and stop.is_set():
            return
        method, url, body = make(i)
        t0 = time.perf_counter()
        try:
            r = await client.request(method, url, json=body)
            if r.status_code != 200:
                errors.append(r.status_code)
        except httpx.HTTPError:
            errors.append(0)
        latencies.append((time.perf_counter() - t0) * 1000)


async def run_scenario(base: str, make: Make, requests: int, concurrency: int) -> dict[str, float]:
    """Send ``requests`` requests with ``concurrency`` in flight; latency per request in ms."""
    latencies: list[float] = []
    errors: list[int] = []
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        start = time.perf_counter()
        await asyncio.gather(*(_worker(client, make, counter, latencies, errors) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return _summary(latencies, len(errors), elapsed)


def _probe_process(base: str, names: list[str], ids: list[str], concurrency: int, ready: Any, go: Any, stop: Any,
                   out: Any) -> None:
    """The probe clients of the mixed scenario, in their own process: a user opening entity pages is not the
    screening client, and sharing its event loop would add the client's own queueing to the probes' latency."""

    async def probes() -> tuple[list[float], list[int]]:
        latencies: list[float] = []
        errors: list[int] = []
        done = asyncio.Event()

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.05)
            done.set()

        make = _prober(names, ids)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            ready.set()
            while not go.is_set():  # start with the load, not before it
                await asyncio.sleep(0.001)
            watcher = asyncio.create_task(watch())
            counter = iter(range(10**9))  # shared: every client alternates searches and entity lookups
            await asyncio.gather(*(_worker(client, make, counter, latencies, errors, done) for _ in range(concurrency)))
            await watcher
        return latencies, errors

    out.put(asyncio.run(probes()))


def _prober(names: list[str], ids: list[str]) -> Make:
    def probe(i: int) -> tuple[str, str, Any]:
        if i % 2:
            return "GET", f"/entities/{ids[i % len(ids)]}", None
        return "GET", f"/search/default?q={names[i % len(names)]}", None

    return probe


async def run_mixed(
    base: str, load: Make, names: list[str], ids: list[str], requests: int, concurrency: int,
    probe_concurrency: int,
) -> tuple[dict[str, float], dict[str, float]]:
    """``requests`` /match requests at full load; probes (search, entities) run beside them, from another
    process, until it ends."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    ready, go, stop, out = ctx.Event(), ctx.Event(), ctx.Event(), ctx.Queue()
    prober = ctx.Process(target=_probe_process, args=(base, names, ids, probe_concurrency, ready, go, stop, out))
    prober.start()
    if not ready.wait(120):
        raise SystemExit("the probe process did not start")
    # The /match load generator shares the server's cores here; on a deployment it runs elsewhere. It yields
    # the CPU to the server and the probes, so what is measured is the server's latency, not CPU starvation
    # caused by the generator (the last scenario: the niceness stays with this process).
    os.nice(10)
    go.set()
    load_lat: list[float] = []
    load_err: list[int] = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        start = time.perf_counter()
        counter = iter(range(requests))
        await asyncio.gather(*(_worker(client, load, counter, load_lat, load_err) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    stop.set()
    probe_lat, probe_err = out.get(timeout=120)
    prober.join(timeout=30)
    return _summary(load_lat, len(load_err), elapsed), _summary(probe_lat, len(probe_err), elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="existing warehouse (default: a synthetic one)")
    parser.add_argument("--sanctions", type=int, default=10_000, help="synthetic listed companies")
    parser.add_argument("--entities", type=int, default=5_000, help="synthetic resolved entities")
    parser.add_argument("--requests", type=int, default=2_000, help="requests per scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--probe-concurrency", type=int, default=2, help="search/entity clients in the mixed run")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    parser.add_argument("--only", choices=["all", "mixed"], default="all", help="run every scenario or the mixed one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            db = args.db
            names, ids = warehouse_samples(db)
        else:
            db = Path(tmp) / "bench.duckdb"
            t0 = time.perf_counter()
            names, ids = build_warehouse(db, args.sanctions, args.entities)
            print(
                f"synthetic warehouse: {args.sanctions:,} listed, {args.entities:,} entities "
                f"({time.perf_counter() - t0:.1f} s)"
            )
        port = _free_port()
        proc = start_server(db, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            t0 = time.perf_counter()
            httpx.post(
                f"{base}/match/default",
                json={"queries": {"w": {"schema": "Company", "properties": {"name": ["warm up"]}}}},
                timeout=120,
            )
            print(f"name indexes built on first /match in {time.perf_counter() - t0:.1f} s")

            def match(i: int) -> tuple[str, str, Any]:
                q = {"schema": "Company", "properties": {"name": [names[i % len(names)]]}}
                return "POST", "/match/default", {"queries": {"q": q}}

            scenarios: dict[str, Callable[[int], tuple[str, str, Any]]] = {
                "baseline GET /healthz": lambda i: ("GET", "/healthz", None),
                "POST /match/default": match,
                "GET /entities/{id} (JSON)": lambda i: ("GET", f"/entities/{ids[i % len(ids)]}", None),
                "GET /ui/entities/{id} (page)": lambda i: ("GET", f"/ui/entities/{ids[i % len(ids)]}", None),
                "GET /search?q=": lambda i: ("GET", f"/search?q={names[i % len(names)]}", None),
                "GET /search/default?q=": lambda i: ("GET", f"/search/default?q={names[i % len(names)]}", None),
            }
            if args.only == "mixed":
                scenarios = {"baseline GET /healthz": scenarios["baseline GET /healthz"]}
            print(
                f"{args.requests:,} requests per scenario, concurrency {args.concurrency}, "
                f"server: {args.workers} uvicorn process(es), {os.cpu_count()} CPUs on this machine"
            )
            print("cpu ms/req: server CPU time per request, independent of other load on the machine;")
            print("1000 / cpu ms/req is what one fully available core sustains.")
            print(
                f"{'scenario':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs baseline':>12} "
                f"{'cpu ms/req':>11} {'1-core req/s':>13}"
            )
            baseline = None
            total_errors = 0
            for label, make in scenarios.items():
                cpu0 = server_cpu_seconds(proc.pid)
                res = asyncio.run(run_scenario(base, make, args.requests, args.concurrency))
                cpu1 = server_cpu_seconds(proc.pid)
                baseline = baseline or res["rps"]
                total_errors += int(res["errors"])
                cpu_ms = (cpu1 - cpu0) * 1000 / args.requests if cpu0 is not None and cpu1 is not None else None
                cpu_text = f"{cpu_ms:11.2f} {1000 / cpu_ms:13.0f}" if cpu_ms else f"{'n/a':>11} {'n/a':>13}"
                print(
                    f"{label:32} {res['rps']:9.0f} {res['p50']:8.1f} {res['p99']:8.1f} {res['errors']:7.0f} "
                    f"{res['rps'] / baseline:11.2f}x {cpu_text}"
                )
            cpu0 = server_cpu_seconds(proc.pid)
            loaded, probed = asyncio.run(
                run_mixed(base, match, names, ids, args.requests, args.concurrency, args.probe_concurrency)
            )
            cpu1 = server_cpu_seconds(proc.pid)
            total_errors += int(loaded["errors"] + probed["errors"])
            cpu_ms = (cpu1 - cpu0) * 1000 / args.requests if cpu0 is not None and cpu1 is not None else None
            cpu_text = f"{cpu_ms:11.2f} {1000 / cpu_ms:13.0f}" if cpu_ms else f"{'n/a':>11} {'n/a':>13}"
            print(f"mixed: /match at full load ({args.concurrency} clients) while {args.probe_concurrency} "
                  "clients alternate /search/default and /entities/{id}")
            for label, res, extra in (("  /match (load)", loaded, cpu_text), ("  /search + /entities (probes)",
                                                                                  probed, "")):
                print(
                    f"{label:32} {res['rps']:9.0f} {res['p50']:8.1f} {res['p99']:8.1f} {res['errors']:7.0f} "
                    f"{res['rps'] / (baseline or 1):11.2f}x {extra}"
                )
            print("cpu ms/req of the mixed row: server CPU over the whole run per /match request (probes included)")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    if total_errors:
        raise SystemExit(f"{total_errors} requests failed")


if __name__ == "__main__":
    main()
