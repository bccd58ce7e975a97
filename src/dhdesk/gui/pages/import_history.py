"""The import history (取込履歴) of the データ取込 screen: every batch, and 取り消し of one after confirmation.

Undo runs on the worker (the store backs the workspace up first, which takes a moment on a big file);
the batch stays listed as 取消済み so the history never loses a line.
"""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from dhdesk.gui.pages.base import PageContext
from dhdesk.gui.table_model import ColumnSpec, DataFrameModel, format_count, format_value, is_missing
from dhdesk.gui.table_view import DataTableView
from dhdesk.services import imports

ACTIVE = imports.STATUS_LABELS["active"]


def format_moment(value: object) -> str:
    """A timestamp to the minute: the clerk tells two imports of one day apart."""
    return "" if is_missing(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
COLUMNS = [
    ColumnSpec("取込番号", "取込番号", format_value, _RIGHT),
    ColumnSpec("ファイル", "ファイル"),
    ColumnSpec("種類", "種類"),
    ColumnSpec("行数", "行数", format_count, _RIGHT),
    ColumnSpec("取込日時", "取込日時", format_moment),
    ColumnSpec("プリセット", "プリセット"),
    ColumnSpec("状態", "状態"),
    ColumnSpec("取消日時", "取消日時", format_moment),
    ColumnSpec("備考", "備考"),
]


def ask_undo(parent: QWidget, batch: pd.Series) -> bool:
    """Confirm 取り消し of one batch (tests replace this seam)."""
    text = (f"取込番号 {batch['取込番号']}「{batch['ファイル']}」（{batch['種類']} {format_count(batch['行数'])} 行）を"
            "取り消しますか。\nこの取込で登録した行を削除し、置き換えた行を元に戻します。取り消す前にバックアップを作ります。")
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(parent, "取込の取り消し", text, buttons.Yes | buttons.No, buttons.No)
    return answer == buttons.Yes


class HistoryPanel(QWidget):
    """The batches of the open workspace, newest first, with 取り消し for the selected active one."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.model = DataFrameModel(pd.DataFrame(columns=list(imports.HISTORY_COLUMNS)), COLUMNS)
        self.view = DataTableView(self.model)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.undo_button = QPushButton("取り消し…")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo_selected)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        hint = QLabel("取り込んだファイルの一覧です。取り消すと、その取込で登録した行を削除し、置き換えた行を元に戻します。")
        hint.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.status_label, 1)
        row.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)

    def refresh(self) -> None:
        ws = self.context.session.workspace
        frame = imports.import_history(ws) if ws is not None else pd.DataFrame(columns=list(imports.HISTORY_COLUMNS))
        self.model.set_frame(frame, COLUMNS)
        for column in range(len(COLUMNS) - 1):
            self.view.resizeColumnToContents(column)
        self._selection_changed()

    def select_batch(self, batch_id: int) -> None:
        rows = self.model.frame.index[self.model.frame["取込番号"] == batch_id]
        self.view.selectRow(int(rows[0]))

    def selected(self) -> pd.Series | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def undo_selected(self) -> None:
        batch = self.selected()
        if batch is None or batch["状態"] != ACTIVE or not ask_undo(self, batch):
            return
        ws, batch_id = self.context.session.workspace, int(batch["取込番号"])
        self.context.runner.start(
            lambda progress: imports.undo_import(ws, batch_id),
            f"取込番号 {batch_id} を取り消しています",
            on_done=self._undone,
        )

    def _undone(self, result: imports.UndoResult) -> None:
        self._set_status(result.message, "ok" if result.undone else "error")
        self.refresh()
        if result.undone:
            self.context.session.notify_changed()

    def _selection_changed(self, *_args) -> None:
        batch = self.selected()
        self.undo_button.setEnabled(batch is not None and batch["状態"] == ACTIVE)

    def _set_status(self, text: str, role: str) -> None:
        self.status_label.setText(text)
        self.status_label.setProperty("role", role)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
