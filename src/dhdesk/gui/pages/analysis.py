"""分析: 階層化 (保健指導レベル) and メタボ判定 for one 年度, member by member, beside the 分析表 tab."""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import QItemSelection, QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dhdesk.gui.pages import member_page
from dhdesk.gui.pages.analysis_tables import AnalysisTablesPanel
from dhdesk.gui.pages.base import Page, PageContext
from dhdesk.gui.table_model import ColumnSpec, DataFrameModel, format_count, format_sex
from dhdesk.gui.table_view import DataTableView
from dhdesk.services import stratification, workspaces

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ALL_LEVELS = "すべてのレベル"


MEMBER_COLUMNS = (
    ColumnSpec("member_id", "加入者番号"),
    ColumnSpec("name", "氏名"),
    ColumnSpec("relation_label", "区分"),
    ColumnSpec("sex", "性別", format_sex),
    ColumnSpec("fy_end_age", "年度末年齢", alignment=_RIGHT),
    ColumnSpec("level", "保健指導レベル"),
    ColumnSpec("metabo", "メタボ判定"),
    ColumnSpec("reason", "理由"),
)


def counts_columns(counts: pd.DataFrame) -> list[ColumnSpec]:
    """The level column first, then one right-aligned count column per group."""
    return [ColumnSpec("level", "保健指導レベル")] + [
        ColumnSpec(str(c), str(c), format_count, _RIGHT) for c in counts.columns
    ]


class AnalysisPage(Page):
    """Two tabs: the stratification (判定) and the analysis tables (分析表); results stay until the
    workspace changes."""

    title = "分析"
    explanation = (
        "「階層化・メタボ」では、年度を選んで「判定する」を押すと保健指導レベル(積極的支援・動機付け支援・"
        "情報提供)とメタボ判定を出し、行を選ぶとその人の判定の理由が右に出ます。「分析表」では、"
        "データヘルス計画に載せる分析表を年度ごとに集計し、Excelに保存できます。"
    )

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.result = None
        self.year_combo = QComboBox()
        self.run_button = QPushButton("判定する")
        self.run_button.clicked.connect(self.start_stratification)
        self.status_label = QLabel("")
        self.level_combo = QComboBox()
        self.level_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.level_combo.currentIndexChanged.connect(lambda _i: self._filter_members())
        top = QHBoxLayout()
        top.addWidget(QLabel("年度"))
        top.addWidget(self.year_combo)
        top.addWidget(self.run_button)
        top.addWidget(self.status_label, 1)
        self.counts_model = DataFrameModel()
        self.counts_view = DataTableView(self.counts_model, sortable=False)
        self.counts_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.counts_view.fit_height()
        self.members_model = DataFrameModel(pd.DataFrame({c.column: [] for c in MEMBER_COLUMNS}), MEMBER_COLUMNS)
        self.members_view = DataTableView(self.members_model)
        self.members_view.selectionModel().selectionChanged.connect(self._on_selection)
        self.members_view.doubleClicked.connect(self._open_member_page)
        self.explanation_view = QTextBrowser()
        self.explanation_view.setPlaceholderText(
            "一覧の行を選ぶと、判定の理由がここに出ます。ダブルクリックでその人の詳細（全年度・通知）を開きます。")
        filter_row = QHBoxLayout()
        filter_row.addWidget(QLabel("表示するレベル"))
        filter_row.addWidget(self.level_combo)
        filter_row.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filter_row)
        left_layout.addWidget(self.members_view, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.explanation_view)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        stratification_tab = QWidget()
        tab_layout = QVBoxLayout(stratification_tab)
        tab_layout.setContentsMargins(0, 8, 0, 0)
        tab_layout.addLayout(top)
        tab_layout.addWidget(self.counts_view)
        tab_layout.addWidget(splitter, 1)
        self.tables_panel = AnalysisTablesPanel(context)
        self.tabs = QTabWidget()
        self.tabs.addTab(stratification_tab, "階層化・メタボ")
        self.tabs.addTab(self.tables_panel, "分析表")
        self.body.addWidget(self.tabs, 1)

    def refresh(self) -> None:
        """A changed workspace makes an old result wrong: drop it and offer the years there are now."""
        self.tables_panel.refresh()
        ws = self.workspace
        all_years = workspaces.home_summary(ws).fiscal_years if ws is not None else []
        years = [y for y in all_years if stratification.rules_for_or_none(y) is not None]
        self.year_combo.clear()
        for year in sorted(years, reverse=True):
            self.year_combo.addItem(f"{year}年度", year)
        self.run_button.setEnabled(bool(years))
        self._show_result(None)
        if ws is None:
            self.status_label.setText("ワークスペースを開くと判定できます。")
        elif not all_years:
            self.status_label.setText("健診結果がまだ取り込まれていません(「データ取込」から取り込めます)。")
        elif not years:
            self.status_label.setText("判定基準の対象となる年度のデータがありません。")
        else:
            older = sorted(set(all_years) - set(years))
            self.status_label.setText(
                f"{'・'.join(map(str, older))}年度は判定基準の対象外のため選べません。" if older else ""
            )

    def start_stratification(self) -> None:
        ws, year = self.workspace, self.year_combo.currentData()
        if ws is None or year is None:
            return
        self.context.runner.start(
            lambda progress: stratification.stratify_workspace(ws, year, progress=progress),
            f"{year}年度の階層化・メタボ判定",
            on_done=self._show_result,
        )

    def _show_result(self, result) -> None:
        self.result = result
        self.explanation_view.clear()
        self.level_combo.blockSignals(True)
        self.level_combo.clear()
        if result is None:
            self.counts_model.set_frame(pd.DataFrame())
            self.counts_view.fit_height()
            self.members_model.set_frame(pd.DataFrame({c.column: [] for c in MEMBER_COLUMNS}), MEMBER_COLUMNS)
            self.level_combo.blockSignals(False)
            return
        counts = result.counts
        frame = counts.rename_axis("level").reset_index()
        frame["level"] = frame["level"].astype("string")
        self.counts_model.set_frame(frame, counts_columns(counts))
        self.counts_view.fit_height()
        self.level_combo.addItem(ALL_LEVELS, None)
        for level in counts.index:
            self.level_combo.addItem(str(level), str(level))
        self.level_combo.blockSignals(False)
        self._filter_members()
        self.status_label.setText(f"{len(result.table):,}人を判定しました。{result.rule_text}")

    def _filter_members(self) -> None:
        if self.result is None:
            return
        table = self.result.table
        level = self.level_combo.currentData()
        shown = table if level is None else table[table["level"] == level]
        self.members_model.set_frame(shown, MEMBER_COLUMNS)
        self.members_view.resizeColumnsToContents()
        self.explanation_view.clear()

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        if not rows or self.result is None:
            return
        member_id = self.members_model.row(rows[0].row())["member_id"]
        self.explanation_view.setPlainText(self.result.explain(member_id))

    def _open_member_page(self, index: QModelIndex) -> None:
        if self.result is not None and self.workspace is not None:
            member_id = self.members_model.row(index.row())["member_id"]
            member_page.show_member(self, self.workspace, member_id)

    def select_member(self, row: int) -> None:
        """Select one row of the member table, as a click would (tests and screenshots)."""
        self.members_view.selectRow(row)
