"""対象者抽出: run a health program (保健事業) on the workspace, review the list, exclude, approve, export.

Three tabs: 抽出の設定 (parameters), 確認・確定 (the run's list, funnel and explanations) and これまでの抽出
(past runs to reopen). Everything that reads or writes the workspace runs on the TaskRunner and ends by
reloading the run, so the table always shows what is saved. Questions go through `ask_*` seams.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dhdesk.gui.pages.base import Page, PageContext
from dhdesk.gui.pages.targets_dialogs import ApprovalDialog, ExclusionDialog
from dhdesk.gui.pages.targets_params import ParametersPanel
from dhdesk.gui.pages.targets_review import STATUS_LABELS, ReviewPanel
from dhdesk.gui.table_model import ColumnSpec, DataFrameModel, format_count
from dhdesk.gui.table_view import DataTableView
from dhdesk.services import programs, workspaces

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
RUN_COLUMNS = (
    ColumnSpec("run_id", "実行番号"),
    ColumnSpec("title", "保健事業"),
    ColumnSpec("period", "年度・月"),
    ColumnSpec("status", "状態"),
    ColumnSpec("created", "抽出日時"),
    ColumnSpec("targets", "一覧", format_count, _RIGHT),
    ColumnSpec("final", "通知対象", format_count, _RIGHT),
    ColumnSpec("holdout", "保留", format_count, _RIGHT),
)


def ask_xlsx_path(parent: QWidget | None, suggested: Path) -> Path | None:
    """Where to save the reviewed list (None when the clerk cancelled)."""
    name, _filter = QFileDialog.getSaveFileName(parent, "Excelに保存", str(suggested), "Excel ブック (*.xlsx)")
    return Path(name) if name else None


def fiscal_months(fiscal_year: int) -> list[str]:
    """The claim months of a 年度 as "YYYY-MM", April to March."""
    return [f"{fiscal_year + (m < 4)}-{m:02d}" for m in (*range(4, 13), 1, 2, 3)]


def default_month(fiscal_year: int, today: date | None = None) -> str:
    """The latest month of the 年度 that has begun (a past 年度: its March)."""
    today = today or date.today()
    begun = [m for m in fiscal_months(fiscal_year) if m <= f"{today:%Y-%m}"]
    return begun[-1] if begun else fiscal_months(fiscal_year)[0]


def runs_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """Past runs as the これまでの抽出 table shows them, newest first."""
    titles = {pid: programs.get_program(pid).title for pid in programs.program_ids()}
    month = runs["period_month"].astype("string").fillna("")
    period = runs["fiscal_year"].astype(str) + "年度" + month.map(lambda m: f" {m[:4]}-{m[4:]}" if m else "")
    return pd.DataFrame({
        "run_id": runs["run_id"].astype(int),
        "title": runs["program"].map(titles).fillna(runs["program"]),
        "period": period,
        "status": runs["status"].map(STATUS_LABELS).fillna(runs["status"]),
        "created": pd.to_datetime(runs["created_at"]).dt.strftime("%Y-%m-%d %H:%M"),
        "targets": runs["targets"],
        "final": runs["final"],
        "holdout": runs["holdout"],
    })


class TargetsPage(Page):
    title = "対象者抽出"
    explanation = (
        "保健事業と年度（差額通知・多剤は月）を選んで「抽出する」を押すと、対象者を理由つきで選び出します。"
        "一覧で確かめ、必要なら理由を書いて除外し、「確定…」で「通知・発送」に渡します。"
    )

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.ask_exclusion_reason = ExclusionDialog.ask
        self.ask_approval = ApprovalDialog.ask
        self.ask_save_path = ask_xlsx_path
        self.last_export: Path | None = None
        self.program_combo = QComboBox()
        for program_id in programs.program_ids():
            self.program_combo.addItem(programs.get_program(program_id).title, program_id)
        self.program_combo.currentIndexChanged.connect(lambda _i: self._on_program_changed())
        self.year_combo = QComboBox()
        self.year_combo.currentIndexChanged.connect(lambda _i: self._fill_months())
        self.month_label = QLabel("月")
        self.month_combo = QComboBox()
        self.run_button = QPushButton("抽出する")
        self.run_button.clicked.connect(self.start_run)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        top = QHBoxLayout()
        for widget in (QLabel("保健事業"), self.program_combo, QLabel("年度"), self.year_combo, self.month_label,
                       self.month_combo, self.run_button):
            top.addWidget(widget)
        top.addWidget(self.status_label, 1)
        self.parameters = ParametersPanel()
        self.review_panel = ReviewPanel()
        self.review_panel.exclude_requested.connect(self.exclude_member)
        self.review_panel.include_requested.connect(self.include_member)
        self.review_panel.approve_requested.connect(self.approve)
        self.review_panel.export_requested.connect(self.export)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.review_panel, "確認・確定")
        self.tabs.addTab(self.parameters, "抽出の設定")
        self.tabs.addTab(self._runs_tab(), "これまでの抽出")
        self.body.addLayout(top)
        self.body.addWidget(self.tabs, 1)
        self._on_program_changed()

    def _runs_tab(self) -> QWidget:
        self.runs_model = DataFrameModel(pd.DataFrame({c.column: [] for c in RUN_COLUMNS}), RUN_COLUMNS)
        self.runs_view = DataTableView(self.runs_model)
        self.runs_view.doubleClicked.connect(lambda index: self.open_run(self._run_id_at(index)))
        open_button = QPushButton("開く")
        open_button.clicked.connect(self._open_selected_run)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("行をダブルクリックするか、選んで「開く」と、その一覧を「確認・確定」に出します。"), 1)
        buttons.addWidget(open_button)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.runs_view, 1)
        return tab

    # workspace and choices --------------------------------------------------------------------

    @property
    def program_id(self) -> str:
        return str(self.program_combo.currentData())

    def refresh(self) -> None:
        """Another workspace (or new data): offer its 年度, its parameters and its runs; drop the old list."""
        ws = self.workspace
        years = workspaces.home_summary(ws).fiscal_years if ws is not None else []
        self.year_combo.blockSignals(True)
        self.year_combo.clear()
        for year in sorted(years, reverse=True):
            self.year_combo.addItem(f"{year}年度", year)
        self.year_combo.blockSignals(False)
        self._fill_months()
        self.run_button.setEnabled(bool(years))
        self.parameters.set_program(ws, self.program_id)
        self.review_panel.show_review(None)
        self.refresh_runs()
        if ws is None:
            self.status_label.setText("ワークスペースを開くと抽出できます。")
        elif not years:
            self.status_label.setText("健診結果・レセプトがまだありません（「データ取込」から取り込めます）。")
        else:
            self.status_label.setText("")

    def refresh_runs(self) -> None:
        ws = self.workspace
        runs = programs.runs(ws) if ws is not None else pd.DataFrame()
        frame = runs_frame(runs) if len(runs) else pd.DataFrame({c.column: [] for c in RUN_COLUMNS})
        self.runs_model.set_frame(frame, RUN_COLUMNS)
        self.runs_view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.runs_view.resizeColumnsToContents()

    def _on_program_changed(self) -> None:
        monthly = programs.get_program(self.program_id).monthly
        self.month_label.setVisible(monthly)
        self.month_combo.setVisible(monthly)
        self.parameters.set_program(self.workspace, self.program_id)

    def _fill_months(self) -> None:
        year = self.year_combo.currentData()
        self.month_combo.clear()
        if year is None:
            return
        for month in fiscal_months(year):
            self.month_combo.addItem(f"{month[:4]}年{int(month[5:])}月", month)
        self.month_combo.setCurrentIndex(self.month_combo.findData(default_month(year)))

    # tasks ----------------------------------------------------------------------------------------

    def start_run(self) -> None:
        ws, year = self.workspace, self.year_combo.currentData()
        if ws is None or year is None:
            return
        program = programs.get_program(self.program_id)
        month = self.month_combo.currentData() if program.monthly else None
        params = self.parameters.values()

        def task(progress):
            run_id, _target_list = programs.run_program(ws, program.id, year, month=month, params=params,
                                                        progress=progress)
            return programs.review(ws, run_id)

        self.status_label.setText("抽出しています…")
        self.context.runner.start(task, f"{program.title}（{year}年度）の対象者抽出", on_done=self._on_run_done,
                                  on_failed=lambda _e: self.status_label.setText("抽出できませんでした。"),
                                  on_cancelled=self._on_run_cancelled)

    def _on_run_cancelled(self) -> None:
        """A cancel that came after the save leaves a draft: the runs list shows it either way."""
        self.refresh_runs()
        self.status_label.setText("抽出を取り消しました。")

    def _on_run_done(self, review: programs.RunReview) -> None:
        self._show(review)
        self.tabs.setCurrentWidget(self.review_panel)
        self.status_label.setText(f"実行番号 {review.run_id} を抽出しました（下書き）。")

    def open_run(self, run_id: int | None) -> None:
        ws = self.workspace
        if ws is None or run_id is None:
            return
        self._reload(lambda: None, f"抽出結果 {run_id} を開いています", run_id, switch=True)

    def exclude_member(self, member_id: str) -> None:
        review = self.review_panel.review
        if review is None:
            return
        name = review.table.loc[review.table["加入者番号"] == member_id, "氏名"].iloc[0]
        reason = self.ask_exclusion_reason(self, f"{name}（加入者番号 {member_id}）")
        if reason is None:
            return
        ws, run_id = self.workspace, review.run_id
        self._reload(lambda: programs.exclude(ws, run_id, member_id, reason), "除外しています", run_id)

    def include_member(self, member_id: str) -> None:
        review = self.review_panel.review
        if review is None:
            return
        ws, run_id = self.workspace, review.run_id
        self._reload(lambda: programs.include(ws, run_id, member_id), "除外を取り消しています", run_id)

    def approve(self) -> None:
        review = self.review_panel.review
        if review is None:
            return
        final = int((~review.table["excluded"]).sum())
        share = self.ask_approval(self, f"{review.title} {review.target_list.fiscal_year}年度: 通知対象 {final:,}人")
        if share is None:
            return
        ws, run_id = self.workspace, review.run_id
        self._reload(lambda: programs.approve(ws, run_id, share), "確定しています", run_id,
                     after=lambda counts: self.status_label.setText(self._approved_text(counts)))

    @staticmethod
    def _approved_text(counts: dict[str, int]) -> str:
        sent = counts["final"] - counts["holdout"]
        text = f"確定しました: 通知 {sent:,}人、比較のための保留 {counts['holdout']:,}人"
        return text + (f"、利用券番号 {counts['vouchers']:,}件" if counts["vouchers"] else "") + "。"

    def export(self) -> None:
        review = self.review_panel.review
        if review is None or self.workspace is None:
            return
        suggested = Path(self.workspace.path).parent / (
            f"{review.title}_{review.target_list.fiscal_year}年度_実行{review.run_id}.xlsx")
        path = self.ask_save_path(self, suggested)
        if path is None:
            return
        ws, run_id = self.workspace, review.run_id
        self.context.runner.start(lambda _progress: programs.export_targets_xlsx(ws, run_id, path), "Excelに保存",
                                  on_done=self._on_exported)

    def _on_exported(self, path: Path) -> None:
        self.last_export = Path(path)
        self.status_label.setText(f"保存しました: {path}")

    def _reload(self, change, title: str, run_id: int, *, switch: bool = False, after=None) -> None:
        """Run `change` on the worker, then reload run `run_id` and show it (the table shows what is saved);
        `after` gets what `change` returned."""
        ws = self.workspace

        def task(_progress):
            return change(), programs.review(ws, run_id)

        def done(outcome: tuple[object, programs.RunReview]) -> None:
            result, review = outcome
            self._show(review)
            if switch:
                self.tabs.setCurrentWidget(self.review_panel)
            if after is not None:
                after(result)

        self.context.runner.start(task, title, on_done=done)

    def _show(self, review: programs.RunReview) -> None:
        self.review_panel.show_review(review)
        self.refresh_runs()

    def _run_id_at(self, index: QModelIndex) -> int | None:
        return int(self.runs_model.row(index.row())["run_id"]) if index.isValid() else None

    def _open_selected_run(self) -> None:
        rows = self.runs_view.selectionModel().selectedRows()
        if rows:
            self.open_run(self._run_id_at(rows[0]))
