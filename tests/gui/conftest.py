"""GUI test fixtures: a main window over a temp data folder, and a small demo workspace built once."""

from __future__ import annotations

import shutil

import pytest

from dhdesk.gui.main_window import MainWindow
from dhdesk.gui.settings import Settings

DEMO_MEMBERS = 300


@pytest.fixture(scope="session")
def demo_workspace_master(tmp_path_factory):
    """A 300-member demo workspace, built once per test session (tests work on copies)."""
    from dhdesk.services import demo

    result = demo.build_demo(tmp_path_factory.mktemp("demo-master"), members=DEMO_MEMBERS, seed=20241)
    return result.workspace_path


@pytest.fixture
def demo_workspace(demo_workspace_master, tmp_path):
    """This test's own copy of the demo workspace."""
    copy = tmp_path / "demo-copy" / "サンプル.dhdesk"
    copy.parent.mkdir()
    shutil.copyfile(demo_workspace_master, copy)
    return copy


@pytest.fixture
def window(qtbot, tmp_path):
    """The main window, empty settings, its demo folder under tmp_path; closed (workspace too) after."""
    settings = Settings()
    settings.set("demo/members", DEMO_MEMBERS)
    win = MainWindow(settings, tmp_path / "appdata")
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
