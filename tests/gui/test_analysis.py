"""分析 page: choose 年度, stratify on the worker, counts table, per-member reason."""

from __future__ import annotations

from PySide6.QtCore import Qt


def cells(model, c):
    return [model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) for r in range(model.rowCount())]


def test_stratification_counts_and_explanation(window, qtbot, demo_workspace):
    window.open_workspace(demo_workspace)
    page = window.show_page("analysis")
    assert page.year_combo.count() >= 1
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.run_button.click()
    levels = cells(page.counts_model, 0)
    assert {"積極的支援", "動機付け支援", "情報提供", "計"} <= set(levels)
    headers = [page.counts_model.headerData(c, Qt.Orientation.Horizontal) for c in range(page.counts_model.columnCount())]
    assert headers[0] == "保健指導レベル" and headers[-1] == "計"
    total = int(cells(page.counts_model, page.counts_model.columnCount() - 1)[-1].replace(",", ""))
    assert total == page.members_model.rowCount() == len(page.result.table)
    page.select_member(0)
    member_id = page.members_model.row(0)["member_id"]
    assert page.explanation_view.toPlainText() == page.result.explain(member_id)
    assert page.explanation_view.toPlainText()
    assert f"判定基準: {page.result.rules_in_force.stratification.title}" in page.status_label.text()


def test_level_filter_shows_only_that_level(window, qtbot, demo_workspace):
    window.open_workspace(demo_workspace)
    page = window.show_page("analysis")
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.run_button.click()
    page.level_combo.setCurrentIndex(page.level_combo.findText("積極的支援"))
    shown = set(page.members_model.frame["level"])
    assert shown <= {"積極的支援"}
    expected = int((page.result.table["level"] == "積極的支援").sum())
    assert page.members_model.rowCount() == expected


def test_a_new_workspace_drops_the_old_result(window, qtbot, demo_workspace, tmp_path):
    window.open_workspace(demo_workspace)
    page = window.show_page("analysis")
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.run_button.click()
    window.session.close()
    assert page.result is None
    assert page.members_model.rowCount() == 0
    assert not page.run_button.isEnabled()
    assert page.status_label.text() == "ワークスペースを開くと判定できます。"
