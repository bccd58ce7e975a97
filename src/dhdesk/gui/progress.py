"""Showing a running task (進行状況): busy cursor after ~300 ms, a dialog with キャンセル after ~600 ms.

Quick tasks show nothing at all (anki's progress.py); slow ones get a progress bar whose キャンセル
only asks the task to stop, and the dialog stays up (saying so) until the task has really stopped.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dhdesk.gui.tasks import TaskRunner

_STEPS = 1000


class ProgressDialog(QDialog):
    """Title, the current step, a bar and キャンセル; Esc or closing the window also mean cancel."""

    cancel_requested = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title or "処理中")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(420)
        self.title_label = QLabel(title or "処理中です…")
        self.title_label.setStyleSheet("font-weight: bold;")
        self.step_label = QLabel("")
        self.step_label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, _STEPS)
        buttons = QDialogButtonBox()
        self.cancel_button = QPushButton("キャンセル")
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.title_label, self.step_label, self.bar, buttons):
            layout.addWidget(widget)

    def reject(self) -> None:
        """Do not close: the dialog stays until the task has stopped."""
        self.cancel_requested.emit()

    def show_progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(round(min(max(fraction, 0.0), 1.0) * _STEPS))
        self.step_label.setText(message)

    def show_cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.step_label.setText("キャンセルしています…(切りのよいところで止まります)")


class ProgressPresenter(QObject):
    """Watches a TaskRunner and shows its progress over `window` only when the task is slow."""

    def __init__(
        self,
        runner: TaskRunner,
        window: QWidget,
        *,
        cursor_delay_ms: int = 300,
        dialog_delay_ms: int = 600,
    ) -> None:
        super().__init__(window)
        self._runner = runner
        self._window = window
        self.cursor_delay_ms = cursor_delay_ms
        self.dialog_delay_ms = dialog_delay_ms
        self.dialog: ProgressDialog | None = None
        self._title = ""
        self._last = (0.0, "")
        self._cursor_shown = False
        self._cursor_timer = self._timer(self._show_cursor)
        self._dialog_timer = self._timer(self._show_dialog)
        runner.started.connect(self._on_started)
        runner.progress.connect(self._on_progress)
        runner.finished.connect(self._on_finished)

    def _timer(self, slot) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(slot)
        return timer

    def _on_started(self, title: str) -> None:
        self._close_dialog()
        self._title = title
        self._last = (0.0, "")
        self._cursor_timer.start(self.cursor_delay_ms)
        self._dialog_timer.start(self.dialog_delay_ms)

    def _on_progress(self, fraction: float, message: str) -> None:
        self._last = (fraction, message)
        if self.dialog is not None:
            self.dialog.show_progress(fraction, message)

    def _show_cursor(self) -> None:
        if not self._cursor_shown:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            self._cursor_shown = True

    def _show_dialog(self) -> None:
        dialog = ProgressDialog(self._title, self._window)
        dialog.show_progress(*self._last)
        dialog.cancel_requested.connect(self._on_cancel_requested)
        self.dialog = dialog
        dialog.show()

    def _on_cancel_requested(self) -> None:
        """キャンセル pressed: ask the task to stop; the dialog says so until the task has stopped."""
        self._runner.cancel()
        if self.dialog is not None:
            self.dialog.show_cancelling()

    def _on_finished(self) -> None:
        self._cursor_timer.stop()
        self._dialog_timer.stop()
        if self._cursor_shown:
            QApplication.restoreOverrideCursor()
            self._cursor_shown = False
        self._close_dialog()

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            dialog, self.dialog = self.dialog, None
            dialog.hide()
            dialog.deleteLater()
