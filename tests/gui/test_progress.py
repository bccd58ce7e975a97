"""ProgressPresenter: nothing for quick tasks, a dialog with キャンセル for slow ones."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from dhdesk.gui.progress import ProgressPresenter
from dhdesk.gui.tasks import TaskRunner


@pytest.fixture
def setup(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    runner = TaskRunner()
    runner.progress_interval_s = 0.0
    presenter = ProgressPresenter(runner, window)
    yield runner, presenter
    runner.shutdown()


def test_a_quick_task_shows_no_dialog_and_no_cursor(qtbot, setup):
    runner, presenter = setup
    with qtbot.waitSignal(runner.done):
        runner.start(lambda p: 1, "すぐ終わる")
    qtbot.wait(10)
    assert presenter.dialog is None
    assert QApplication.overrideCursor() is None


def test_slow_task_shows_progress_and_cancel_stops_it(qtbot, setup):
    runner, presenter = setup
    presenter.cursor_delay_ms = 0
    presenter.dialog_delay_ms = 0
    go_on = threading.Event()

    def task(progress):
        progress(0.25, "加入者を作っています")
        while True:
            go_on.wait(0.01)
            progress(0.25, "加入者を作っています")

    runner.start(task, "サンプルデータを作成")
    qtbot.waitUntil(lambda: presenter.dialog is not None and presenter.dialog.bar.value() == 250)
    dialog = presenter.dialog
    assert dialog.title_label.text() == "サンプルデータを作成"
    assert dialog.step_label.text() == "加入者を作っています"
    assert QApplication.overrideCursor() is not None
    with qtbot.waitSignal(runner.cancelled):
        dialog.cancel_button.click()
        assert not dialog.cancel_button.isEnabled()
        assert "キャンセルしています" in dialog.step_label.text()
    assert presenter.dialog is None
    assert QApplication.overrideCursor() is None


def test_escape_means_cancel_and_keeps_the_dialog_until_the_task_stops(qtbot, setup):
    runner, presenter = setup
    presenter.dialog_delay_ms = 0

    def task(progress):
        while True:
            time.sleep(0.01)
            progress(0.5, "")

    runner.start(task, "x")
    qtbot.waitUntil(lambda: presenter.dialog is not None)
    dialog = presenter.dialog
    with qtbot.waitSignal(runner.cancelled):
        dialog.reject()
        assert dialog.isVisible()
    assert presenter.dialog is None
