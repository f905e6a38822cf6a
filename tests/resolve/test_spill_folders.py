"""A killed resolve leaves no spill folder behind for good: the next process removes it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from diversion.engine import linkage

SRC = str(Path(__file__).parents[2] / "src")
CHILD = ("import os, signal; from diversion.engine.linkage import spill_directory; "
         "print(spill_directory(), flush=True); os.kill(os.getpid(), signal.SIGKILL)")


def test_folders_of_killed_processes_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"PYTHONPATH": SRC, "PATH": os.environ.get("PATH", ""), "TMPDIR": str(tmp_path)}
    child = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    left = Path(child.stdout.strip())
    assert child.returncode < 0 and left.is_dir() and left.parent == tmp_path  # killed: atexit never ran
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    mine = Path(linkage.process_temp_directory("diversion-duckdb-spill-"))
    assert not left.exists() and mine.is_dir()
    Path(linkage.process_temp_directory("diversion-duckdb-spill-"))
    assert mine.is_dir()  # a live process's folder is kept
