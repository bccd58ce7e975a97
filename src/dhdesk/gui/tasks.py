"""The background task runner (バックグラウンド処理): one worker thread, progress and cooperative cancel.

A task is a plain function `task(progress) -> result` that never touches widgets. It runs on a
single worker thread; `progress`, `done`, `failed` and `cancelled` arrive as signals on the GUI
thread, and the starter's own `on_done` / `on_failed` / `on_cancelled` callbacks run there too (so
a page only hears about its own task). Starting a new task cancels the running one, and anything the old task still reports is
dropped. Cancelling only sets a flag: the task stops the next time it calls `progress`, which then
raises `Cancelled` (threads are never killed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from dhdesk.core.progress import Cancelled, ProgressFn

Task = Callable[[ProgressFn], Any]

_PROGRESS = "progress"
_DONE = "done"
_FAILED = "failed"
_CANCELLED = "cancelled"


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits on it and Qt queues delivery to the GUI thread."""

    message = Signal(int, str, object)  # task token, kind, payload


class TaskRunner(QObject):
    """Runs one task at a time off the GUI thread (Orange's TaskState, anki's taskman)."""

    started = Signal(str)  # the task's title, for the progress dialog
    progress = Signal(float, str)
    done = Signal(object)
    failed = Signal(object)  # the exception the task raised
    cancelled = Signal()
    finished = Signal()  # just before each done / failed / cancelled, so their handlers may start anew

    progress_interval_s = 0.05
    """Progress reports closer together than this are not sent (the cancel flag is still checked)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dhdesk-task")
        self._relay = _Relay(self)
        self._relay.message.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._token = 0
        self._cancel_flag = threading.Event()
        self._running = False
        self._on_done: Callable[[Any], None] | None = None
        self._on_failed: Callable[[Exception], None] | None = None
        self._on_cancelled: Callable[[], None] | None = None

    def start(
        self,
        task: Task,
        title: str = "",
        *,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[Exception], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
    ) -> None:
        """Run `task` on the worker; a task still running is cancelled and its results ignored.

        `on_failed` is for tidying up only: telling the clerk is the job of whoever listens to
        `failed` (the main window shows every failure).
        """
        self._cancel_flag.set()
        self._token += 1
        self._cancel_flag = threading.Event()
        self._running = True
        self._on_done, self._on_failed, self._on_cancelled = on_done, on_failed, on_cancelled
        self.started.emit(title)
        self._executor.submit(self._run, task, self._token, self._cancel_flag)

    def cancel(self) -> None:
        """Ask the current task to stop at its next progress report."""
        self._cancel_flag.set()

    def is_running(self) -> bool:
        return self._running

    def shutdown(self) -> None:
        """Cancel and wait for the worker (window closing: the workspace must not be in use after).

        Whatever the stopped task still reports is dropped, so no callback runs after the window closed.
        """
        self.cancel()
        self._executor.shutdown(wait=True)
        self._token += 1
        self._on_done = self._on_failed = self._on_cancelled = None
        if self._running:
            self._running = False
            self.finished.emit()

    def _run(self, task: Task, token: int, flag: threading.Event) -> None:
        """Worker thread: run the task and post the outcome back; never touches Qt widgets."""
        emit = self._relay.message.emit
        interval = self.progress_interval_s
        last_sent = -interval

        def progress(fraction: float, message: str) -> None:
            nonlocal last_sent
            if flag.is_set():
                raise Cancelled
            now = time.monotonic()
            if now - last_sent >= interval:
                last_sent = now
                emit(token, _PROGRESS, (float(fraction), message))

        try:
            result = task(progress)
        except Cancelled:
            emit(token, _CANCELLED, None)
        except Exception as exc:  # any failure of the task is reported to the GUI, never swallowed
            emit(token, _FAILED, exc)
        else:
            emit(token, _DONE, result)

    def _deliver(self, token: int, kind: str, payload: object) -> None:
        """GUI thread: forward the current task's messages; a superseded task's are dropped."""
        if token != self._token:
            return
        if kind == _PROGRESS:
            fraction, message = payload  # type: ignore[misc]
            self.progress.emit(fraction, message)
            return
        self._running = False
        on_done, on_failed, on_cancelled = self._on_done, self._on_failed, self._on_cancelled
        self._on_done = self._on_failed = self._on_cancelled = None
        self.finished.emit()
        if kind == _DONE:
            if on_done is not None:
                on_done(payload)
            self.done.emit(payload)
        elif kind == _FAILED:
            if on_failed is not None:
                on_failed(payload)
            self.failed.emit(payload)
        else:
            if on_cancelled is not None:
                on_cancelled()
            self.cancelled.emit()
