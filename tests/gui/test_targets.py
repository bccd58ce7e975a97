"""対象者抽出 page: run programs on the demo workspace, review, exclude with a reason, approve, reopen, export."""

from __future__ import annotations

import openpyxl
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from dhdesk.core.programs.exclusions import CLERK_STEP, FINAL
from dhdesk.gui.pages.targets import default_month, fiscal_months
from dhdesk.gui.pages.targets_review import SHOWN_ORDER
from dhdesk.gui.pages.targets_dialogs import ApprovalDialog, ExclusionDialog
from dhdesk.services import programs


def shown(panel, column: str) -> list[str]:
    """A column's texts as the table shows them (after filters and sorting)."""
    c = SHOWN_ORDER.index(column)
    proxy = panel.proxy
    return [proxy.data(proxy.index(r, c), Qt.ItemDataRole.DisplayRole) for r in range(proxy.rowCount())]


def run(page, qtbot, program_id: str):
    page.program_combo.setCurrentIndex(page.program_combo.findData(program_id))
    with qtbot.waitSignal(page.context.runner.done, timeout=60_000):
        page.run_button.click()
    return page.review_panel.review


def wait_done(page, qtbot, action) -> None:
    with qtbot.waitSignal(page.context.runner.done, timeout=60_000):
        action()


def open_page(window, demo_workspace):
    window.open_workspace(demo_workspace)
    return window.show_page("targets")


def test_jushin_exclude_with_reason_changes_table_and_funnel_then_approve(window, qtbot, demo_workspace):
    page = open_page(window, demo_workspace)
    review = run(page, qtbot, "jushin")
    panel = page.review_panel
    assert review.target_list.program == "jushin" and review.status == "draft"
    assert panel.proxy.rowCount() == len(review.target_list.targets) > 0
    assert shown(panel, "加入者番号") == review.target_list.targets["member_id"].tolist()
    final_before = dict(review.target_list.funnel)[FINAL]
    assert f"{final_before:,}人" in panel.funnel_label.text() and "状態: <b>下書き</b>" in panel.heading.text()
    member = review.table.loc[~review.table["excluded"], "加入者番号"].iloc[0]
    assert panel.select_member_id(member)
    assert panel.detail_view.toPlainText().startswith(f"受診勧奨（{review.target_list.fiscal_year}年度")
    page.ask_exclusion_reason = lambda _parent, _member: "本人から通知不要の申し出"
    wait_done(page, qtbot, panel.exclude_button.click)

    after = panel.review
    row = after.table[after.table["加入者番号"] == member].iloc[0]
    assert (row["除外"], row["除外理由"]) == ("除外（事務局）", "本人から通知不要の申し出")
    funnel = dict(after.target_list.funnel)
    assert funnel[CLERK_STEP] == funnel[FINAL] == final_before - 1
    assert CLERK_STEP in panel.funnel_label.text()
    assert panel.selected_member_id() == member
    assert "除外（事務局の判断）: 本人から通知不要の申し出" in panel.detail_view.toPlainText()
    assert panel.include_button.isEnabled() and not panel.exclude_button.isEnabled()
    source_row = int(panel.model.frame.index[panel.model.frame["加入者番号"] == member][0])
    excluded_row = panel.proxy.mapFromSource(panel.model.index(source_row, 0))
    assert panel.proxy.data(excluded_row, Qt.ItemDataRole.ForegroundRole) is not None

    page.ask_approval = lambda _parent, summary: 0.1 if f"通知対象 {final_before - 1:,}人" in summary else None
    wait_done(page, qtbot, panel.approve_button.click)
    assert panel.review.status == "approved"
    assert "状態: <b>確定</b>" in panel.heading.text()
    assert page.runs_model.frame["status"].iloc[0] == "確定"
    held = round(0.1 * (final_before - 1))
    assert page.status_label.text() == f"確定しました: 通知 {final_before - 1 - held:,}人、比較のための保留 {held:,}人。"
    assert not panel.approve_button.isEnabled() and not panel.include_button.isEnabled()


