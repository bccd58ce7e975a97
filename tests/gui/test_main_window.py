"""Main window: navigation, create/open workspace, recent list, locked workspace, demo with progress and cancel."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from dhdesk.core.union import UnionInfo, UnionType
from dhdesk.gui import messages
from dhdesk.gui.dialogs.new_workspace import NewWorkspaceDialog
from dhdesk.gui.main_window import MainWindow
from dhdesk.gui.settings import Settings
from dhdesk.services import workspaces

SRC = Path(__file__).resolve().parents[2] / "src"
SIDEBAR = ["ホーム", "データ取込", "加入者・健診・レセプト", "分析", "対象者抽出", "通知・発送", "計画レポート", "設定"]
UNION = UnionInfo("髙﨑市職員共済組合", "31130012", UnionType.MUTUAL_AID, "370-8501", "群馬県高崎市高松町35-1", "027-321-1111")


@pytest.fixture
def shown_errors(monkeypatch):
    """Message boxes recorded instead of shown: (title, Japanese text)."""
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(messages, "show_error", lambda parent, title, exc: shown.append((title, messages.error_text(exc))))
    return shown


def test_sidebar_lists_every_screen_and_navigates_to_each(window):
    assert window.sidebar.titles() == SIDEBAR
    for row, title in enumerate(SIDEBAR):
        window.sidebar.setCurrentRow(row)
        assert window.stack.currentWidget().title == title
        assert window.stack.currentWidget().isVisible()


def test_without_workspace_the_window_says_so(window):
    home = window.show_page("home")
    assert window.workspace_label.text() == "ワークスペースが開かれていません"
    assert home.union_label.text() == "ワークスペースが開かれていません。"
    assert "サンプルデータで試す" in home.next_label.text()
    window.show_page("import")
    assert not window.pages["import"].import_button.isEnabled()


def test_new_workspace_from_the_dialog_values(window, tmp_path, monkeypatch):
    path = tmp_path / "髙﨑.dhdesk"
    monkeypatch.setattr(NewWorkspaceDialog, "ask", classmethod(lambda cls, parent, directory=None: (path, UNION)))
    window.window_actions.new_workspace.trigger()
    assert window.session.path == path
    assert path.exists()
    assert "髙﨑市職員共済組合" in window.windowTitle()
    assert str(path) in window.workspace_label.text()
    home = window.pages["home"]
    assert window.current_page_key() == "home"
    assert "髙﨑市職員共済組合(保険者番号 31130012・共済組合)" == home.union_label.text()
    assert ("加入者（現在）", "0 人") in home.count_rows()
    assert "加入者台帳を取り込んでください" in home.next_label.text()
    assert window.settings.recent_workspaces() == [path]


def test_cancelled_dialog_creates_nothing(window, monkeypatch):
    monkeypatch.setattr(NewWorkspaceDialog, "ask", classmethod(lambda cls, parent, directory=None: None))
    window.window_actions.new_workspace.trigger()
    assert window.session.workspace is None


def test_open_workspace_through_the_file_dialog(window, demo_workspace, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(demo_workspace), ""))
    window.window_actions.open_workspace.trigger()
    assert window.session.path == demo_workspace
    rows = dict(window.pages["home"].count_rows())
    assert rows["加入者（現在）"] != "0 人"
    assert Settings().last_workspace() == demo_workspace


def test_recent_menu_lists_opened_workspaces_and_reopens_them(window, demo_workspace, tmp_path):
    other = tmp_path / "other.dhdesk"
    workspaces.close_workspace(workspaces.create_workspace(other, UNION))
    window.open_workspace(demo_workspace)
    window.open_workspace(other)
    window.recent_menu.aboutToShow.emit()
    entries = [a.text() for a in window.recent_menu.actions()]
    assert entries == [str(other), str(demo_workspace)]
    window.recent_menu.actions()[1].trigger()
    assert window.session.path == demo_workspace


def test_a_missing_file_is_explained_and_leaves_the_recent_list(window, tmp_path, shown_errors):
    gone = tmp_path / "gone.dhdesk"
    window.settings.remember_workspace(gone)
    assert not window.open_workspace(gone)
    assert shown_errors[0][0] == "ワークスペースを開けません"
    assert "見つかりません" in shown_errors[0][1]
    assert window.settings.recent_workspaces() == []


HOLDER = """
import sys
from dhdesk.services import workspaces
ws = workspaces.open_workspace(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
workspaces.close_workspace(ws)
"""


def test_workspace_locked_by_another_process_gets_a_japanese_message(window, demo_workspace, shown_errors):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(demo_workspace)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert not window.open_workspace(demo_workspace)
    finally:
        holder.communicate("", timeout=60)
    assert window.session.workspace is None
    title, text = shown_errors[0]
    assert title == "ワークスペースを開けません"
    assert "このワークスペースは別のdhdeskで開かれています" in text
    assert "Traceback" not in text
    assert window.open_workspace(demo_workspace)


def test_a_failed_open_keeps_the_current_workspace(window, demo_workspace, tmp_path, shown_errors):
    window.open_workspace(demo_workspace)
    not_a_workspace = tmp_path / "note.dhdesk"
    not_a_workspace.write_text("メモ", encoding="utf-8")
    assert not window.open_workspace(not_a_workspace)
    assert window.session.path == demo_workspace
    assert "dhdeskのワークスペースではない" in shown_errors[0][1]


def test_demo_builds_with_progress_then_opens(window, qtbot):
    window.progress.dialog_delay_ms = 0
    seen: list[float] = []
    window.runner.progress.connect(lambda fraction, _message: seen.append(fraction))
    dialogs = []
    window.runner.progress.connect(lambda *_: dialogs.append(window.progress.dialog))
    with qtbot.waitSignal(window.runner.done, timeout=180_000):
        window.window_actions.try_demo.trigger()
        assert not window.sidebar.isEnabled()
    assert window.sidebar.isEnabled()
    assert window.progress.dialog is None
    assert any(d is not None for d in dialogs)
    assert len(seen) >= 3 and seen == sorted(seen)
    assert window.session.path == window.demo_dir() / "demo.dhdesk"
    assert window.current_page_key() == "home"
    rows = dict(window.pages["home"].count_rows())
    assert int(rows["加入者（現在）"].split()[0].replace(",", "")) > 0


def test_demo_cancelled_midway_leaves_no_workspace(window, qtbot):
    window.progress.dialog_delay_ms = 0

    def cancel_once(fraction, _message):
        dialog = window.progress.dialog
        if fraction > 0.05 and dialog is not None and dialog.cancel_button.isEnabled():
            dialog.cancel_button.click()

    window.runner.progress.connect(cancel_once)
    with qtbot.waitSignal(window.runner.cancelled, timeout=180_000):
        window.window_actions.try_demo.trigger()
    assert window.session.workspace is None
    left = sorted(p.name for p in window.demo_dir().iterdir() if "dhdesk" in p.name)
    assert left == []
    assert window.sidebar.isEnabled()


def test_window_size_and_place_are_kept(qtbot, tmp_path):
    first = MainWindow(Settings(), tmp_path)
    qtbot.addWidget(first)
    first.resize(700, 520)
    first.show()
    kept = first.size()
    first.close()
    second = MainWindow(Settings(), tmp_path)
    qtbot.addWidget(second)
    assert second.size() == kept
    assert (kept.width(), kept.height()) != (1200, 780)
