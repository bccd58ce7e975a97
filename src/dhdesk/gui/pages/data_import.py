"""データ取込: pick a file and its kind, import it all-or-nothing, show every problem found.

Also hands out the canonical layouts (標準レイアウトのひな形) a clerk can fill in by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from dhdesk.core.issues import Issue
from dhdesk.gui import messages
from dhdesk.gui.pages.base import Page, PageContext
from dhdesk.gui.table_model import ColumnSpec, DataFrameModel
from dhdesk.gui.table_view import DataTableView
from dhdesk.services import imports

INPUT_FILTER = "CSV・Excel (*.csv *.tsv *.txt *.xlsx *.xlsm *.xls *.ods);;すべてのファイル (*)"
TEMPLATE_FILTER = "Excel (*.xlsx);;CSV (*.csv)"

ISSUE_COLUMNS = (
    ColumnSpec("severity", "重大度"),
    ColumnSpec("row", "行"),
    ColumnSpec("column", "列"),
    ColumnSpec("message", "内容"),
    ColumnSpec("source", "ファイル"),
)


def issues_frame(issues: list[Issue]) -> pd.DataFrame:
    """Issues as a table: one row per problem, in the order found."""
    return pd.DataFrame(
        {
            "severity": pd.array([i.severity.value for i in issues], dtype="string"),
            "row": pd.array([i.row for i in issues], dtype="Int64"),
            "column": pd.array([i.column for i in issues], dtype="string"),
            "message": pd.array([i.message for i in issues], dtype="string"),
            "source": pd.array([i.source for i in issues], dtype="string"),
        }
    )


class ImportPage(Page):
    """Import runs on the worker; the result (accepted or refused) and its issues stay until the next one."""

    title = "データ取込"
    explanation = (
        "事務室に届いたファイル(加入者台帳・健診結果・レセプト・医薬品マスター)を取り込みます。"
        "1件でもエラーがあれば、そのファイルは1行も登録しません(全件取込か、取込なしのどちらか)。"
        "エラーの行と列を下の表で確かめ、元のファイルを直してから取り込み直してください。"
    )

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("取り込むファイル")
        browse = QPushButton("参照…")
        browse.clicked.connect(self._browse)
        self.kind_combo = _kind_combo()
        self.import_button = QPushButton("取り込む")
        self.import_button.clicked.connect(self.start_import)
        box = QGroupBox("ファイルを取り込む")
        grid = QGridLayout(box)
        grid.addWidget(QLabel("ファイル"), 0, 0)
        grid.addWidget(self.path_edit, 0, 1)
        grid.addWidget(browse, 0, 2)
        grid.addWidget(QLabel("種類"), 1, 0)
        grid.addWidget(self.kind_combo, 1, 1)
        grid.addWidget(self.import_button, 1, 2)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.issue_model = DataFrameModel(issues_frame([]), ISSUE_COLUMNS)
        self.issue_view = DataTableView(self.issue_model)
        self.issue_view.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.template_combo = _kind_combo()
        self.template_button = QPushButton("標準レイアウトのひな形を保存…")
        self.template_button.clicked.connect(self._save_template)
        templates = QGroupBox("標準レイアウトのひな形")
        template_hint = QLabel("手作業でデータを用意するときは、ひな形(見出しと記入例)のとおりに入力してください。")
        template_hint.setWordWrap(True)
        template_row = QHBoxLayout(templates)
        template_row.addWidget(template_hint, 1)
        template_row.addWidget(self.template_combo)
        template_row.addWidget(self.template_button)
        self._result_for: Path | None = None
        self.body.addWidget(box)
        self.body.addWidget(self.result_label)
        self.body.addWidget(self.issue_view, 1)
        self.body.addWidget(templates)

    def refresh(self) -> None:
        """A result belongs to the workspace it was imported into: another workspace starts clean."""
        path = self.context.session.path
        if path != self._result_for:
            self._result_for = path
            self._show_message("", "ok")
            self.issue_model.set_frame(issues_frame([]), ISSUE_COLUMNS)
        self.import_button.setEnabled(path is not None)
        self.import_button.setToolTip("" if path is not None else "先にワークスペースを開いてください。")
        if path is None:
            self._show_message("ワークスペースを開くと取り込めます。", "missing")

    def start_import(self) -> None:
        path_text = self.path_edit.text().strip()
        if not path_text:
            self._show_message("取り込むファイルを選んでください。", "error")
            return
        ws, path, kind = self.workspace, Path(path_text), self.kind_combo.currentData()
        self._show_message("", "ok")
        self.issue_model.set_frame(issues_frame([]), ISSUE_COLUMNS)
        self.context.runner.start(
            lambda progress: imports.import_file(ws, path, kind, progress=progress),
            f"{imports.KINDS[kind]}を取り込んでいます: {path.name}",
            on_done=self._show_result,
            on_cancelled=lambda: self._show_message("取込をキャンセルしました。何も登録していません。", "missing"),
        )

    def _show_result(self, result) -> None:
        self._show_message(result.message, "ok" if result.accepted else "error")
        self.issue_model.set_frame(issues_frame(list(result.issues)), ISSUE_COLUMNS)
        self.issue_view.resizeColumnToContents(0)
        self.issue_view.resizeColumnToContents(1)
        self.issue_view.resizeColumnToContents(2)
        if result.accepted:
            self.context.session.notify_changed()

    def _show_message(self, text: str, role: str) -> None:
        self.result_label.setText(text)
        self.result_label.setProperty("role", role)
        self.result_label.style().unpolish(self.result_label)
        self.result_label.style().polish(self.result_label)

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "取り込むファイル", self.path_edit.text(), INPUT_FILTER)
        if chosen:
            self.path_edit.setText(chosen)

    def _save_template(self) -> None:
        kind = self.template_combo.currentData()
        suggested = str(Path.home() / f"{imports.KINDS[kind]}_ひな形.xlsx")
        chosen, _ = QFileDialog.getSaveFileName(self, "ひな形の保存先", suggested, TEMPLATE_FILTER)
        if not chosen:
            return
        try:
            written = imports.save_template(kind, Path(chosen))
        except OSError as exc:
            messages.show_error(self, "ひな形を保存できません", exc)
            return
        names = "、".join(path.name for path in written)
        self._show_message(f"{imports.KINDS[kind]}のひな形を保存しました: {names}({Path(chosen).parent})", "ok")


def _kind_combo() -> QComboBox:
    combo = QComboBox()
    for key, label in imports.KINDS.items():
        combo.addItem(label, key)
    return combo
