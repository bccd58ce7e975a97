"""app.main smoke-tested in a subprocess: the window comes up, opens the workspace, closes cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dhdesk.core.union import UnionInfo
from dhdesk.services import workspaces

SRC = Path(__file__).resolve().parents[2] / "src"


def run_app(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m dhdesk.app` with its own home, config and data folders (never the developer's)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    return subprocess.run(
        [sys.executable, "-m", "dhdesk.app", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_app_shows_and_quits_cleanly(tmp_path):
    result = run_app(tmp_path, "--quit-after-show")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_app_opens_the_given_workspace_and_remembers_it(tmp_path):
    path = tmp_path / "smoke.dhdesk"
    workspaces.close_workspace(workspaces.create_workspace(path, UnionInfo("スモーク共済組合", "311300")))
    result = run_app(tmp_path, "--quit-after-show", str(path))
    assert result.returncode == 0, result.stderr
    stored = (tmp_path / "config" / "dhdesk" / "dhdesk.conf").read_text(encoding="utf-8")
    assert f"last={path}" in stored


def test_help_describes_the_options(tmp_path):
    result = run_app(tmp_path, "--help")
    assert result.returncode == 0
    assert "--quit-after-show" in result.stdout
