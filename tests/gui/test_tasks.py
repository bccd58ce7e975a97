"""TaskRunner: results and progress on the GUI thread, cancel, a new start superseding the old."""

from __future__ import annotations

import threading

import pytest

from dhdesk.core.progress import Cancelled
from dhdesk.gui.tasks import TaskRunner


@pytest.fixture
def runner(qtbot):
    r = TaskRunner()
    yield r
    r.shutdown()


def test_done_carries_the_result_and_runs_off_the_gui_thread(qtbot, runner):
    seen = []

    def task(progress):
        seen.append(threading.current_thread() is threading.main_thread())
        return 6 * 7

    with qtbot.waitSignal(runner.done) as blocker:
        runner.start(task, "計算")
    assert blocker.args == [42]
    assert seen == [False]
    assert not runner.is_running()


def test_on_done_callback_gets_the_result_on_the_gui_thread(qtbot, runner):
    got = []
    with qtbot.waitSignal(runner.done):
        runner.start(lambda p: "ok", on_done=lambda r: got.append((r, threading.current_thread() is threading.main_thread())))
    assert got == [("ok", True)]


def test_progress_reaches_the_gui_thread(qtbot, runner):
    runner.progress_interval_s = 0.0
    reports = []
    runner.progress.connect(lambda f, m: reports.append((f, m)))

    def task(progress):
        progress(0.5, "半分")
        progress(1.0, "完了")

    with qtbot.waitSignal(runner.done):
        runner.start(task)
    assert reports == [(0.5, "半分"), (1.0, "完了")]


def test_failure_is_delivered_as_the_exception(qtbot, runner):
    def task(progress):
        raise ValueError("壊れたファイル")

    with qtbot.waitSignal(runner.failed) as blocker:
        runner.start(task)
    assert isinstance(blocker.args[0], ValueError)
    assert str(blocker.args[0]) == "壊れたファイル"


def test_cancel_raises_cancelled_at_the_next_progress_call(qtbot, runner):
    entered, release = threading.Event(), threading.Event()
    stopped_at = []

    def task(progress):
        entered.set()
        release.wait(5)
        for step in range(100):
            try:
                progress(step / 100, "")
            except Cancelled:
                stopped_at.append(step)
                raise

    cancelled = []
    with qtbot.waitSignal(runner.cancelled):
        runner.start(task, on_cancelled=lambda: cancelled.append(True))
        assert entered.wait(5)
        runner.cancel()
        release.set()
    assert stopped_at == [0]
    assert cancelled == [True]


def test_a_new_start_cancels_the_old_task_and_drops_its_result(qtbot, runner):
    entered, release = threading.Event(), threading.Event()
    old_outcome = []

    def slow(progress):
        entered.set()
        release.wait(5)
        try:
            progress(0.1, "")
        except Cancelled:
            old_outcome.append("cancelled")
            raise
        return "old"

    results = []
    runner.done.connect(results.append)
    runner.start(slow)
    assert entered.wait(5)
    with qtbot.waitSignal(runner.done):
        runner.start(lambda p: "new")
        release.set()
    assert results == ["new"]
    assert old_outcome == ["cancelled"]


def test_finished_comes_before_done_so_handlers_can_start_again(qtbot, runner):
    order = []
    runner.finished.connect(lambda: order.append("finished"))
    runner.done.connect(lambda r: order.append("done"))
    with qtbot.waitSignal(runner.done):
        runner.start(lambda p: None)
    assert order == ["finished", "done"]


def test_shutdown_waits_and_drops_what_the_stopped_task_still_reports(qtbot):
    runner = TaskRunner()
    entered = threading.Event()
    called = []
    finished = []
    runner.finished.connect(lambda: finished.append(True))

    def task(progress):
        entered.set()
        while True:
            progress(0.5, "")

    runner.start(task, on_cancelled=lambda: called.append("cancelled"))
    assert entered.wait(5)
    runner.shutdown()
    assert not runner.is_running()
    assert finished == [True]
    qtbot.wait(50)
    assert called == []
    assert finished == [True]
