"""Telling the clerk that something went wrong (エラー表示), in Japanese, from a window.

Expected failures (a locked workspace, an unreadable file) carry their own Japanese message; anything
else is a bug, shown as such with the details a developer needs.
"""

from __future__ import annotations

import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from dhdesk.services.demo import DemoError
from dhdesk.services.programs import ProgramError
from dhdesk.services.workspaces import WorkspaceOpenError
from dhdesk.store.errors import StoreError

EXPECTED = (WorkspaceOpenError, DemoError, ProgramError, StoreError)
"""Failures whose message is already written for the clerk."""


def error_text(exc: BaseException) -> str:
    """What the clerk reads for `exc`."""
    if isinstance(exc, EXPECTED):
        return str(exc)
    if isinstance(exc, PermissionError):
        return f"ファイルを読み書きする権限がありません。\n{exc.filename or exc}"
    if isinstance(exc, FileNotFoundError):
        return f"ファイルが見つかりません。\n{exc.filename or exc}"
    if isinstance(exc, OSError):
        return f"ファイルを読み書きできませんでした。\n{exc}"
    return f"予期しないエラーが発生しました。開発元に次の内容をお知らせください。\n{type(exc).__name__}: {exc}"


def is_bug(exc: BaseException) -> bool:
    return not isinstance(exc, (*EXPECTED, OSError))


def show_error(parent: QWidget | None, title: str, exc: BaseException) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, error_text(exc), QMessageBox.StandardButton.Ok, parent)
    if is_bug(exc):
        box.setDetailedText("".join(traceback.format_exception(exc)))
    box.exec()
