"""One dhdesk per workspace file: a second opener gets a Japanese message, never a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dhdesk.core.union import UnionInfo
from dhdesk.store.errors import WorkspaceLocked
from dhdesk.store import schema
from dhdesk.store.workspace import Workspace

SRC = Path(__file__).resolve().parents[1] / "src"
SECOND_OPENER = """
import sys
from dhdesk.store.errors import WorkspaceLocked
from dhdesk.store.workspace import Workspace
try:
    with Workspace.open(sys.argv[1]) as ws:
        print("opened", ws.union_info().name)
except WorkspaceLocked as exc:
    print(exc.message)
    sys.exit(3)
"""


def open_in_another_process(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-c", SECOND_OPENER, str(path)], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.fixture
def path(tmp_path):
    workspace = tmp_path / "union.dhdesk"
    Workspace.create(workspace, UnionInfo("テスト共済組合", "31130001")).close()
    return workspace


def test_second_process_is_told_in_japanese_while_the_first_holds_the_file(path):
    with Workspace.open(path):
        result = open_in_another_process(path)
    assert result.returncode == 3, result.stderr
    assert "このワークスペースは別のdhdeskで開かれています" in result.stdout
    assert f"プロセス番号 {os.getpid()}" in result.stdout
    assert "Traceback" not in result.stderr


def test_second_process_opens_once_the_first_has_closed(path):
    with Workspace.open(path):
        pass
    result = open_in_another_process(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "opened テスト共済組合"


def test_second_open_in_the_same_process_is_refused_too(path):
    with Workspace.open(path) as first:
        with pytest.raises(WorkspaceLocked) as raised:
            Workspace.open(path)
        assert "別のdhdeskで開かれています" in raised.value.message
        assert first.union_info().name == "テスト共済組合"
        # The refused attempt must not have touched the file: on POSIX that would drop the OS lock.
        assert open_in_another_process(path).returncode == 3
    with Workspace.open(path) as again:
        assert again.schema_version == len(schema.bundled_migrations())


def test_backup_keeps_the_file_claimed_in_this_process(path):
    with Workspace.open(path) as ws:
        ws.backup("check")
        with pytest.raises(WorkspaceLocked):
            Workspace.open(path)
        result = open_in_another_process(path)
        assert result.returncode == 3
