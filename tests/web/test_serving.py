"""The server under load and under attack: work off the event loop, budgets, locks, hosts, keys, errors."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient

from diversion.config import load_settings
from diversion.web import api as api_module
from diversion.web import create_app
from tests.web.case_network import AMG, API_KEY, TEST_ENV

HEAVY = {  # many queries of many names: seconds of screening
    "queries": {
        f"q{i}": {"schema": "Company", "properties": {"name": [f"Trading Machinery {i} {j} LLC" for j in range(50)]}}
        for i in range(20)
    }
}


def _app(db: Path, tmp: Path, **env: str):  # noqa: ANN202
    copy = tmp / "case.duckdb"
    if not copy.exists():
        shutil.copy(db, copy)
    return create_app(load_settings(environ={**TEST_ENV, **env}, db_path=copy))


# --- CPU work off the event loop, bounded, with a budget ------------------------------------------------


def test_healthz_answers_while_a_heavy_match_runs(
    case_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The match keeps screening until the health checks are done (no race on the machine's speed): were
    it run on the event loop, no health check could answer before it gave up waiting, 20 s later."""
    app = _app(case_db, tmp_path)
    screening, checked = threading.Event(), threading.Event()
    real_match_query = api_module.match_query

    def busy_match_query(*args: object, **kwargs: object) -> object:
        screening.set()
        give_up = time.monotonic() + 20
        result = real_match_query(*args, **kwargs)  # type: ignore[arg-type]
        while not checked.is_set() and time.monotonic() < give_up:  # CPU work for as long as the checks take
            result = real_match_query(*args, **kwargs)  # type: ignore[arg-type]
        return result

    async def scenario() -> list[str]:
        done: list[str] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as client:
            await client.post("/match/default", json={"queries": {"w": {"schema": "Company",
                                                                           "properties": {"name": ["warm"]}}}})
            monkeypatch.setattr(api_module, "match_query", busy_match_query)

            async def heavy() -> None:
                r = await client.post("/match/default", json=HEAVY)
                assert r.status_code in (200, 422)
                done.append("match")

            async def health() -> None:
                while not screening.is_set():  # the match is in the pool, screening
                    await asyncio.sleep(0.01)
                for _ in range(5):
                    assert (await client.get("/healthz")).status_code == 200
                done.append("healthz")
                checked.set()

            await asyncio.gather(heavy(), health())
        return done

    with TestClient(app):  # runs the lifespan (name indexes)
        assert asyncio.run(scenario()) == ["healthz", "match"]


