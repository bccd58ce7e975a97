"""確認・確定 (review): one saved run's list with its funnel, filters, search and each member's explanation.

The panel shows what it is given and asks for changes through signals; the page runs them on the
TaskRunner and hands back the reloaded run. Excluded members stay in the table, greyed, with the reason.
"""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd
from PySide6.QtCore import QItemSelection, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dhdesk.gui.table_model import ColumnSpec, DataFrameModel, format_value
from dhdesk.gui.table_view import DataTableView
from dhdesk.services import programs

STATUS_LABELS = {"draft": "下書き", "approved": "確定", "discarded": "破棄"}
ALL = "すべて"
SHOWN_STATES = {ALL: None, "通知対象": False, "除外": True}
"""The 表示 filter: every member, only those who get a letter, only those excluded."""
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_EXCLUDED_TEXT = QBrush(QColor("#8a8a8a"))


def _joined(value: object) -> str:
    return "・".join(map(str, value)) if isinstance(value, (list, tuple)) else format_value(value)


SHOWN_ORDER = ("加入者番号", "氏名", "年齢", "区分", "除外", "除外理由", "抽出理由", "注意", "本人家族", "所属所",
               "利用券番号")
"""What the clerk decides on comes first (区分, 除外 and why); the roster columns after."""
COLUMNS = tuple(
    ColumnSpec(name, name, _joined if name == "注意" else format_value, _RIGHT if name == "年齢" else _LEFT)
    for name in SHOWN_ORDER
)
MAX_COLUMN_WIDTH = 240
"""A long 抽出理由 is read in the detail pane; the table keeps every column in sight."""


