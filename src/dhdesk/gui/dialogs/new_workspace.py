"""The 新規ワークスペース dialog: the union's details and where the workspace file goes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.union import UnionInfo
from dhdesk.gui.union_form import UnionForm

SUFFIX = ".dhdesk"
FILE_FILTER = "dhdesk ワークスペース (*.dhdesk)"


class NewWorkspaceDialog(QDialog):
    """Pressing 作成 with details missing lists what to fix instead of closing."""

    def __init__(self, parent: QWidget | None = None, directory: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("新規ワークスペース")
        self.setMinimumWidth(520)
        self._directory = directory or Path.home()
        intro = QLabel(
            "組合ごとに1つのワークスペース(ファイル)を作ります。"
            "名称・住所・電話は通知文のレターヘッドに印刷されます(あとから「設定」で変えられます)。"
        )
        intro.setWordWrap(True)
        self.form = UnionForm()
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("保存先のファイル(.dhdesk)")
        browse = QPushButton("参照…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(QLabel("保存先"))
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.problems_label = QLabel("")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #b00020;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("作成")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("キャンセル")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addLayout(path_row)
        layout.addWidget(self.problems_label)
        layout.addWidget(buttons)

    @classmethod
    def ask(cls, parent: QWidget | None = None, directory: Path | None = None) -> tuple[Path, UnionInfo] | None:
        """Show the dialog; the chosen file and union details, or None when cancelled."""
        dialog = cls(parent, directory)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def path(self) -> Path | None:
        text = self.path_edit.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.suffix == SUFFIX else path.with_name(path.name + SUFFIX)

    def value(self) -> tuple[Path, UnionInfo]:
        path = self.path()
        if path is None:
            raise ValueError("no path chosen")
        return path, self.form.value()

    def problems(self) -> list[str]:
        found = self.form.value().problems()
        path = self.path()
        if path is None:
            found.append("保存先のファイルを指定してください。")
        elif path.exists():
            found.append("そのファイルはすでにあります。別の名前を指定してください。")
        elif not path.parent.is_dir():
            found.append("保存先のフォルダがありません。")
        return found

    def accept(self) -> None:
        found = self.problems()
        self.problems_label.setText("\n".join(found))
        if not found:
            super().accept()

    def _browse(self) -> None:
        suggested = self._directory / ((self.form.value().name or "ワークスペース") + SUFFIX)
        chosen, _ = QFileDialog.getSaveFileName(self, "ワークスペースの保存先", str(suggested), FILE_FILTER)
        if chosen:
            self.path_edit.setText(chosen)
