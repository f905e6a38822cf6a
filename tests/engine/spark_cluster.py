"""A Spark standalone cluster on the loopback address: one master and N workers, for tests.

The PySpark wheel has no ``sbin/start-*.sh`` scripts, so each daemon is started
the way those scripts start it, with ``pyspark/bin/spark-class`` and the
daemon's main class. ``SPARK_LOCAL_IP=127.0.0.1`` keeps every daemon and its web
UI on loopback (otherwise they listen on every interface); ports are picked free
at run time, so several clusters (and other processes) can share a machine.

    with spark_cluster(tmp_path / "cluster", workers=2) as cluster:
        ...  # --spark-master cluster.master_url
"""

from __future__ import annotations

import ctypes
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def spark_class() -> Path:
    """``spark-class`` of the installed PySpark (its ``bin/`` holds the launchers)."""
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-class"


def free_port() -> int:
    """A TCP port free on loopback now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cluster_environ(**extra: str) -> dict[str, str]:
    """The environment for the daemons and the driver: loopback only, this Python for PySpark's workers."""
    env = dict(os.environ)
    env.update(SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    env.pop("SPARK_HOME", None)  # spark-class finds the wheel's own home
    env.update(extra)
    return env


@dataclass
class SparkCluster:
    """A running standalone cluster: its master URL, its master's web UI, and its processes."""

    master_url: str
    ui_url: str
    folder: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    #: Whether the workers (and their executors) run with the ``hidden`` folders masked.
    hides: bool = False

    def state(self) -> dict[str, Any]:
        """The master's JSON status (workers, running and completed applications)."""
        with urllib.request.urlopen(f"{self.ui_url}/json", timeout=10) as response:  # noqa: S310 - loopback
            return dict(json.load(response))

    def alive_workers(self) -> list[dict[str, Any]]:
        return [w for w in self.state().get("workers", []) if w.get("state") == "ALIVE"]

    def applications(self) -> list[dict[str, Any]]:
        """Every application the master has seen, running or finished."""
        state = self.state()
        return [*state.get("activeapps", []), *state.get("completedapps", [])]

    def logs(self) -> str:
        """The tail of each daemon's log, to explain a failure."""
        parts = []
        for log in sorted(self.folder.glob("*.log")):
            text = log.read_text(errors="replace")
            parts.append(f"--- {log.name}\n{text[-3000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop every daemon (and the executors it started), then kill what is left."""
        for proc in reversed(self.processes):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.processes:
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # The whole process group: the JVM, and executors a worker started and did not reap.
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def write_spark_defaults(conf_dir: Path, conf: dict[str, str]) -> Path:
    """A ``SPARK_CONF_DIR`` holding ``spark-defaults.conf`` with ``conf`` (how a cluster's defaults are set)."""
    conf_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"{key} {value}" for key, value in conf.items()]
    (conf_dir / "spark-defaults.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return conf_dir


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to kill the daemon when the test process dies, even by SIGKILL (spark-class execs java)."""
    with suppress(OSError):  # not Linux: stop() still ends the daemons
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


#: Runs a command in a mount namespace of its own (no privileges needed where user namespaces are allowed).
UNSHARE = ["unshare", "--user", "--map-root-user", "--mount"]


def can_hide_folders() -> bool:
    """Whether this machine lets a process mount over a folder for itself alone (Linux namespaces)."""
    with tempfile.TemporaryDirectory() as scratch:
        empty, hidden = Path(scratch, "empty"), Path(scratch, "hidden")
        empty.mkdir()
        hidden.mkdir()
        (hidden / "seen").touch()
        try:
            done = subprocess.run(_hiding(["ls", "-A", str(hidden)], [hidden], empty), capture_output=True,
                                  text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0 and not done.stdout.strip()


def _hiding(command: list[str], hidden: list[Path], empty: Path) -> list[str]:
    """``command`` run where each ``hidden`` folder shows as the empty folder ``empty``.

    What a worker on another machine would see of the driver's local folders: nothing.
    """
    mounts = " && ".join(f"mount --bind {shlex.quote(str(empty))} {shlex.quote(str(p))}" for p in hidden)
    return [*UNSHARE, "sh", "-c", f'{mounts} && exec "$0" "$@"', *command]


def _start(cluster: SparkCluster, name: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
    log = (cluster.folder / f"{name}.log").open("wb")
    # A session of its own per daemon, so stop() can end the daemon with every process it started.
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                            cwd=cwd, start_new_session=True, preexec_fn=_die_with_parent)
    log.close()
    cluster.processes.append(proc)


@contextmanager
def spark_cluster(folder: Path, workers: int = 2, cores: int = 1, memory: str = "1g",
                  hidden: Sequence[Path] = (), timeout: float = 180.0) -> Iterator[SparkCluster]:
    """Start a master and ``workers`` workers on loopback; stop them all on exit, also after an error.

    Each worker gets its own work folder (``folder/worker-N``, where its
    executors run) and is started from it, so a relative path that reaches an
    executor resolves against that folder, not the driver's. ``hidden``: folders
    the workers and executors must not see (the driver's local temp folder), as
    on separate machines; masked where the machine allows (``cluster.hides``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    port, ui_port = free_port(), free_port()
    cluster = SparkCluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}", folder,
                           hides=bool(hidden) and can_hide_folders())
    # No REST submission server (it would take port 6066, and jobs come from the driver here).
    env = cluster_environ(SPARK_DAEMON_MEMORY="512m", SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false")
    launcher = str(spark_class())
    try:
        _start(cluster, "master", [launcher, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                   "--port", str(port), "--webui-port", str(ui_port)], env, folder)
        _wait(cluster, lambda: cluster.state() is not None, timeout, "the master to answer")
        for n in range(1, workers + 1):
            work = folder / f"worker-{n}"
            (work / "empty").mkdir(parents=True, exist_ok=True)
            command = [launcher, "org.apache.spark.deploy.worker.Worker", cluster.master_url, "--host", "127.0.0.1",
                       "--port", str(free_port()), "--webui-port", str(free_port()), "--work-dir", str(work),
                       "--cores", str(cores), "--memory", memory]
            if cluster.hides:
                command = _hiding(command, list(hidden), work / "empty")
            _start(cluster, f"worker-{n}", command, env, work)
        _wait(cluster, lambda: len(cluster.alive_workers()) == workers, timeout, f"{workers} workers to register")
        yield cluster
    finally:
        cluster.stop()


def _wait(cluster: SparkCluster, ready: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in cluster.processes):
            raise RuntimeError(f"a Spark daemon exited while waiting for {what}:\n{cluster.logs()}")
        try:
            if ready():
                return
        except OSError:  # not listening yet
            pass
        time.sleep(0.5)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}:\n{cluster.logs()}")