class _TickingClock:
    """A clock that moves 10 ms each time it is read: a budget runs out after a known number of checks,
    whatever the speed of the machine running the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 0.01
        return self.now


def test_a_request_over_its_budget_is_a_clear_422(
    case_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(_app(case_db, tmp_path, DIVERSION_WEB__REQUEST_BUDGET_S="0.05")) as client:
        client.post("/match/default", json={"queries": {"w": {"schema": "Company", "properties": {"name": ["x"]}}}})
        monkeypatch.setattr("diversion.web.workers.time", _TickingClock())
        r = client.post("/match/default", json=HEAVY)
        assert r.status_code == 422 and "fewer queries" in r.json()["detail"]


def test_a_full_pool_answers_503_at_once(case_db: Path, tmp_path: Path) -> None:
    app = _app(case_db, tmp_path, DIVERSION_WEB__MATCH_QUEUE="0", DIVERSION_WEB__MATCH_THREADS="1")

    async def scenario() -> list[int]:
        # The pool's one slot is held by a job that waits for us: no race with how fast a request computes.
        release = threading.Event()
        holder = asyncio.create_task(app.state.diversion.workers.run(lambda _deadline: release.wait(30)))
        await asyncio.sleep(0)  # the holder takes the slot
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=120) as client:
            busy = await client.post("/match/default", json=HEAVY)
            assert busy.headers.get("retry-after") == "1"
            release.set()
            await holder
            after = await client.post("/match/default", json={"queries": {"q": {"schema": "Company",
                                                                               "properties": {"name": ["AMG"]}}}})
            return [busy.status_code, after.status_code]

    with TestClient(app):
        assert asyncio.run(scenario()) == [503, 200]


# --- serve holds no write lock ----------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from diversion.cli import main; main()", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


def test_read_only_commands_run_beside_serve_and_writers_are_told(case_db: Path, tmp_path: Path) -> None:
    with TestClient(_app(case_db, tmp_path)) as client:
        assert client.get(f"/entities/{AMG}").status_code == 200
        db = str(tmp_path / "case.duckdb")
        status = _cli("status", "--db", db)
        assert status.returncode == 0, status.stderr
        lead = _cli("lead", AMG, "--db", db, "--json")
        assert lead.returncode == 0 and json.loads(lead.stdout)["entity_id"] == AMG, lead.stderr
        resolve = _cli("resolve", "--db", db)
        assert resolve.returncode == 2
        message = " ".join(resolve.stderr.split())
        assert "open in another process" in message and "diversion serve" in message
        assert "IO Error" not in message and "Traceback" not in message
        assert client.get(f"/entities/{AMG}").status_code == 200  # still serving


def test_review_decision_is_written_while_serving_read_only(case_db: Path, tmp_path: Path) -> None:
    with TestClient(_app(case_db, tmp_path, DIVERSION_WEB__API_KEY=API_KEY)) as client:
        decision = {"left_id": "m-amg-1", "right_id": "m-amg-3", "judgement": "same"}
        assert client.post("/review", json=decision, headers={"X-API-Key": API_KEY}).status_code == 201
        assert client.get(f"/entities/{AMG}").status_code == 200  # reopened read-only after the write
    con = duckdb.connect(str(tmp_path / "case.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM decisions").fetchone() == (1,)
    con.close()


# --- invalid text, errors, unknown ids ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"queries": {"q": {"schema": "Company", "properties": {"name": ["\\ud800"]}}}}',
        '{"queries": {"\\udfff": {"schema": "Company", "properties": {"name": ["AMG"]}}}}',
        '{"queries": {"q": {"schema": "Company\\ud800", "properties": {"name": ["AMG"]}}}}',
    ],
)
def test_lone_surrogates_are_4xx(client: TestClient, body: str) -> None:
    r = client.post("/match/default", content=body.encode(), headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text


def test_lone_surrogate_in_query_string_is_4xx(client: TestClient) -> None:
    for url in ("/search?q=%ED%A0%80", "/search/default?q=%ED%A0%80", "/entities/%ED%A0%80"):
        assert 400 <= client.get(url).status_code < 500, url


def test_errors_of_a_mismatched_warehouse_carry_no_sql(case_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "case.duckdb"
    shutil.copy(case_db, copy)
    con = duckdb.connect(str(copy))
    con.execute("ALTER TABLE entities DROP COLUMN mention_count")  # a warehouse of another version
    con.close()
    with TestClient(create_app(load_settings(environ=TEST_ENV, db_path=copy)), raise_server_exceptions=False) as c:
        r = c.get(f"/entities/{AMG}")
        assert r.status_code == 503
        assert "SELECT" not in r.text and "mention_count" not in r.text and "Binder" not in r.text
        page = c.get(f"/ui/entities/{AMG}")
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        assert "SELECT" not in page.text


def test_pages_answer_errors_as_pages(client: TestClient) -> None:
    for url in ("/ui/entities/e-missing", "/ui/no-such-page", "/ui/leads?page=0"):
        r = client.get(url)
        assert r.status_code >= 400 and r.headers["content-type"].startswith("text/html"), url


def test_unknown_ids_are_404(client: TestClient) -> None:
    for url in ("/entities/e-missing", "/entities/e-missing/network", "/match/no_such_list"):
        query = {"queries": {"q": {"schema": "Company", "properties": {"name": ["AMG"]}}}}
        r = client.post(url, json=query) if url.startswith("/match") else client.get(url)
        assert r.status_code == 404, url


def test_flows_error_is_not_a_200(client: TestClient) -> None:
    r = client.get("/flows", params={"currency": "XXX"})
    assert r.status_code >= 400, r.text


# --- hosts, keys, sessions --------------------------------------------------------------------------------


def test_unknown_host_header_is_refused(client: TestClient) -> None:
    assert client.get("/healthz", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/healthz", headers={"host": "testserver:8000"}).status_code == 200


@pytest.fixture
def writer_app(case_db: Path, tmp_path: Path) -> Iterator[TestClient]:
    env = {"DIVERSION_WEB__API_KEY": API_KEY, "DIVERSION_WEB__LOGIN_ATTEMPTS": "3"}
    with TestClient(_app(case_db, tmp_path, **env), follow_redirects=False) as c:
        yield c


def test_wrong_keys_are_throttled(writer_app: TestClient) -> None:
    for _ in range(3):
        assert writer_app.post("/login", data={"api_key": "wrong"}).status_code == 401
    locked = writer_app.post("/login", data={"api_key": API_KEY})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    decision = {"left_id": "m-amg-1", "right_id": "m-amg-3", "judgement": "same"}
    assert writer_app.post("/review", json=decision, headers={"X-API-Key": "wrong"}).status_code == 429


def test_session_ends_at_logout(writer_app: TestClient) -> None:
    login = writer_app.post("/login", data={"api_key": API_KEY})
    assert login.status_code == 303
    cookie = writer_app.cookies.get("diversion_session")
    decision = {"left_id": "m-amg-1", "right_id": "m-amg-3", "judgement": "same"}
    assert writer_app.post("/review", json=decision).status_code == 201
    assert writer_app.post("/logout").status_code == 303
    writer_app.cookies.set("diversion_session", cookie)  # a copy of the cookie made before logging out
    assert writer_app.post("/review", json=decision).status_code == 401


# --- several processes ------------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _descendants(pid: int) -> list[str]:
    """Command lines of a process's descendants (from /proc: Linux, as CI)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], list(parents.get(pid, []))
    while todo:
        child = todo.pop()
        todo += parents.get(child, [])
        try:
            found.append((Path("/proc") / str(child) / "cmdline").read_text().replace("\0", " "))
        except OSError:
            continue
    return found