def test_including_again_restores_the_member(window, qtbot, demo_workspace):
    page = open_page(window, demo_workspace)
    review = run(page, qtbot, "jushin")
    panel = page.review_panel
    member = review.table.loc[~review.table["excluded"], "加入者番号"].iloc[0]
    panel.select_member_id(member)
    page.ask_exclusion_reason = lambda _parent, _member: "転居先不明"
    wait_done(page, qtbot, panel.exclude_button.click)
    wait_done(page, qtbot, panel.include_button.click)
    row = panel.review.table[panel.review.table["加入者番号"] == member].iloc[0]
    assert not row["excluded"] and row["除外"] == ""
    assert dict(panel.review.target_list.funnel)[FINAL] == dict(review.target_list.funnel)[FINAL]


def test_cancelled_exclusion_changes_nothing(window, qtbot, demo_workspace):
    page = open_page(window, demo_workspace)
    review = run(page, qtbot, "jushin")
    page.review_panel.select_member_id(review.table["加入者番号"].iloc[0])
    page.ask_exclusion_reason = lambda _parent, _member: None
    page.review_panel.exclude_button.click()
    assert not page.context.runner.is_running()
    assert page.review_panel.review is review


def test_hokenshido_filters_search_and_vouchers_at_approval(window, qtbot, demo_workspace):
    page = open_page(window, demo_workspace)
    review = run(page, qtbot, "hokenshido")
    panel = page.review_panel
    tiers = [panel.tier_combo.itemText(i) for i in range(panel.tier_combo.count())]
    assert tiers[0] == "すべて" and {"積極的支援", "動機付け支援"} <= set(tiers)
    panel.tier_combo.setCurrentText("積極的支援")
    assert set(shown(panel, "区分")) == {"積極的支援"}
    assert panel.proxy.rowCount() == int((review.table["区分"] == "積極的支援").sum())
    panel.tier_combo.setCurrentText("すべて")
    member, name = review.table[["加入者番号", "氏名"]].iloc[-1]
    panel.search_edit.setText(member)
    assert shown(panel, "加入者番号") == [member]
    panel.search_edit.setText(name.replace("\u3000", "").replace(" ", ""))
    assert member in shown(panel, "加入者番号")
    panel.search_edit.setText(name.split()[0])
    assert member in shown(panel, "加入者番号")
    assert all(name.split()[0] in n for n in shown(panel, "氏名"))
    panel.search_edit.clear()
    panel.state_combo.setCurrentText("通知対象")
    assert panel.proxy.rowCount() == int((~review.table["excluded"]).sum())
    panel.state_combo.setCurrentText("すべて")

    page.ask_approval = lambda _parent, _summary: 0.0
    wait_done(page, qtbot, panel.approve_button.click)
    vouchers = panel.review.table.loc[~panel.review.table["excluded"], "利用券番号"]
    assert vouchers.notna().all() and vouchers.str.fullmatch(r"\d{11}").all()
    assert page.status_label.text().endswith(f"利用券番号 {len(vouchers):,}件。")


def test_sorting_by_age_is_numeric_and_keeps_filters(window, qtbot, demo_workspace):
    page = open_page(window, demo_workspace)
    run(page, qtbot, "jushin")
    panel = page.review_panel
    panel.state_combo.setCurrentText("通知対象")
    age = SHOWN_ORDER.index("年齢")
    panel.view.sortByColumn(age, Qt.SortOrder.AscendingOrder)
    ages = [int(a) for a in shown(panel, "年齢")]
    assert ages == sorted(ages) and len(ages) == int((~panel.review.table["excluded"]).sum())


def test_a_changed_parameter_is_used_by_the_run_and_can_become_the_office_default(window, qtbot, demo_workspace):
    page = open_page(window, demo_workspace)
    page.program_combo.setCurrentIndex(page.program_combo.findData("jushin"))
    rows = [page.parameters.row_texts(r) for r in range(page.parameters.table.rowCount())]
    assert rows[0] == ["健診後に受診を確認する期間", "3", "か月", "3", "ルールどおり", "受診確認(津下資料)"]
    page.parameters.set_value("window_months", 6)
    review = run(page, qtbot, "jushin")
    assert review.target_list.params["window_months"] == 6
    page.parameters.save_office_defaults()
    assert page.parameters.row_texts(0)[4] == "6"
    assert [d.parameter.name for d in programs.parameter_differences(page.workspace, "jushin")] == ["window_months"]
    page.parameters.reset_to_rule_defaults()
    assert page.parameters.values()["window_months"] == 3
    assert run(page, qtbot, "jushin").target_list.params["window_months"] == 3


