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


def test_selecting_a_member_shows_the_member_page_beside_the_tabs(window, demo_workspace):
    window.open_workspace(demo_workspace)
    page = window.show_page("browse")
    assert page.member_view.profile is None
    assert page.member_view.text.toPlainText().startswith("一覧で加入者を選ぶと")
    page.select_row(page.members_tab, 0)
    wanted = column(page.members_tab.model, "加入者番号")[0]
    profile = page.member_view.profile
    assert profile.member_id == wanted
    assert page.member_view.title_label.text() == f"加入者の詳細　{wanted}　{profile.name}"
    text = page.member_view.text.toPlainText()
    for section in profile.sections:
        assert section.title in text
    assert "資格期間:" in text and "住所の確認:" in text


def test_a_checkup_row_opens_its_members_flags_with_their_reasons(window, demo_workspace):
    window.open_workspace(demo_workspace)
    page = window.show_page("browse")
    page.tabs.setCurrentWidget(page.checkups_tab)
    page.select_row(page.checkups_tab, 0)
    wanted = column(page.checkups_tab.model, "加入者番号")[0]
    profile = page.member_view.profile
    assert profile.member_id == wanted and profile.checkups
    text = page.member_view.text.toPlainText()
    assert f"{profile.checkups[-1].fiscal_year}年度の健診" in text
    assert "保健指導レベル: " in text and "理由: 保健指導: " in text and "健診機関の判定との違い: " in text


def test_a_receipt_row_opens_its_member_and_a_new_workspace_clears_the_page(window, demo_workspace):
    window.open_workspace(demo_workspace)
    page = window.show_page("browse")
    page.tabs.setCurrentWidget(page.receipts_tab)
    page.select_row(page.receipts_tab, 0)
    assert page.member_view.profile.member_id == column(page.receipts_tab.model, "加入者番号")[0]
    window.session.close()
    assert page.member_view.profile is None


def test_the_member_window_shows_the_same_page(qtbot, demo_workspace):
    from dhdesk.gui.pages.member_page import show_member
    from dhdesk.services import workspaces

    workspace = workspaces.open_workspace(demo_workspace)
    try:
        member_id = workspaces.member_table(workspace, limit=1)["加入者番号"].iloc[0]
        dialog = show_member(None, workspace, member_id, 2025)
        qtbot.addWidget(dialog)
        assert dialog.isVisible() and not dialog.isModal()
        assert dialog.view.profile.member_id == member_id
        assert all(c.fiscal_year == 2025 for c in dialog.view.profile.checkups)
    finally:
        workspace.close()


def test_screenshot_shows_the_member_page(window, demo_workspace, tmp_path):
    from PySide6.QtGui import QImage
    from screenshots import SIZE, capture_member_page

    window.resize(*SIZE)
    window.open_workspace(demo_workspace)
    saved = capture_member_page(window, tmp_path)
    image = QImage(str(saved))
    assert (saved.name, image.width()) == ("member_page.png", window.width())
    assert window.pages["browse"].member_view.profile.checkups


def test_double_clicking_the_stratification_table_opens_the_member_page(window, demo_workspace, qtbot, monkeypatch):
    from dhdesk.gui.pages import member_page

    opened = []
    monkeypatch.setattr(member_page, "show_member", lambda parent, ws, member_id: opened.append(member_id))
    window.open_workspace(demo_workspace)
    page = window.show_page("analysis")
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.start_stratification()
    index = page.members_model.index(0, 0)
    page.members_view.doubleClicked.emit(index)
    assert opened == [page.members_model.row(0)["member_id"]]
