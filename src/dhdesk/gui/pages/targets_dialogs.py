"""The two questions of the 対象者抽出 review: why a member is excluded (除外の理由) and how to approve (確定).

Both are asked through `ask()` so tests answer them without a blocking `exec()`.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dhdesk.services import programs

HOLDOUT_EXPLANATION = (
    "比較のための保留: 通知対象から無作為に選んだ人には今回は送らず、数か月後に受診などを通知した人と比べて"
    "通知の効果を測ります（0 % なら全員に送ります）。"
)


class ExclusionDialog(QDialog):
    """The reason a clerk takes one member off the list; OK stays disabled until a reason is typed."""

    def __init__(self, member: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("対象から除外")
        self.setMinimumWidth(460)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("例: 本人から通知不要の申し出（電話 11/20）")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("除外する")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("キャンセル")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reason_edit.textChanged.connect(self._update_ok)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{member} を通知の対象から外します。理由は一覧と Excel に残ります。"))
        layout.addWidget(QLabel("除外の理由（必須）"))
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.buttons)
        self._update_ok()

    def reason(self) -> str:
        return self.reason_edit.text().strip()

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.reason()))

    @classmethod
    def ask(cls, parent: QWidget | None, member: str) -> str | None:
        """The reason typed, or None when the clerk cancelled."""
        dialog = cls(member, parent)
        return dialog.reason() if dialog.exec() == QDialog.DialogCode.Accepted and dialog.reason() else None


class ApprovalDialog(QDialog):
    """確定: the final count and the optional share held back for comparison (0–20 %)."""

    def __init__(self, summary: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("対象者一覧の確定")
        self.setMinimumWidth(520)
        self.share_spin = QSpinBox()
        self.share_spin.setRange(0, programs.MAX_HOLDOUT_PERCENT)
        self.share_spin.setSuffix(" %")
        explanation = QLabel(HOLDOUT_EXPLANATION)
        explanation.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("確定する")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("キャンセル")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        share_row = QHBoxLayout()
        share_row.addWidget(QLabel("比較のための保留"))
        share_row.addWidget(self.share_spin)
        share_row.addStretch(1)
        layout = QVBoxLayout(self)
        intro = QLabel(f"{summary}\n確定すると除外・復帰はできなくなり、「通知・発送」で使えるようになります。")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(share_row)
        layout.addWidget(explanation)
        layout.addWidget(buttons)

    def share(self) -> float:
        return self.share_spin.value() / 100

    @classmethod
    def ask(cls, parent: QWidget | None, summary: str) -> float | None:
        """The holdout share (0.0–0.2), or None when the clerk cancelled."""
        dialog = cls(summary, parent)
        return dialog.share() if dialog.exec() == QDialog.DialogCode.Accepted else None
