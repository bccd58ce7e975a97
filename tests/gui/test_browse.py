"""加入者・健診・レセプト page: tables from the store, search, codes shown as labels, row limit."""

from __future__ import annotations

from PySide6.QtCore import Qt


def column(model, label):
    labels = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    c = labels.index(label)
    return [model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) for r in range(model.rowCount())]


def test_all_three_tabs_show_the_workspace(window, demo_workspace):
    window.open_workspace(demo_workspace)
    page = window.show_page("browse")
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == ["加入者", "健診", "レセプト"]
    members = page.members_tab.model
    assert members.rowCount() > 0
    assert set(column(members, "性別")) <= {"男", "女"}
    assert set(column(members, "本人家族")) <= {"本人", "家族"}
    assert all(len(d) == 10 for d in column(members, "生年月日"))
    assert page.checkups_tab.year_combo.count() >= 1
    assert page.checkups_tab.stale and page.checkups_tab.model.rowCount() == 0
    page.tabs.setCurrentWidget(page.checkups_tab)
    assert page.checkups_tab.model.rowCount() > 0
    page.tabs.setCurrentWidget(page.receipts_tab)
    assert page.receipts_tab.model.rowCount() > 0


def test_search_by_member_number_finds_that_member(window, demo_workspace):
    window.open_workspace(demo_workspace)
    tab = window.show_page("browse").members_tab
    wanted = column(tab.model, "加入者番号")[5]
    tab.search_edit.setText(wanted)
    tab.reload()
    assert wanted in column(tab.model, "加入者番号")
    assert all(wanted in found for found in column(tab.model, "加入者番号"))


def test_rows_are_limited_and_the_limit_is_said(window, demo_workspace):
    window.settings.set("browse/row_limit", 100)
    window.open_workspace(demo_workspace)
    tab = window.show_page("browse").members_tab
    assert tab.model.rowCount() == 100
    assert "先頭100件まで" in tab.count_label.text()


def test_without_workspace_tables_are_empty_and_say_why(window):
    page = window.show_page("browse")
    assert page.members_tab.model.rowCount() == 0
    assert page.members_tab.count_label.text() == "ワークスペースを開くと表示されます。"
