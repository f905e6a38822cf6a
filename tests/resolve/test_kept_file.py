"""Files kept beside the warehouse are written whole or not at all, and a killed write's leftover goes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from diversion.resolve.kept_file import write_beside


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb.linkage"
    target.write_text("old")
    assert write_beside(target, lambda path: path.write_text("new"))
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb.linkage"
    target.write_text("old")

    def fails(path: Path) -> None:
        path.write_text("half")
        raise OSError("no space left on device")

    assert not write_beside(target, fails)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    with pytest.raises(ValueError):  # what the caller did not name as expected is not swallowed
        write_beside(target, lambda path: (_ for _ in ()).throw(ValueError("bug")))
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_killed_writers_leftover_is_removed_and_a_running_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb.screening"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead = tmp_path / f"{target.name}.{gone.stdout.strip()}.tmp"
    running = tmp_path / f"{target.name}.{os.getppid()}.tmp"  # the process that started the tests
    other = tmp_path / "w.duckdb.linkage.1.tmp"  # another file's
    for path in (dead, running, other):
        path.write_text("half")
    assert write_beside(target, lambda path: path.write_text("new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, running.name, other.name])


def test_a_name_with_pattern_characters_removes_only_its_own_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "w[1].duckdb.linkage"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    own, other = tmp_path / f"{target.name}.{gone}.tmp", tmp_path / f"w1.duckdb.linkage.{gone}.tmp"
    for path in (own, other):
        path.write_text("half")
    assert write_beside(target, lambda path: path.write_text("new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, other.name])
