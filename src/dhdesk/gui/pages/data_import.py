"""データ取込: the import wizard — pick files, confirm each one's kind and column mapping, import, read the result.

Each file is one all-or-nothing batch. A refused file lists every problem (行・列・内容); the clerk may then
import its valid rows only, or save the list as Excel for the sender. The 取込履歴 tab lists every batch and
takes one back. Also hands out the canonical layouts (標準レイアウトのひな形) a clerk can fill in by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.issues import Issue, Severity
from dhdesk.core.progress import Cancelled, ProgressFn, wrap_progress
from dhdesk.gui import messages
from dhdesk.gui.pages.base import Page, PageContext
from dhdesk.gui.pages.import_history import HistoryPanel
from dhdesk.gui.pages.import_mapping import ImportEntry, MappingPanel
from dhdesk.gui.table_model import ColumnSpec, DataFrameModel
from dhdesk.gui.table_view import DataTableView
from dhdesk.services import imports

INPUT_FILTER = ("取り込めるファイル (*.csv *.tsv *.txt *.xlsx *.xlsm *.xls *.ods *.zip *.uke *.UKE);;"
                "すべてのファイル (*)")
TEMPLATE_FILTER = "Excel (*.xlsx);;CSV (*.csv)"
REPORT_FILTER = "Excel (*.xlsx)"
FILE_COLUMNS = ("ファイル", "種類", "状態")
OK_COLOUR = "#1b6e20"
ERROR_COLOUR = "#b00020"

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


def rows_with_errors(result: imports.ImportResult) -> int:
    """Rows (or documents of an archive) an error points at: what "valid rows only" would leave out."""
    errors = [i for i in result.issues if i.severity is Severity.ERROR]
    rows = {(i.source, i.row) for i in errors if i.row is not None}
    documents = {i.source for i in errors if i.row is None and i.source != result.source}
    return len(rows) + len(documents)


def ask_input_files(parent: QWidget, start: str) -> list[Path]:
    """The files to import (empty when the clerk cancels); tests replace this seam."""
    chosen, _ = QFileDialog.getOpenFileNames(parent, "取り込むファイル", start, INPUT_FILTER)
    return [Path(c) for c in chosen]


def ask_input_folder(parent: QWidget, start: str) -> Path | None:
    """A folder delivered as a whole (特定健診XMLの送付フォルダ, レセプトCSVのフォルダ); tests replace this seam."""
    chosen = QFileDialog.getExistingDirectory(parent, "取り込むフォルダ", start)
    return Path(chosen) if chosen else None


def ask_report_path(parent: QWidget, suggested: Path) -> Path | None:
    """Where to write the error report (None when the clerk cancels); tests replace this seam."""
    chosen, _ = QFileDialog.getSaveFileName(parent, "エラー一覧の保存先", str(suggested), REPORT_FILTER)
    return Path(chosen) if chosen else None


@dataclass(frozen=True)
class ImportJob:
    """One file to import with what the clerk confirmed for it (plain values: runs on the worker)."""

    path: Path
    kind: str
    mapping: imports.ColumnMapping | None = None
    preset: str | None = None
    save_as: str | None = None
    sheet: str | None = None

    @classmethod
    def of(cls, entry: ImportEntry) -> ImportJob:
        save_as = entry.save_as.strip() if entry.mapping is not None and entry.save_as else None
        return cls(entry.path, entry.kind, entry.mapping, entry.preset, save_as, entry.plan.sheet)

    def run(self, workspace, valid_rows_only: bool, progress: ProgressFn) -> imports.ImportResult:
        return imports.import_file(
            workspace, self.path, self.kind, mapping=self.mapping, preset=self.preset, save_preset_as=self.save_as,
            valid_rows_only=valid_rows_only, sheet=self.sheet, progress=progress,
        )


@dataclass(frozen=True)
class ImportRun:
    """The results of one press of 取り込む, in file order; `cancelled` when the clerk stopped it midway."""

    jobs: tuple[ImportJob, ...]
    results: tuple[imports.ImportResult, ...]
    cancelled: bool = False


def run_jobs(workspace, jobs: Sequence[ImportJob], valid_rows_only: bool, progress: ProgressFn) -> ImportRun:
    """Import each file as its own batch; a cancel stops at the current file (which imports nothing)."""
    results: list[imports.ImportResult] = []
    for number, job in enumerate(jobs):
        step = wrap_progress(progress, number / len(jobs), (number + 1) / len(jobs))
        try:
            results.append(job.run(workspace, valid_rows_only, step))
        except Cancelled:
            return ImportRun(tuple(jobs[: len(results)]), tuple(results), cancelled=True)
    return ImportRun(tuple(jobs), tuple(results))


def inspect_all(workspace, paths: Sequence[Path], progress: ProgressFn) -> list[ImportEntry]:
    entries = []
    for number, path in enumerate(paths):
        progress(number / len(paths), f"{path.name} を確認しています")
        entries.append(ImportEntry.of(imports.inspect_file(workspace, path)))
    return entries


class ImportPage(Page):
    """Inspecting and importing run on the worker; the chosen files, their mappings and the last results
    stay until other files are chosen or another workspace is opened."""

    title = "データ取込"
    explanation = (
        "事務室に届いたファイル(加入者台帳・健診結果・レセプト・医薬品マスター・傷病名マスター)を取り込みます。"
        "ファイルごとに種類と列の対応を確かめてから取り込みます。エラーが1件でもあるファイルは1行も登録しません"
        "(エラーのない行だけを取り込むこともできます)。"
    )

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.entries: list[ImportEntry] = []
        self.run: ImportRun | None = None
        self._result_for: Path | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self._wizard(), "取り込む")
        self.history = HistoryPanel(context)
        self.tabs.addTab(self.history, "取込履歴")
        self.body.addWidget(self.tabs, 1)
        self.body.addWidget(self._templates())
        self._show_run(None)

    # -- layout ------------------------------------------------------------------------------------

    def _wizard(self) -> QWidget:
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("取り込むファイル(「ファイルを選ぶ…」で複数選べます)")
        self.path_edit.returnPressed.connect(self._path_typed)
        browse = QPushButton("ファイルを選ぶ…")
        browse.clicked.connect(self._browse)
        folder = QPushButton("フォルダを選ぶ…")
        folder.clicked.connect(self._browse_folder)
        self.kind_combo = _kind_combo(imports.KINDS)
        self.kind_combo.activated.connect(self._kind_chosen)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("ファイル"))
        pick.addWidget(self.path_edit, 1)
        pick.addWidget(browse)
        pick.addWidget(folder)
        pick.addWidget(QLabel("種類"))
        pick.addWidget(self.kind_combo)
        self.file_table = QTableWidget(0, len(FILE_COLUMNS))
        self.file_table.setHorizontalHeaderLabels(FILE_COLUMNS)
        self.file_table.verticalHeader().setVisible(False)
        self.file_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.file_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.file_table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.file_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.file_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.file_table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.file_table.itemSelectionChanged.connect(self._file_selected)
        self.file_table.setVisible(False)
        self.mapping = MappingPanel()
        self.mapping.changed.connect(self._update_files)
        self.mapping.sheet_chosen.connect(self._sheet_chosen)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.mapping)
        self.stack.addWidget(self._result_panel())
        self.import_button = QPushButton("取り込む")
        self.import_button.setObjectName("primary")
        self.import_button.clicked.connect(self.start_import)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.result_label, 1)
        bottom.addWidget(self.import_button)
        wizard = QWidget()
        layout = QVBoxLayout(wizard)
        layout.addLayout(pick)
        layout.addWidget(self.file_table)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)
        return wizard

    def _result_panel(self) -> QWidget:
        self.issue_model = DataFrameModel(issues_frame([]), ISSUE_COLUMNS)
        self.issue_view = DataTableView(self.issue_model)
        self.issue_view.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.valid_rows_button = QPushButton("有効な行だけ取り込む")
        self.valid_rows_button.clicked.connect(self.import_valid_rows)
        self.report_button = QPushButton("エラー一覧をExcelに保存…")
        self.report_button.clicked.connect(self.save_report)
        self.back_button = QPushButton("列の対応に戻る")
        self.back_button.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.valid_rows_button)
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.issue_view, 1)
        layout.addLayout(buttons)
        return panel

    def _templates(self) -> QGroupBox:
        self.template_combo = _kind_combo({k: imports.KINDS[k] for k in imports.TEMPLATE_KINDS})
        self.template_button = QPushButton("標準レイアウトのひな形を保存…")
        self.template_button.clicked.connect(self._save_template)
        templates = QGroupBox("標準レイアウトのひな形")
        hint = QLabel("手作業でデータを用意するときは、ひな形(見出しと記入例)のとおりに入力してください。")
        hint.setWordWrap(True)
        row = QHBoxLayout(templates)
        row.addWidget(hint, 1)
        row.addWidget(self.template_combo)
        row.addWidget(self.template_button)
        return templates

    # -- workspace -----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Files, mappings and results belong to the workspace they were made in: another one starts clean."""
        path = self.context.session.path
        if path != self._result_for:
            self._result_for = path
            self._set_entries([])
            self._show_run(None)
            self._show_message("", "ok")
        self.history.refresh()
        self._update_import_button()
        if path is None:
            self._show_message("ワークスペースを開くと取り込めます。", "missing")

    # -- choosing files ------------------------------------------------------------------------------

    def add_files(self, paths: Sequence[Path]) -> None:
        """Inspect `paths` on the worker (kind, header row, proposed mapping); they become the files to import."""
        ws = self.workspace
        paths = [Path(p) for p in paths]
        if ws is None or not paths:
            return
        self.context.runner.start(
            lambda progress: inspect_all(ws, paths, progress),
            "ファイルの内容を確認しています",
            on_done=self._inspected,
        )

    def select_file(self, row: int) -> None:
        self.file_table.selectRow(row)

    @property
    def current(self) -> ImportEntry | None:
        rows = self.file_table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows and rows[0].row() < len(self.entries) else None

    def _inspected(self, entries: list[ImportEntry]) -> None:
        self._set_entries(entries)
        self._show_run(None)
        self._show_message("", "ok")
        self.stack.setCurrentIndex(0)

    def _set_entries(self, entries: list[ImportEntry]) -> None:
        self.entries = entries
        self.file_table.clearSelection()
        self.file_table.setRowCount(len(entries))
        self.file_table.setVisible(bool(entries))
        self._update_files()
        if entries:
            self.select_file(0)
        else:
            self.mapping.show_entry(None)
            self._update_import_button()

    def _update_files(self) -> None:
        """One line per chosen file: its kind and where it stands (blocked, ready, imported, refused)."""
        outcomes = {}
        if self.run is not None:
            outcomes = {job.path: result for job, result in zip(self.run.jobs, self.run.results, strict=True)}
        for row, entry in enumerate(self.entries):
            state, colour = _file_state(entry, outcomes.get(entry.path))
            kind = imports.KINDS.get(entry.kind or "", "判別できません")
            for column, text in enumerate((entry.path.name, kind, state)):
                item = QTableWidgetItem(text)
                if column == 2 and colour:
                    item.setForeground(QBrush(QColor(colour)))
                self.file_table.setItem(row, column, item)
        rows = sum(self.file_table.rowHeight(r) for r in range(min(len(self.entries), 4)))
        self.file_table.setFixedHeight(rows + self.file_table.horizontalHeader().sizeHint().height() + 4)
        self._update_import_button()

    def _file_selected(self) -> None:
        entry = self.current
        if entry is None:
            return
        self.path_edit.setText(str(entry.path))
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(entry.kind) if entry.kind else -1)
        self.mapping.show_entry(entry)

    def _kind_chosen(self, _index: int) -> None:
        """The clerk corrected the detected kind: look at the file again as that kind."""
        entry, kind = self.current, self.kind_combo.currentData()
        if entry is not None and str(entry.path) == self.path_edit.text().strip() and kind != entry.kind:
            self._inspect_again(entry, kind, None)

    def _sheet_chosen(self, sheet: str) -> None:
        entry = self.current
        if entry is not None and entry.kind is not None and sheet != entry.plan.sheet:
            self._inspect_again(entry, entry.kind, sheet)

    def _inspect_again(self, entry: ImportEntry, kind: str, sheet: str | None) -> None:
        ws, row = self.workspace, self.entries.index(entry)
        if ws is None:
            return
        self.context.runner.start(
            lambda progress: ImportEntry.of(imports.inspect_file(ws, entry.path, kind, sheet=sheet)),
            f"{entry.path.name} を{imports.KINDS[kind]}として確認しています",
            on_done=lambda replaced: self._replace_entry(row, replaced),
        )

    def _replace_entry(self, row: int, entry: ImportEntry) -> None:
        self.entries[row] = entry
        self._update_files()
        self.select_file(row)
        self._file_selected()

    def _update_import_button(self) -> None:
        ws_open = self.context.session.path is not None
        blocked = [e for e in self.entries if e.blocked()]
        self.import_button.setEnabled(ws_open and not blocked)
        if not ws_open:
            self.import_button.setToolTip("先にワークスペースを開いてください。")
        elif blocked:
            self.import_button.setToolTip(f"{blocked[0].path.name}: {blocked[0].blocked()}")
        else:
            self.import_button.setToolTip("")

    # -- importing ------------------------------------------------------------------------------------

    def start_import(self) -> None:
        """Import every chosen file; a path typed by hand is imported as the kind shown, mapped by the service."""
        typed = self.path_edit.text().strip()
        if not typed and not self.entries:
            self._show_message("取り込むファイルを選んでください。", "error")
            return
        if self.entries and any(str(e.path) == typed for e in self.entries):
            jobs = [ImportJob.of(e) for e in self.entries]
        else:
            jobs = [ImportJob(Path(typed), self.kind_combo.currentData())]
        self._start(jobs, valid_rows_only=False)

    def import_valid_rows(self) -> None:
        """Import the refused files again, leaving out the rows with errors (the clerk asked for it)."""
        if self.run is None:
            return
        jobs = [job for job, result in zip(self.run.jobs, self.run.results, strict=True)
                if not result.accepted and rows_with_errors(result)]
        if jobs:
            self._start(jobs, valid_rows_only=True)

    def _start(self, jobs: list[ImportJob], valid_rows_only: bool) -> None:
        ws = self.workspace
        self._show_message("", "ok")
        names = "、".join(job.path.name for job in jobs)
        self.context.runner.start(
            lambda progress: run_jobs(ws, jobs, valid_rows_only, progress),
            f"取り込んでいます: {names}",
            on_done=lambda run: self._imported(run, valid_rows_only),
        )

    def _imported(self, run: ImportRun, valid_rows_only: bool) -> None:
        if valid_rows_only and self.run is not None:
            run = _merged(self.run, run)
        self._show_run(run)
        self.stack.setCurrentIndex(1)
        if any(r.accepted for r in run.results):
            self.context.session.notify_changed()
        self.history.refresh()

    def _show_run(self, run: ImportRun | None) -> None:
        self.run = run
        results = run.results if run else ()
        self.issue_model.set_frame(issues_frame([i for r in results for i in r.issues]), ISSUE_COLUMNS)
        for column in (0, 1, 2):
            self.issue_view.resizeColumnToContents(column)
        left_out = sum(rows_with_errors(r) for r in results if not r.accepted)
        self.valid_rows_button.setVisible(left_out > 0)
        self.valid_rows_button.setText(f"有効な行だけ取り込む(エラーのある {left_out:,} 行を除く)")
        self.report_button.setEnabled(any(r.issues for r in results))
        self._update_files()
        if run is None:
            return
        lines = [r.message for r in results]
        if run.cancelled:
            lines.append("取込をキャンセルしました。取込中だったファイルは何も登録していません。")
        refused = run.cancelled or not all(r.accepted for r in results)
        self._show_message("\n".join(lines), "error" if refused else "ok")

    def save_report(self) -> None:
        """Write every issue of the last results as xlsx for the sender (取込エラー一覧)."""
        if self.run is None or not self.run.results:
            return
        first = self.run.results[0].source
        suggested = Path.home() / f"{Path(first).stem}_取込エラー一覧.xlsx"
        target = ask_report_path(self, suggested)
        if target is None:
            return
        try:
            written = imports.save_issue_report(list(self.run.results), target)
        except OSError as exc:
            messages.show_error(self, "エラー一覧を保存できません", exc)
            return
        count = sum(len(r.issues) for r in self.run.results)
        self._show_message(f"エラー・警告 {count:,} 件の一覧を保存しました: {written}", "ok")

    # -- small things ---------------------------------------------------------------------------------

    def _show_message(self, text: str, role: str) -> None:
        self.result_label.setText(text)
        self.result_label.setProperty("role", role)
        self.result_label.style().unpolish(self.result_label)
        self.result_label.style().polish(self.result_label)

    def _path_typed(self) -> None:
        typed = self.path_edit.text().strip()
        if typed:
            self.add_files([Path(typed)])

    def _browse(self) -> None:
        chosen = ask_input_files(self, self.path_edit.text())
        if chosen:
            self.add_files(chosen)

    def _browse_folder(self) -> None:
        chosen = ask_input_folder(self, self.path_edit.text())
        if chosen is not None:
            self.add_files([chosen])

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


def _file_state(entry: ImportEntry, result: imports.ImportResult | None) -> tuple[str, str | None]:
    """(text, colour) of a chosen file's 状態: the last result when it was imported, else whether it can be."""
    if result is not None and result.accepted:
        return f"取り込みました({result.rows:,} 行)", OK_COLOUR
    if result is not None:
        errors = sum(i.severity is Severity.ERROR for i in result.issues)
        return f"取り込んでいません(エラー {errors:,} 件)", ERROR_COLOUR
    reason = entry.blocked()
    if reason:
        return reason, ERROR_COLOUR
    look = entry.to_check()
    return "取り込めます" + (f"(要確認 {look} 列)" if look else ""), None


def _merged(before: ImportRun, again: ImportRun) -> ImportRun:
    """The earlier run with the files imported again (valid rows only) replaced by their new results."""
    redone = {job.path: result for job, result in zip(again.jobs, again.results, strict=True)}
    results = tuple(redone.get(job.path, result) for job, result in zip(before.jobs, before.results, strict=True))
    return ImportRun(before.jobs, results, again.cancelled)


def _kind_combo(kinds: dict[str, str]) -> QComboBox:
    combo = QComboBox()
    for key, label in kinds.items():
        combo.addItem(label, key)
    return combo