def test_serve_with_two_workers_answers_from_two_processes(case_db: Path, tmp_path: Path) -> None:
    """``serve --workers 2``: two worker processes, each with its own read-only connection, both screening."""
    import os
    import signal
    import time

    copy = tmp_path / "case.duckdb"
    shutil.copy(case_db, copy)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVERSION_")}
    server = subprocess.Popen(  # noqa: S603 (our own CLI)
        [sys.executable, "-c", "from diversion.cli import main; main()", "serve", "--db", str(copy),
         "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve --workers 2 did not become ready"
            time.sleep(0.5)
        workers = [c for c in _descendants(server.pid) if "spawn_main" in c]  # not the resource tracker
        assert len(workers) == 2, workers
        query = {"queries": {"q": {"schema": "Company", "properties": {"name": ["OOO AMG"], "country": ["ru"]}}}}
        for _ in range(6):
            r = httpx.post(f"{base}/match/default", json=query, timeout=60)
            assert r.status_code == 200 and r.json()["responses"]["q"]["results"]
        # A read-only CLI command still runs beside the two readers.
        status = _cli("status", "--db", str(copy))
        assert status.returncode == 0, status.stderr
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode in (0, -signal.SIGINT)


def test_serve_with_workers_and_an_api_key_is_refused_in_words(case_db: Path, tmp_path: Path) -> None:
    import os

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DIVERSION_")},
           "DIVERSION_WEB__API_KEY": API_KEY}
    out = subprocess.run(  # noqa: S603 (our own CLI)
        [sys.executable, "-c", "from diversion.cli import main; main()", "serve", "--db", str(case_db),
         "--port", str(_free_port()), "--workers", "2"],
        capture_output=True, text=True, timeout=120, check=False, env=env)
    assert out.returncode != 0
    message = " ".join(out.stderr.split())
    assert "need --workers 1" in message and "Traceback" not in message