def test_monthly_programs_choose_a_month_and_past_runs_reopen(window, qtbot, demo_workspace):
    page = open_page(window, demo_workspace)
    page.program_combo.setCurrentIndex(page.program_combo.findData("jushin"))
    assert page.month_combo.isHidden()
    first = run(page, qtbot, "jushin")
    page.program_combo.setCurrentIndex(page.program_combo.findData("generic"))
    assert not page.month_combo.isHidden() and page.month_combo.count() == 12
    year = first.target_list.fiscal_year
    page.month_combo.setCurrentIndex(page.month_combo.findData(f"{year}-06"))
    second = run(page, qtbot, "generic")
    assert second.target_list.month == f"{year}06" and f"{year}年6月" in page.review_panel.heading.text()
    assert page.runs_model.frame["run_id"].tolist() == [second.run_id, first.run_id]
    assert page.runs_model.frame["period"].tolist() == [f"{year}年度 {year}-06", f"{year}年度"]
    wait_done(page, qtbot, lambda: page.open_run(first.run_id))
    assert page.review_panel.review.run_id == first.run_id
    assert page.tabs.currentWidget() is page.review_panel


def test_excel_export_has_the_reasons(window, qtbot, demo_workspace, tmp_path):
    page = open_page(window, demo_workspace)
    review = run(page, qtbot, "jushin")
    member = review.table["加入者番号"].iloc[0]
    page.review_panel.select_member_id(member)
    page.ask_exclusion_reason = lambda _parent, _member: "長期入院中"
    wait_done(page, qtbot, page.review_panel.exclude_button.click)
    page.ask_save_path = lambda _parent, suggested: tmp_path / suggested.name
    wait_done(page, qtbot, page.review_panel.export_button.click)
    year = review.target_list.fiscal_year
    assert page.last_export == tmp_path / f"受診勧奨_{year}年度_実行{review.run_id}.xlsx"
    book = openpyxl.load_workbook(page.last_export, read_only=True)
    values = [cell for row in book["対象者"].iter_rows(values_only=True) for cell in row]
    assert member in values and "長期入院中" in values


def test_review_table_shows_every_member_column_once():
    assert sorted(SHOWN_ORDER) == sorted(programs.MEMBER_COLUMNS)


def test_without_workspace_nothing_can_run(window):
    page = window.show_page("targets")
    assert not page.run_button.isEnabled()
    assert page.status_label.text() == "ワークスペースを開くと抽出できます。"
    assert page.review_panel.model.rowCount() == 0 and not page.review_panel.export_button.isEnabled()


def test_exclusion_dialog_needs_a_reason(qtbot):
    dialog = ExclusionDialog("試験 花子（加入者番号 1）")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.reason_edit.setText("   ")
    assert not ok.isEnabled()
    dialog.reason_edit.setText(" 本人の申し出 ")
    assert ok.isEnabled() and dialog.reason() == "本人の申し出"


def test_approval_dialog_holds_back_at_most_a_fifth(qtbot):
    dialog = ApprovalDialog("受診勧奨 2025年度: 通知対象 44人")
    qtbot.addWidget(dialog)
    dialog.share_spin.setValue(programs.MAX_HOLDOUT_PERCENT + 1)
    assert dialog.share() == 0.2
    dialog.share_spin.setValue(5)
    assert dialog.share() == 0.05


def test_months_of_a_fiscal_year():
    from datetime import date

    assert fiscal_months(2025)[0] == "2025-04" and fiscal_months(2025)[-1] == "2026-03"
    assert default_month(2025, date(2026, 11, 22)) == "2026-03"
    assert default_month(2025, date(2025, 9, 30)) == "2025-09"
    assert default_month(2025, date(2025, 3, 31)) == "2025-04"


def test_screenshots_show_a_real_run_with_a_clerk_exclusion(window, demo_workspace, tmp_path):
    from PySide6.QtGui import QImage
    from screenshots import TARGETS_EXCLUSION, TARGETS_SIZE, capture_targets

    window.open_workspace(demo_workspace)
    saved = capture_targets(window, tmp_path)
    assert [p.name for p in saved] == ["targets.png", "targets_settings.png"]
    assert (QImage(str(saved[0])).width(), QImage(str(saved[0])).height()) == TARGETS_SIZE
    panel = window.pages["targets"].review_panel
    assert TARGETS_EXCLUSION in panel.detail_view.toPlainText()
