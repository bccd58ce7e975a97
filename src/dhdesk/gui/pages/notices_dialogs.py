"""What the 通知・発送 screen asks the clerk (folder, reason, yes/no) and the refusals it reports.

Each question is a module-level function returning the answer (None = the clerk cancelled), so tests
replace it instead of blocking on a dialog. A refusal the services word for the clerk (not approved,
already printed, a template with an unknown placeholder…) comes back from the task as `Refused`
data and is shown on the page; only real failures reach the window's error box.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from dhdesk.core.letters import TemplateError
from dhdesk.core.progress import ProgressFn
from dhdesk.services.effect import EffectNotAvailable
from dhdesk.services.mailing import MailingRefused

CLERK_REFUSALS = (MailingRefused, EffectNotAvailable, TemplateError)
"""Exceptions whose message is written for the clerk: shown on the page, not as an error."""


@dataclass(frozen=True)
class Refused:
    """A task the services refused; `error` keeps the exception (e.g. the members with unprintable characters)."""

    error: Exception

    @property
    def message(self) -> str:
        return str(self.error)


def refusable(task: Callable[[ProgressFn], Any]) -> Callable[[ProgressFn], Any]:
    """`task`, returning `Refused` instead of raising one of CLERK_REFUSALS."""

    def run(progress: ProgressFn) -> Any:
        try:
            return task(progress)
        except CLERK_REFUSALS as error:
            return Refused(error)

    return run


def ask_folder(parent: QWidget, title: str, start: Path) -> Path | None:
    """A folder to write into (None when the clerk cancels)."""
    chosen = QFileDialog.getExistingDirectory(parent, title, str(start))
    return Path(chosen) if chosen else None


def ask_reason(parent: QWidget, title: str, prompt: str) -> str | None:
    """A short text the clerk must give (a cancel reason); None when cancelled."""
    text, accepted = QInputDialog.getText(parent, title, prompt)
    return text if accepted else None


def confirm(parent: QWidget, title: str, question: str) -> bool:
    answer = QMessageBox.question(parent, title, question,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def open_folder(path: Path) -> None:
    """Show `path` in Explorer (the file manager of the platform)."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
