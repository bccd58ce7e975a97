"""Python's garbage collection on the GUI thread only (メモリ回収の制御).

Qt objects caught in reference cycles must be destroyed by the thread that owns them. With automatic
collection CPython collects on whichever thread happens to allocate — often the task runner's worker —
and destroying a widget there can crash the app. As calibre does, automatic collection is switched off
while the window is open and a timer on the GUI thread collects whenever the allocation counters say
a collection is due.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadCollector(QObject):
    """Runs `gc.collect` from the GUI thread's event loop instead of from any thread."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_if_due)
        gc.disable()
        self._timer.start(interval_ms)

    def collect_if_due(self) -> int:
        """Collect the oldest generation whose counter passed its threshold; returns the generation, or -1."""
        counts = gc.get_count()
        due = [g for g in (2, 1, 0) if counts[g] > self._thresholds[g]]
        if not due:
            return -1
        gc.collect(due[0])
        return due[0]

    def stop(self) -> None:
        """Give collection back to Python (the window is closing)."""
        self._timer.stop()
        gc.enable()
