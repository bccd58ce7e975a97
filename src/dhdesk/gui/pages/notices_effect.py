"""The 効果測定 tab of 通知・発送: a batch and a number of months → 受診率 or 切替率 tables and one chart.

The tables are the service's `AnalysisTable`s (the plan and the Excel file print the same figures),
shown with their notes, which say what is counted and why the comparison group is not a control.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.analyses import AnalysisTable
from dhdesk.gui.chart_view import ChartView
from dhdesk.gui.pages.analysis_tables import table_columns
from dhdesk.gui.pages.base import PageContext, scrolling
from dhdesk.gui.pages.notices_dialogs import Refused, refusable
from dhdesk.gui.table_model import DataFrameModel
from dhdesk.gui.table_view import DataTableView
from dhdesk.reports import figures
from dhdesk.services import effect, mailing

MAX_MONTHS = 36
CHART_HEIGHT_PX = 340
VISIT_RATES = ("受診率(%)", "比較群受診率(%)")
SWITCH_RATE = "切替率(%)"


def effect_figure(table: AnalysisTable) -> Figure | None:
    """The chart of an effect table: 受診率 of the notified beside the comparison group per 区分, or 切替率 per month."""
    frame = table.table
    if frame.empty:
        return None
    if "区分" in frame.columns and all(column in frame.columns for column in VISIT_RATES):
        return figures.bars(frame, label="区分", columns=list(VISIT_RATES), unit="受診率(%)")
    if "診療月" in frame.columns and SWITCH_RATE in frame.columns:
        return figures.bars(frame, label="診療月", columns=[SWITCH_RATE], unit=SWITCH_RATE)
    return None


class EffectPanel(QWidget):
    """Choose a batch and the months after it; 測定 runs `effect.measure` on the task runner."""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tables: list[AnalysisTable] = []
        self.batch_combo = QComboBox()
        self.batch_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.months_spin = QSpinBox()
        self.months_spin.setRange(0, MAX_MONTHS)
        self.months_spin.setValue(6)
        self.months_spin.setSuffix(" か月")
        self.months_spin.setSpecialValueText("取込済みの全期間")
        self.measure_button = QPushButton("測定する")
        self.measure_button.clicked.connect(self.start_measure)
        top = QHBoxLayout()
        top.addWidget(QLabel("発送"))
        top.addWidget(self.batch_combo)
        top.addWidget(QLabel("通知後"))
        top.addWidget(self.months_spin)
        top.addWidget(self.measure_button)
        top.addStretch(1)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.tables_box = QWidget()
        self.tables_layout = QVBoxLayout(self.tables_box)
        self.tables_layout.setContentsMargins(0, 0, 8, 0)
        self.tables_layout.addStretch(1)
        self.chart = ChartView("測定すると、ここにグラフを表示します。")
        self.chart.setFixedHeight(CHART_HEIGHT_PX)
        chart_side = QWidget()
        chart_layout = QVBoxLayout(chart_side)
        chart_layout.setContentsMargins(8, 0, 0, 0)
        chart_layout.addWidget(self.chart)
        chart_layout.addStretch(1)
        splitter = QSplitter()
        splitter.addWidget(scrolling(self.tables_box))
        splitter.addWidget(chart_side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([700, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.status_label)
        layout.addWidget(splitter, 1)

    def refresh(self) -> None:
        """Offer the batches with a 発送日 (the effect window starts there), newest first."""
        ws = self.context.session.workspace
        chosen = self.batch_combo.currentData()
        self.batch_combo.clear()
        batches = mailing.history(ws) if ws is not None else pd.DataFrame(columns=list(mailing.HISTORY_COLUMNS))
        for _, row in batches[batches["発送日"].notna()].iterrows():
            state = "" if row["状態"] == mailing.STATUS_LABELS["issued"] else f"・{row['状態']}"
            self.batch_combo.addItem(
                f"発送番号 {int(row['発送番号'])} {row['事業']}({row['発送日']:%Y-%m-%d}・{int(row['通知数']):,}通{state})",
                int(row["発送番号"]))
        if chosen is not None and (index := self.batch_combo.findData(chosen)) >= 0:
            self.batch_combo.setCurrentIndex(index)
        self.measure_button.setEnabled(self.batch_combo.count() > 0)
        if ws is not None and self.batch_combo.count() == 0:
            self.status_label.setText("発送日のある発送記録がまだありません。「発送」タブで作成すると測定できます。")
        elif not self.tables:
            self.status_label.setText("")

    def select_batch(self, batch_id: int) -> None:
        self.batch_combo.setCurrentIndex(self.batch_combo.findData(batch_id))

    def start_measure(self) -> None:
        ws, batch_id = self.context.session.workspace, self.batch_combo.currentData()
        if ws is None or batch_id is None:
            return
        months = self.months_spin.value() or None
        self.context.runner.start(
            refusable(lambda progress: effect.measure(ws, batch_id, months, progress=progress)),
            f"発送番号 {batch_id} の効果を測定しています",
            on_done=self._show,
        )

    def _show(self, outcome: list[AnalysisTable] | Refused) -> None:
        while self.tables_layout.count() > 1:
            item = self.tables_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if isinstance(outcome, Refused):
            self.tables = []
            self.status_label.setText(outcome.message)
            self.chart.set_figure(None, "グラフはありません。")
            return
        self.tables = outcome
        self.status_label.setText("")
        for number, table in enumerate(outcome):
            self.tables_layout.insertWidget(number, self._table_block(table))
        chart = next((figure for table in outcome if (figure := effect_figure(table)) is not None), None)
        self.chart.set_figure(chart, "この表にはグラフがありません。")

    def _table_block(self, table: AnalysisTable) -> QWidget:
        block = QWidget()
        layout = QVBoxLayout(block)
        layout.setContentsMargins(0, 0, 0, 12)
        title = QLabel(table.title + (f"(計画書 {table.seed_section})" if table.seed_section else ""))
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        title.setWordWrap(True)
        model = DataFrameModel(table.table, table_columns(table.table), parent=block)
        view = DataTableView(model, sortable=False)
        view.resizeColumnsToContents()
        view.fit_height()
        view.setFixedHeight(view.height() + view.horizontalScrollBar().sizeHint().height())
        notes = QLabel("\n".join(f"※ {note}" for note in table.notes))
        notes.setWordWrap(True)
        notes.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(title)
        layout.addWidget(view)
        layout.addWidget(notes)
        return block