class ReviewModel(DataFrameModel):
    """The review table; rows of excluded members in grey."""

    def set_frame(self, frame: pd.DataFrame, columns=None) -> None:
        self._excluded = frame["excluded"].to_numpy(dtype=bool)
        super().set_frame(frame, columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            return _EXCLUDED_TEXT if self._excluded[index.row()] else None
        return super().data(index, role)


class ReviewProxy(QSortFilterProxyModel):
    """Filters by 区分, 除外 and a search on 加入者番号・氏名 with one vectorised mask; sorting is the
    source model's (pandas on the whole frame), so 300k rows sort at once and ages sort as numbers."""

    def __init__(self, source: ReviewModel, parent=None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.tier: str | None = None
        self.excluded: bool | None = None
        self.search = ""
        self._mask: np.ndarray | None = None
        self._mask_of: pd.DataFrame | None = None

    def set_filter(self, tier: str | None, excluded: bool | None, search: str) -> None:
        self.beginFilterChange()
        self.tier, self.excluded, self.search = tier, excluded, search.strip()
        self._mask = None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        frame = self.sourceModel().frame
        if self._mask is None or self._mask_of is not frame:
            self._mask, self._mask_of = self._compute_mask(frame), frame
        return bool(self._mask[source_row])

    def _compute_mask(self, frame: pd.DataFrame) -> np.ndarray:
        mask = np.ones(len(frame), dtype=bool)
        if frame.empty:
            return mask
        if self.tier is not None:
            mask &= (frame["区分"].fillna("") == self.tier).to_numpy(dtype=bool)
        if self.excluded is not None:
            mask &= frame["excluded"].to_numpy(dtype=bool) == self.excluded
        if self.search:
            found = frame["加入者番号"].astype("string").str.contains(self.search, regex=False)
            found |= frame["氏名"].astype("string").str.replace(r"\s", "", regex=True).str.contains(
                self.search.replace(" ", "").replace("\u3000", ""), regex=False)
            mask &= found.fillna(False).to_numpy(dtype=bool)
        return mask


def funnel_html(funnel: tuple[tuple[str, int], ...]) -> str:
    """The funnel as a compact two-column list: count, then the step (the last one, 通知対象, in bold)."""
    rows = []
    for number, (label, count) in enumerate(funnel):
        weight = "bold" if number == len(funnel) - 1 else "normal"
        arrow = "" if number == 0 else "→ "
        rows.append(f"<tr><td align='right' style='padding-right:8px; font-weight:{weight}'>{count:,}人</td>"
                    f"<td style='font-weight:{weight}'>{arrow}{escape(label)}</td></tr>")
    return "<table cellspacing='0' cellpadding='1'>" + "".join(rows) + "</table>"


def detail_html(lines: list[str]) -> str:
    """The explanation, one paragraph per line; an exclusion (or a lifted one) is repeated on top in colour,
    because it is what the clerk is deciding about."""
    decisions = [line for line in lines if line.startswith(("除外（", "事務局の判断"))]
    top = "".join(f"<p style='color:#b00020; font-weight:bold; margin:0 0 6px 0'>{escape(line)}</p>"
                  for line in decisions)
    return top + "".join(f"<p style='margin:0 0 3px 0'>{escape(line)}</p>" for line in lines)


class ReviewPanel(QWidget):
    """Run heading and actions, filters, the member table, the funnel and the selected member's detail."""

    exclude_requested = Signal(str)
    include_requested = Signal(str)
    approve_requested = Signal()
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.review: programs.RunReview | None = None
        self.heading = QLabel("「抽出する」を押すか、「これまでの抽出」から開くと、ここに対象者の一覧が出ます。")
        self.heading.setWordWrap(True)
        self.approve_button = QPushButton("確定…")
        self.approve_button.clicked.connect(self.approve_requested)
        self.export_button = QPushButton("Excelに保存…")
        self.export_button.clicked.connect(self.export_requested)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.approve_button)
        top.addWidget(self.export_button)
        self.tier_combo = QComboBox()
        self.tier_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.state_combo = QComboBox()
        self.state_combo.addItems(list(SHOWN_STATES))
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("加入者番号・氏名で検索")
        self.search_edit.setClearButtonEnabled(True)
        self.shown_label = QLabel("")
        for signal in (self.tier_combo.currentIndexChanged, self.state_combo.currentIndexChanged,
                       self.search_edit.textChanged):
            signal.connect(self._apply_filter)
        filters = QHBoxLayout()
        for widget in (QLabel("区分"), self.tier_combo, QLabel("表示"), self.state_combo, self.search_edit):
            filters.addWidget(widget)
        filters.addWidget(self.shown_label, 1)
        self.model = ReviewModel(self._empty_table(), COLUMNS)
        self.proxy = ReviewProxy(self.model)
        self.view = DataTableView(self.proxy)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.funnel_label = QLabel("")
        self.funnel_label.setWordWrap(True)
        self.funnel_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        funnel_box = QGroupBox("絞り込みの流れ")
        QVBoxLayout(funnel_box).addWidget(self.funnel_label)
        self.detail_view = QTextBrowser()
        self.detail_view.setPlaceholderText("一覧の行を選ぶと、その人が対象になった理由（除外の理由）がここに出ます。")
        self.exclude_button = QPushButton("除外…")
        self.exclude_button.clicked.connect(lambda: self._request(self.exclude_requested))
        self.include_button = QPushButton("除外を取り消す")
        self.include_button.clicked.connect(lambda: self._request(self.include_requested))
        detail_buttons = QHBoxLayout()
        detail_buttons.addWidget(self.exclude_button)
        detail_buttons.addWidget(self.include_button)
        detail_buttons.addStretch(1)
        detail_box = QGroupBox("選んだ人の説明")
        detail_layout = QVBoxLayout(detail_box)
        detail_layout.addWidget(self.detail_view, 1)
        detail_layout.addLayout(detail_buttons)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(funnel_box)
        side_layout.addWidget(detail_box, 1)
        splitter = QSplitter()
        splitter.addWidget(self.view)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        self.show_review(None)

    @staticmethod
    def _empty_table() -> pd.DataFrame:
        return pd.DataFrame({**{name: [] for name in programs.MEMBER_COLUMNS}, "excluded": pd.Series(dtype=bool)})

    def show_review(self, review: programs.RunReview | None) -> None:
        """Show `review` (None: nothing); the selected member stays selected when the same run is reloaded."""
        kept = self.selected_member_id() if review is not None and self.review is not None and (
            self.review.run_id == review.run_id) else None
        self.review = review
        self.detail_view.clear()
        tiers = [] if review is None else sorted(t for t in review.table["区分"].dropna().unique() if t)
        current_tier = self.tier_combo.currentText()
        self.tier_combo.blockSignals(True)
        self.tier_combo.clear()
        self.tier_combo.addItems([ALL, *tiers])
        self.tier_combo.setCurrentText(current_tier if current_tier in tiers else ALL)
        self.tier_combo.blockSignals(False)
        self.model.set_frame(self._empty_table() if review is None else review.table, COLUMNS)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self._apply_filter()
        if review is not None:
            self._fit_columns()
        self.heading.setText(self._heading_text())
        self.funnel_label.setText("" if review is None else funnel_html(review.target_list.funnel))
        draft = review is not None and review.status == "draft"
        self.approve_button.setEnabled(draft and bool((~review.table["excluded"]).any()))
        self.export_button.setEnabled(review is not None)
        if kept is not None:
            self.select_member_id(kept)
        self._update_member_buttons()

    def _fit_columns(self) -> None:
        self.view.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            self.view.setColumnWidth(column, min(self.view.columnWidth(column), MAX_COLUMN_WIDTH))

    def _heading_text(self) -> str:
        review = self.review
        if review is None:
            return "「抽出する」を押すか、「これまでの抽出」から開くと、ここに対象者の一覧が出ます。"
        tl = review.target_list
        month = f" {tl.month[:4]}年{int(tl.month[4:])}月" if tl.month else ""
        final = int((~review.table["excluded"]).sum())
        return (f"<b>{escape(review.title)}</b>　{tl.fiscal_year}年度{month}　実行番号 {review.run_id}　"
                f"基準日 {tl.as_of:%Y-%m-%d}　状態: <b>{STATUS_LABELS.get(review.status, review.status)}</b>　"
                f"通知対象 {final:,}人 / 一覧 {len(review.table):,}人")

    def _apply_filter(self) -> None:
        tier = self.tier_combo.currentText()
        self.proxy.set_filter(None if tier in ("", ALL) else tier, SHOWN_STATES[self.state_combo.currentText()],
                              self.search_edit.text())
        total = self.model.rowCount()
        self.shown_label.setText(f"{self.proxy.rowCount():,} / {total:,}人を表示" if total else "")
        self._update_member_buttons()

    def selected_member_id(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return str(self.model.row(self.proxy.mapToSource(rows[0]).row())["加入者番号"])

    def select_member_id(self, member_id: str) -> bool:
        """Select a member's row, as a click would; False when the filters hide it."""
        found = np.flatnonzero((self.model.frame["加入者番号"] == member_id).to_numpy(dtype=bool))
        if not len(found):
            return False
        index = self.proxy.mapFromSource(self.model.index(int(found[0]), 0))
        if not index.isValid():
            return False
        self.view.selectRow(index.row())
        self.view.scrollTo(index)
        return True

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        member_id = self.selected_member_id()
        if member_id is None or self.review is None:
            self.detail_view.clear()
        else:
            self.detail_view.setHtml(detail_html(programs.explain_target(self.review.target_list, member_id)))
        self._update_member_buttons()

    def _selected_row(self) -> pd.Series | None:
        member_id = self.selected_member_id()
        if member_id is None or self.review is None:
            return None
        table = self.review.table
        return table[table["加入者番号"] == member_id].iloc[0]

    def _update_member_buttons(self) -> None:
        row = self._selected_row()
        draft = self.review is not None and self.review.status == "draft"
        self.exclude_button.setEnabled(draft and row is not None and not row["excluded"])
        self.include_button.setEnabled(draft and row is not None and bool(row["excluded"]))

    def _request(self, signal) -> None:
        member_id = self.selected_member_id()
        if member_id is not None:
            signal.emit(member_id)
