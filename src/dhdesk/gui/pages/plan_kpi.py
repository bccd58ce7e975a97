"""The KPI targets editor of the 計画レポート screen (目標の入力): 目標 by 年度, 実績 beside them after 集計.

Only what the clerk types is stored (PlanText.targets); a blank cell shows the default the plan
prints (保険者種別の目標 etc., from the rule files) in grey, so defaults follow the rules.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from dhdesk.core.plan.kpi import Indicator, plan_years, target
from dhdesk.core.plan.text import PlanText
from dhdesk.core.union import UnionType
from dhdesk.gui.pages.plan_editors import hint_label

DEFAULT_COLOUR = QColor("#7a7a7a")
ACTUAL_COLOUR = QColor("#24476b")
NO_FIGURE = "－"


def parse_target(text: str, unit: str) -> float | None:
    """A typed target (full-width digits and a trailing % allowed); None for blank; ValueError if not a
    number or, for a percentage, outside 0–100."""
    cleaned = unicodedata.normalize("NFKC", text).strip().removesuffix("%").strip()
    if not cleaned:
        return None
    value = float(cleaned)
    if math.isnan(value) or (unit == "%" and not 0 <= value <= 100):
        raise ValueError(cleaned)
    return value


def _figure_text(value: float) -> str:
    return NO_FIGURE if math.isnan(value) else f"{value:g}"


class TargetsEditor(QWidget):
    """The KPI table by 年度: 目標 rows editable (blank = the default, shown grey), 実績 rows from 集計."""

    changed = Signal()
    rejected = Signal(str)
    """A typed value was not a valid target: the message for the clerk."""

    LABEL_COLUMNS = 3
    LABEL_WIDTH_PX = 230
    """The 指標 column is capped so the six years fit; a longer name is elided (full text in its tooltip)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.years = plan_years()
        self.indicators: tuple[Indicator, ...] = ()
        self.union_type = UnionType.MUTUAL_AID
        self.written: dict[str, dict[int, float]] = {}
        self.table = QTableWidget(0, self.LABEL_COLUMNS + len(self.years))
        self.table.setHorizontalHeaderLabels(["指標", "区分", "", *(f"{y}年度" for y in self.years)])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setAlternatingRowColors(True)
        self.table.itemChanged.connect(self._on_item_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint_label("目標のセルに数値を入力します（空欄にすると既定値に戻ります）。灰色の値は既定値"
                               "（実施率は保険者種別の目標、後発医薬品は国の目標）です。実績は「集計する」で表示されます。"))

    def load(self, indicators: Sequence[Indicator], union_type: UnionType, text: PlanText) -> None:
        self.indicators = tuple(indicators)
        self.union_type = union_type
        self.written = {key: dict(years) for key, years in text.targets.items()}
        self.table.blockSignals(True)
        self.table.setRowCount(2 * len(self.indicators))
        for n, indicator in enumerate(self.indicators):
            for offset, kind in ((0, "目標"), (1, "実績")):
                for column, value in enumerate((f"{indicator.label}({indicator.unit})", indicator.group, kind)):
                    self.table.setItem(2 * n + offset, column, self._fixed(value))
            for column in range(len(self.years)):
                self.table.setItem(2 * n + 1, self.LABEL_COLUMNS + column, self._fixed(NO_FIGURE, ACTUAL_COLOUR))
            self._show_targets(n)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(0, min(self.table.columnWidth(0), self.LABEL_WIDTH_PX))

    def targets(self) -> dict[str, dict[int, float]]:
        """The clerk's targets only (defaults are not stored: they follow the rule files)."""
        return {key: dict(years) for key, years in self.written.items() if years}

    def set_actuals(self, actuals: Mapping[tuple[str, str], Sequence[str]] | None) -> None:
        """実績 per (指標, 区分) as the plan prints them, one text per 年度; None clears them."""
        self.table.blockSignals(True)
        for n, indicator in enumerate(self.indicators):
            texts = (actuals or {}).get((f"{indicator.label}({indicator.unit})", indicator.group))
            for column in range(len(self.years)):
                shown = texts[column] if texts else NO_FIGURE
                self.table.item(2 * n + 1, self.LABEL_COLUMNS + column).setText(shown or NO_FIGURE)
        self.table.blockSignals(False)

    def actual_texts(self) -> list[list[str]]:
        """The 実績 rows as shown (tests and screenshots)."""
        return [[self.table.item(2 * n + 1, self.LABEL_COLUMNS + c).text() for c in range(len(self.years))]
                for n in range(len(self.indicators))]

    def set_target_text(self, key: str, year: int, text: str) -> None:
        """Type `text` into a 目標 cell, as the clerk would."""
        n = next(i for i, indicator in enumerate(self.indicators) if indicator.key == key)
        self.table.item(2 * n, self.LABEL_COLUMNS + self.years.index(year)).setText(text)

    def _fixed(self, text: str, colour: QColor | None = None) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setToolTip(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        if colour is not None:
            item.setForeground(QBrush(colour))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def _show_targets(self, n: int) -> None:
        indicator = self.indicators[n]
        clerk = PlanText(targets=self.written)
        for column, year in enumerate(self.years):
            value = target(indicator, year, clerk, self.union_type)
            written = year in self.written.get(indicator.key, {})
            item = QTableWidgetItem("" if math.isnan(value) else _figure_text(value))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(Qt.ItemDataRole.UserRole, (indicator.key, year))
            if not written:
                item.setForeground(QBrush(DEFAULT_COLOUR))
                font = QFont(item.font())
                font.setItalic(True)
                item.setFont(font)
                item.setToolTip("既定値（入力すると置き換わります）")
            self.table.setItem(2 * n, self.LABEL_COLUMNS + column, item)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        where = item.data(Qt.ItemDataRole.UserRole)
        if not where:
            return
        key, year = where
        n = next(i for i, indicator in enumerate(self.indicators) if indicator.key == key)
        unit = self.indicators[n].unit
        try:
            value = parse_target(item.text(), unit)
        except ValueError:
            self.rejected.emit(f"目標には{'0〜100の' if unit == '%' else ''}数値を入力してください（「{item.text()}」）。")
        else:
            years = self.written.setdefault(key, {})
            if value is None:
                years.pop(year, None)
            else:
                years[year] = value
            self.changed.emit()
        self.table.blockSignals(True)
        self._show_targets(n)
        self.table.blockSignals(False)
