"""The 発送履歴 tab of 通知・発送: every batch printed, reprinted exactly, or cancelled with a reason.

A reprint comes from the letters as recorded (the service checks each one's SHA-256), never from
today's roster, so a lost letter is replaced by the same letter. A cancelled batch stays listed,
marked 取消 with its reason; its members count as not notified again.
"""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from dhdesk.gui.pages.base import PageContext
from dhdesk.gui.pages.notices_dialogs import Refused, ask_folder, ask_reason, open_folder, refusable
from dhdesk.gui.table_model import ColumnSpec, DataFrameModel, format_count, format_value
from dhdesk.gui.table_view import DataTableView
from dhdesk.services import mailing

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_COUNTS = {"発送番号", "対象者リスト", "通知数", "自宅直送", "所属所経由"}


def _minutes(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, pd.Timestamp) else format_value(value)


def history_columns() -> list[ColumnSpec]:
    specs = []
    for name in mailing.HISTORY_COLUMNS:
        if name in _COUNTS:
            specs.append(ColumnSpec(name, name, format_count, _RIGHT))
        elif name in ("作成日時", "取消日時"):
            specs.append(ColumnSpec(name, name, _minutes))
        else:
            specs.append(ColumnSpec(name, name))
    return specs


class HistoryPanel(QWidget):
    """The send history table with 再印刷… (whole batch or one member) and 取消…."""

    batches_changed = Signal()

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.model = DataFrameModel()
        self.view = DataTableView(self.model, sortable=False)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.member_edit = QLineEdit()
        self.member_edit.setPlaceholderText("空欄 = 全員分")
        self.member_edit.setMaximumWidth(200)
        self.reprint_button = QPushButton("再印刷…")
        self.reprint_button.clicked.connect(self.reprint)
        self.cancel_button = QPushButton("取消…")
        self.cancel_button.clicked.connect(self.cancel_batch)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("再印刷する加入者番号"))
        buttons.addWidget(self.member_edit)
        buttons.addWidget(self.reprint_button)
        buttons.addSpacing(24)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        hint = QLabel("再印刷は記録した通知文そのものを印刷します(台帳や文面を後で直しても変わりません)。"
                      "取り消した発送は一覧に残り、その通知は「通知済み」に数えなくなります。")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        layout.addWidget(hint)
        layout.addWidget(self.status_label)
        self._update_buttons()

    def refresh(self) -> None:
        ws = self.context.session.workspace
        frame = mailing.history(ws) if ws is not None else pd.DataFrame(columns=list(mailing.HISTORY_COLUMNS))
        self.model.set_frame(frame, history_columns())
        self.view.resizeColumnsToContents()
        if len(frame):
            self.select_batch(int(frame["発送番号"].iloc[0]))
        self.status_label.setText("" if len(frame) else "発送の記録はまだありません。「発送」タブで作成すると記録されます。")
        self._update_buttons()

    def select_batch(self, batch_id: int) -> None:
        row = self.model.frame["発送番号"].astype(int).tolist().index(batch_id)
        self.view.selectRow(row)
        self.view.setCurrentIndex(self.model.index(row, 0))

    def selected_batch(self) -> pd.Series | None:
        row = self.view.currentIndex().row()
        return self.model.row(row) if 0 <= row < self.model.rowCount() else None

    def _update_buttons(self) -> None:
        chosen = self.selected_batch()
        self.reprint_button.setEnabled(chosen is not None)
        self.cancel_button.setEnabled(chosen is not None and chosen["状態"] == mailing.STATUS_LABELS["issued"])

    def reprint(self) -> None:
        ws, chosen = self.context.session.workspace, self.selected_batch()
        if ws is None or chosen is None:
            return
        folder = ask_folder(self, "再印刷の保存先フォルダ", ws.path.parent)
        if folder is None:
            return
        batch_id, member_id = int(chosen["発送番号"]), self.member_edit.text().strip() or None
        self.context.runner.start(
            refusable(lambda _progress: mailing.reprint(ws, batch_id, folder, member_id)),
            f"発送番号 {batch_id} を再印刷しています",
            on_done=lambda outcome: self._on_reprinted(outcome, folder),
        )

    def _on_reprinted(self, outcome: list | Refused, folder) -> None:
        if isinstance(outcome, Refused):
            self.status_label.setText(outcome.message)
            return
        self.status_label.setText("再印刷しました:\n" + "\n".join(str(path) for path in outcome))
        open_folder(folder)

    def cancel_batch(self) -> None:
        ws, chosen = self.context.session.workspace, self.selected_batch()
        if ws is None or chosen is None:
            return
        batch_id = int(chosen["発送番号"])
        reason = ask_reason(self, "発送の取消", f"発送番号 {batch_id} を取り消す理由を入力してください。")
        if reason is None:
            return
        try:
            mailing.cancel(ws, batch_id, reason)
        except mailing.MailingRefused as error:
            self.status_label.setText(str(error))
            return
        self.refresh()
        self.select_batch(batch_id)
        self.status_label.setText(f"発送番号 {batch_id} を取り消しました(理由: {reason.strip()})。")
        self.batches_changed.emit()
