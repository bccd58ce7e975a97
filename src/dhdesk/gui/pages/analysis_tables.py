"""The 分析表 tab of the 分析 screen: every data-health table of a 年度, its chart, notes, drill-down and xlsx.

A table the plan draws (人口ピラミッド, 医療費の推移, …) shows the very chart the PDF prints: the plan's
figure list (core.plan.document.FIGURES) drawn by reports.figures; any other table gets the default
bars of reports.figures.table_default when it has a label column and numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
import pandas as pd
from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.analyses import AnalysisTable
from dhdesk.core.plan import FigureBlock
from dhdesk.core.plan.document import FIGURES
from dhdesk.core.union import insured_label
from dhdesk.gui.chart_view import ChartView
from dhdesk.gui.pages.base import PageContext
from dhdesk.gui.table_model import ColumnSpec, DataFrameModel, is_missing
from dhdesk.gui.table_view import DataTableView
from dhdesk.reports.figures import draw, table_default
from dhdesk.services import analyses, workspaces

XLSX_FILTER = "Excelファイル (*.xlsx)"
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal"}


def format_figure(value: object) -> str:
    """A figure as a clerk reads it: thousands separators, the decimals it has, blank for NA."""
    if is_missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return f"{int(number):,}" if number.is_integer() else f"{number:,.6f}".rstrip("0").rstrip(".")
    return str(value)


def table_columns(table: pd.DataFrame) -> list[ColumnSpec]:
    """Every column formatted by `format_figure`; right-aligned when it holds numbers only."""
    specs = []
    for name in table.columns:
        numeric = pd.api.types.infer_dtype(table[name], skipna=True) in _NUMBER_KINDS
        specs.append(ColumnSpec(str(name), str(name), format_figure, _RIGHT if numeric else _LEFT))
    return specs


def table_chart(table: AnalysisTable, insured: str) -> Figure | None:
    """The chart the plan prints for this table, `insured` being 組合員 or 被保険者 as the table's columns
    say; for a table the plan does not draw, the default bars of its rate or count (None when the table
    has nothing a chart could show honestly: see reports.figures.table_default)."""
    entries = FIGURES.get(table.key)
    if not entries:
        return table_default(table.table)
    chart, caption, options = entries[0]
    options = {name: tuple(c.format(insured=insured) for c in value) if name == "columns" and value != "*" else value
               for name, value in options.items()}
    return draw(FigureBlock(caption, chart, table, options))


def ask_save_path(parent: QWidget, suggested: Path) -> Path | None:
    """Where to write the workbook (None when the clerk cancels); tests replace this seam."""
    chosen, _ = QFileDialog.getSaveFileName(parent, "分析表の保存先", str(suggested), XLSX_FILTER)
    return Path(chosen) if chosen else None


class AnalysisTablesPanel(QWidget):
    """Runs `analyses.analyze` on the worker; lists the tables; shows one with its notes and members."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.result: analyses.AnalysisResult | None = None
        self.year_combo = QComboBox()
        self.run_button = QPushButton("集計する")
        self.run_button.clicked.connect(self.start_analysis)
        self.save_button = QPushButton("Excelに保存…")
        self.save_button.clicked.connect(self.save_xlsx)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("年度"))
        top.addWidget(self.year_combo)
        top.addWidget(self.run_button)
        top.addWidget(self.save_button)
        top.addWidget(self.status_label, 1)
        self.skipped_label = QLabel("")
        self.skipped_label.setWordWrap(True)
        self.skipped_label.setProperty("role", "missing")
        self.skipped_label.hide()

        self.table_list = QListWidget()
        self.table_list.setWordWrap(True)
        self.table_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table_list.setSpacing(1)
        self.table_list.currentRowChanged.connect(self._show_table)
        self.title_label = QLabel("")
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setWordWrap(True)
        self.table_model = DataFrameModel()
        self.table_view = DataTableView(self.table_model, sortable=False)
        self.chart_view = ChartView()
        self.chart_view.hide()
        self.notes_label = QLabel("")
        self.notes_label.setWordWrap(True)
        self.notes_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.notes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.drill_combo = QComboBox()
        self.drill_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.drill_combo.setMinimumContentsLength(12)
        self.drill_combo.currentIndexChanged.connect(lambda _i: self._show_members())
        self.drill_count = QLabel("")
        self.member_model = QStringListModel()
        self.member_view = QListView()
        self.member_view.setModel(self.member_model)
        self.member_view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.member_view.setFlow(QListView.Flow.LeftToRight)
        self.member_view.setWrapping(True)
        self.member_view.setResizeMode(QListView.ResizeMode.Adjust)
        self.member_view.setUniformItemSizes(True)
        self.member_view.setSpacing(4)
        self.drill = self._drill_box()

        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.notes_label, 1)
        lower_layout.addWidget(self.drill, 1)
        self.detail_split = detail_split = QSplitter(Qt.Orientation.Vertical)
        detail_split.addWidget(self.table_view)
        detail_split.addWidget(self.chart_view)
        detail_split.addWidget(lower)
        detail_split.setStretchFactor(0, 3)
        detail_split.setStretchFactor(1, 3)
        detail_split.setStretchFactor(2, 2)
        detail_split.setChildrenCollapsible(False)
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.title_label)
        detail_layout.addWidget(detail_split, 1)
        splitter = QSplitter()
        splitter.addWidget(self.table_list)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([340, 860])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.skipped_label)
        layout.addWidget(splitter, 1)

    def _drill_box(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("内訳を表示"))
        row.addWidget(self.drill_combo, 1)
        layout.addLayout(row)
        layout.addWidget(self.drill_count)
        layout.addWidget(self.member_view, 1)
        box.hide()
        return box

    def refresh(self) -> None:
        """A changed workspace makes the old tables wrong: drop them and offer the years there are now."""
        ws = self.context.session.workspace
        years = workspaces.home_summary(ws).fiscal_years if ws is not None else []
        self.year_combo.clear()
        for year in sorted(years, reverse=True):
            self.year_combo.addItem(f"{year}年度", year)
        self.run_button.setEnabled(bool(years))
        self.save_button.setEnabled(bool(years))
        self._show_result(None)
        if ws is None:
            self.status_label.setText("ワークスペースを開くと集計できます。")
        elif not years:
            self.status_label.setText("健診結果がまだ取り込まれていません(「データ取込」から取り込めます)。")
        else:
            self.status_label.setText("")

    def start_analysis(self) -> None:
        ws, year = self.context.session.workspace, self.year_combo.currentData()
        if ws is None or year is None:
            return
        self.context.runner.start(
            lambda progress: analyses.analyze(ws, year, progress=progress),
            f"{year}年度の分析表",
            on_done=self._show_result,
        )

    def save_xlsx(self) -> None:
        ws, year = self.context.session.workspace, self.year_combo.currentData()
        if ws is None or year is None:
            return
        out_path = ask_save_path(self, Path.home() / f"分析表_{year}年度.xlsx")
        if out_path is None:
            return
        self.context.runner.start(
            lambda progress: analyses.analyze_to_xlsx(ws, year, out_path, progress=progress),
            f"{year}年度の分析表をExcelに保存",
            on_done=self._on_saved,
        )

    def select_table(self, key: str) -> None:
        """Show the table with this key, as a click in the list would (tests and screenshots)."""
        keys = [t.key for t in self.result.tables] if self.result is not None else []
        self.table_list.setCurrentRow(keys.index(key))

    def _on_saved(self, result: analyses.AnalysisResult) -> None:
        if self.result is None or self.result.fiscal_year != result.fiscal_year:
            self._show_result(result)
        self.status_label.setText(result.summary.splitlines()[0])

    def _show_result(self, result: analyses.AnalysisResult | None) -> None:
        self.result = result
        self.table_list.blockSignals(True)
        self.table_list.clear()
        self.table_list.blockSignals(False)
        self.skipped_label.setVisible(bool(result and result.skipped))
        self._show_table(-1)
        if result is None:
            self.skipped_label.setText("")
            return
        for table in result.tables:
            item = QListWidgetItem(f"{table.seed_section}  {table.title}" if table.seed_section else table.title)
            item.setToolTip(f"{table.title}\n計画書の節: {table.seed_section or '—'}")
            self.table_list.addItem(item)
        self.skipped_label.setText("\n".join(f"作成できなかった分析: {reason}" for reason in result.skipped))
        self.status_label.setText(f"{result.fiscal_year}年度の分析表 {len(result.tables)} 表を作成しました。")
        if result.tables:
            self.table_list.setCurrentRow(0)

    def _show_table(self, row: int) -> None:
        tables = self.result.tables if self.result is not None else []
        table = tables[row] if 0 <= row < len(tables) else None
        self.drill_combo.blockSignals(True)
        self.drill_combo.clear()
        if table is None:
            self.title_label.setText("")
            self.table_model.set_frame(pd.DataFrame())
            self.notes_label.setText("")
            self.chart_view.set_figure(None)
            self.chart_view.hide()
            self.drill.hide()
            self.drill_combo.blockSignals(False)
            return
        section = f"(計画書 {table.seed_section})" if table.seed_section else ""
        self.title_label.setText(f"{table.title}{section}")
        self.table_model.set_frame(table.table, table_columns(table.table))
        self.table_view.resizeColumnsToContents()
        self._show_chart(table)
        self.notes_label.setText("\n".join(f"※ {note}" for note in table.notes))
        for label, ids in table.member_ids.items():
            self.drill_combo.addItem(f"{label}({len(ids):,}人)", label)
        self.drill_combo.blockSignals(False)
        self.drill.setVisible(bool(table.member_ids))
        self._fit_table_height()
        self._show_members()

    def _show_chart(self, table: AnalysisTable) -> None:
        ws = self.context.session.workspace
        figure = table_chart(table, insured_label(ws.union_info().union_type)) if ws is not None else None
        self.chart_view.set_figure(figure)
        self.chart_view.setVisible(figure is not None)

    def _fit_table_height(self) -> None:
        """Give a short table just the height it needs; with a chart, the table gets at most a third and
        the notes and drill-down what they need, so the chart is tall enough to read."""
        rows = sum(self.table_view.rowHeight(r) for r in range(self.table_model.rowCount()))
        header = self.table_view.horizontalHeader().sizeHint().height()
        scroll_bar = self.table_view.horizontalScrollBar().sizeHint().height()
        needed = header + rows + scroll_bar + 2 * self.table_view.frameWidth() + 4
        total = sum(self.detail_split.sizes()) or self.detail_split.height()
        if not self.chart_view.isVisibleTo(self):
            table_height = min(needed, int(total * 0.7))
            self.detail_split.setSizes([table_height, 0, max(total - table_height, 1)])
            return
        table_height = min(needed, int(total * 0.35))
        notes = self.notes_label.heightForWidth(max(self.notes_label.width(), 200)) + 8
        lower = min(max(notes, 160 if self.drill.isVisibleTo(self) else 0), int(total * 0.3))
        self.detail_split.setSizes([table_height, max(total - table_height - lower, 1), lower])

    def _show_members(self) -> None:
        row = self.table_list.currentRow()
        label = self.drill_combo.currentData()
        if self.result is None or label is None or not 0 <= row < len(self.result.tables):
            self.member_model.setStringList([])
            self.drill_count.setText("")
            return
        ids = self.result.tables[row].member_ids[label]
        self.member_model.setStringList(list(ids))
        self.drill_count.setText(f"加入者番号 {len(ids):,}人" if ids else "該当する加入者はいません。")
