"""加入者・健診・レセプト: look up what the workspace holds, by 加入者番号 or 氏名.

Each tab shows at most `browse/row_limit` rows from the service (which searches and limits), and
a tab reads only when it is shown, so switching workspaces does not pay for three queries.
Selecting a row in any tab shows that member's page (member_page.MemberView) beside the tabs.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dhdesk.core.fields import CHECKUPS, MEMBERS, RECEIPTS, Layout
from dhdesk.gui.pages.base import Page, PageContext
from dhdesk.gui.pages.member_page import MemberView
from dhdesk.gui.table_model import DataFrameModel, layout_specs
from dhdesk.gui.table_view import DataTableView
from dhdesk.services import workspaces

Loader = Callable[[object, int | None, str, int], pd.DataFrame]
"""(workspace, fiscal year or None, search text, row limit) -> rows to show."""
MEMBER_COLUMN = "加入者番号"
"""The header every tab's rows carry: the member a selected row belongs to."""


class BrowseTab(QWidget):
    """Search box, optional 年度, the rows found; reloads only when asked or when its inputs change."""

    def __init__(self, loader: Loader, layout: Layout, *, by_year: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._layout = layout
        self.stale = True
        self._by_year = by_year
        self._workspace = None
        self._limit = 1000
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("加入者番号または氏名(一部でも可)")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.returnPressed.connect(self.reload)
        search = QPushButton("検索")
        search.clicked.connect(self.reload)
        self.year_combo = QComboBox()
        self.year_combo.setVisible(by_year)
        self.year_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.count_label = QLabel("")
        self.model = DataFrameModel()
        self.view = DataTableView(self.model, row_numbers=True)
        row = QHBoxLayout()
        if by_year:
            row.addWidget(QLabel("年度"))
            row.addWidget(self.year_combo)
        row.addWidget(self.search_edit, 1)
        row.addWidget(search)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.count_label)
        layout.addWidget(self.view, 1)

    def selected_member(self) -> str | None:
        """加入者番号 of the selected row (None when nothing is selected)."""
        rows = self.view.selectionModel().selectedRows()
        if not rows or MEMBER_COLUMN not in self.model.frame.columns:
            return None
        value = self.model.row(rows[0].row())[MEMBER_COLUMN]
        return None if pd.isna(value) else str(value)

    def show_workspace(self, workspace, fiscal_years: list[int], limit: int) -> None:
        """Take a (new) workspace; its rows are read on the next `reload`."""
        self._workspace, self._limit = workspace, limit
        self.year_combo.blockSignals(True)
        self.year_combo.clear()
        for year in sorted(fiscal_years, reverse=True):
            self.year_combo.addItem(f"{year}年度", year)
        self.year_combo.blockSignals(False)
        self.stale = True

    def reload(self) -> None:
        self.stale = False
        if self._workspace is None:
            self.model.set_frame(pd.DataFrame())
            self.count_label.setText("ワークスペースを開くと表示されます。")
            return
        year = self.year_combo.currentData() if self._by_year else None
        if self._by_year and year is None:
            self.model.set_frame(pd.DataFrame())
            self.count_label.setText("まだ取り込まれていません。")
            return
        frame = self._loader(self._workspace, year, self.search_edit.text().strip(), self._limit)
        self.model.set_frame(frame, layout_specs(frame, self._layout))
        self.view.resizeColumnsToContents()
        shown = f"{len(frame):,}件を表示"
        if len(frame) >= self._limit:
            shown += f"(先頭{self._limit:,}件まで。検索で絞り込めます)"
        self.count_label.setText(shown)


class BrowsePage(Page):
    """Tabs 加入者 / 健診 / レセプト over the store, and the selected member's page beside them."""

    title = "加入者・健診・レセプト"
    explanation = "取り込んだデータを確かめます。加入者番号か氏名で検索できます。"

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.tabs = QTabWidget()
        self.members_tab = BrowseTab(
            lambda ws, _year, search, limit: workspaces.member_table(ws, search=search, limit=limit),
            MEMBERS,
            by_year=False,
        )
        self.checkups_tab = BrowseTab(
            lambda ws, year, search, limit: workspaces.checkup_table(ws, year, search=search, limit=limit),
            CHECKUPS,
            by_year=True,
        )
        self.receipts_tab = BrowseTab(
            lambda ws, year, search, limit: workspaces.receipt_table(ws, year, search=search, limit=limit),
            RECEIPTS,
            by_year=True,
        )
        self.tabs.addTab(self.members_tab, "加入者")
        self.tabs.addTab(self.checkups_tab, "健診")
        self.tabs.addTab(self.receipts_tab, "レセプト")
        self.tabs.currentChanged.connect(lambda _i: self._reload_current_if_stale())
        self.member_view = MemberView()
        for tab in (self.members_tab, self.checkups_tab, self.receipts_tab):
            tab.view.selectionModel().selectionChanged.connect(lambda *_a, t=tab: self._show_member(t))
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.member_view)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.body.addWidget(self.splitter, 1)

    def select_row(self, tab: BrowseTab, row: int) -> None:
        """Select one row of a tab, as a click would (tests and screenshots)."""
        self.tabs.setCurrentWidget(tab)
        tab.view.selectRow(row)

    def _show_member(self, tab: BrowseTab) -> None:
        member_id = tab.selected_member()
        if self.workspace is None or member_id is None:
            self.member_view.show_profile(None)
            return
        self.member_view.show_member(self.workspace, member_id)

    def refresh(self) -> None:
        ws = self.workspace
        years = workspaces.home_summary(ws).fiscal_years if ws is not None else []
        limit = int(self.context.settings.get("browse/row_limit"))
        for tab in (self.members_tab, self.checkups_tab, self.receipts_tab):
            tab.show_workspace(ws, years, limit)
        self.member_view.show_profile(None)
        self._reload_current_if_stale()

    def _reload_current_if_stale(self) -> None:
        tab = self.tabs.currentWidget()
        if tab.stale:
            tab.reload()
