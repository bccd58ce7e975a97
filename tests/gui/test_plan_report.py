"""計画レポート screen: text saved per 年度, 健康課題 adopted from the data, KPI targets, PDF with preview."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from dhdesk.gui.pages import plan_report
from dhdesk.gui.pages.plan_kpi import parse_target
from dhdesk.services import plan, workspaces

WRITTEN = "当組合は毎年秋に歩数イベントを行います。"


@pytest.fixture
def page(window, demo_workspace):
    """The 計画レポート screen on this test's copy of the demo workspace (latest 年度 chosen)."""
    window.open_workspace(demo_workspace)
    return window.show_page("plan")


def collect(page, window, qtbot):
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.collect_button.click()


def pdf_text(path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages).replace("\n", "")


def test_without_a_workspace_nothing_can_be_made(window):
    page = window.show_page("plan")
    assert not page.create_button.isEnabled() and not page.collect_button.isEnabled()
    assert page.status_label.text() == "ワークスペースを開くと計画を作れます。"
    assert not page.tabs.isEnabled()


def test_closing_the_workspace_empties_the_editors(page, window):
    window.session.close()
    assert page.narratives[1].edits["purpose"].toPlainText() == ""
    assert page.targets_editor.table.rowCount() == 0 and page.issues_editor.issues() == ()
    assert not page.tabs.isEnabled() and not page.save_button.isEnabled()


def test_the_seven_sections_are_listed_and_the_drafts_carry_the_unions_name(page, window):
    assert [page.section_list.item(r).text()[:2] for r in range(page.section_list.count())] == [
        "1.", "2.", "3.", "4.", "5.", "6.", "7."]
    years = [page.year_combo.itemData(i) for i in range(page.year_combo.count())]
    assert page.fiscal_year == max(years)
    purpose = page.narratives[1].edits["purpose"].toPlainText()
    assert window.session.workspace.union_info().name in purpose
    assert page.plan_text().narrative == {}


def test_saving_a_passage_persists_it_for_the_year(page, window):
    ws, year = window.session.workspace, page.fiscal_year
    page.narratives[7].edits["publication"].setPlainText(WRITTEN)
    assert page.status_label.text() == "保存していない変更があります。"
    page.save_button.click()
    assert plan.plan_text(ws, year).narrative == {"publication": WRITTEN}
    page.refresh()
    assert page.narratives[7].edits["publication"].toPlainText() == WRITTEN
    page.narratives[7].reset("publication")
    page.save_button.click()
    assert plan.plan_text(ws, year).narrative == {}


def test_closing_the_window_keeps_text_not_saved_yet(page, window):
    path, year = window.session.workspace.path, page.fiscal_year
    page.narratives[7].edits["publication"].setPlainText(WRITTEN)
    window.close()
    with workspaces.open_workspace(path) as ws:
        assert plan.plan_text(ws, year).narrative == {"publication": WRITTEN}


def test_new_data_in_the_same_workspace_keeps_the_edits_and_the_year(page, window):
    if page.year_combo.count() < 2:
        pytest.skip("the demo has one 年度")
    page.year_combo.setCurrentIndex(1)
    year = page.fiscal_year
    page.narratives[1].edits["period"].setPlainText(WRITTEN)
    window.session.notify_changed()
    assert page.fiscal_year == year
    assert page.narratives[1].edits["period"].toPlainText() == WRITTEN
    assert plan.plan_text(window.session.workspace, year).narrative == {"period": WRITTEN}


def test_changing_the_year_saves_the_edits_of_the_year_left(page, window):
    if page.year_combo.count() < 2:
        pytest.skip("the demo has one 年度")
    ws, year = window.session.workspace, page.fiscal_year
    page.narratives[1].edits["period"].setPlainText(WRITTEN)
    page.year_combo.setCurrentIndex(1)
    assert plan.plan_text(ws, year).narrative == {"period": WRITTEN}
    assert page.fiscal_year == page.year_combo.itemData(1)
    assert page.status_label.text().startswith("前の年度の変更を保存しました。")


def test_collect_lists_the_data_sections_and_suggestions_to_adopt(page, window, qtbot):
    collect(page, window, qtbot)
    lines = page.contents[2].lines()
    assert lines[0] == "2.1 加入者構成" and any(line.startswith("図2-1 ") for line in lines)
    suggestions = page.issues_editor.suggestions
    assert suggestions.rowCount() == len(plan_report.issue_suggestions(page.document)) >= 1
    title, cited = suggestions.item(0, 0).text(), suggestions.item(0, 2).text()
    assert cited.startswith("表")
    suggestions.selectRow(0)
    page.issues_editor.adopt_selected()
    page.issues_editor.adopt_selected()
    assert page.issues_editor.issues() == (title,)
    page.save_button.click()
    assert plan.plan_text(window.session.workspace, page.fiscal_year).issues == (title,)


def test_kpi_targets_are_typed_stored_and_reset(page, window, qtbot):
    editor, ws, year = page.targets_editor, window.session.workspace, page.fiscal_year
    editor.set_target_text("kenshin_total", 2026, "９５％")
    editor.set_target_text("kenshin_total", 2027, "101")
    assert "0〜100" in page.status_label.text()
    page.save_button.click()
    assert plan.plan_text(ws, year).targets == {"kenshin_total": {2026: 95.0}}
    editor.set_target_text("kenshin_total", 2026, "")
    page.save_button.click()
    assert plan.plan_text(ws, year).targets == {}
    collect(page, window, qtbot)
    assert any(text != "－" for row in editor.actual_texts() for text in row)


@pytest.mark.parametrize(("typed", "expected"), [("0", 0.0), ("100", 100.0), ("99.9", 99.9), ("８０ ％", 80.0),
                                                 ("", None)])
def test_parse_target_accepts_percentages(typed, expected):
    assert parse_target(typed, "%") == expected


@pytest.mark.parametrize("typed", ["-0.1", "100.1", "abc", "nan"])
def test_parse_target_refuses_what_is_not_a_percentage(typed):
    with pytest.raises(ValueError):
        parse_target(typed, "%")


@pytest.mark.slow
def test_create_writes_the_pdf_with_the_edited_text_and_previews_it(page, window, qtbot, monkeypatch, tmp_path):
    target = tmp_path / "out" / "計画.pdf"
    monkeypatch.setattr(plan_report, "ask_save_path", lambda parent, suggested: target)
    page.narratives[1].edits["purpose"].setPlainText(WRITTEN)
    page.internal_radio.setChecked(True)
    page.xlsx_check.setChecked(True)
    page.show_section(2)
    with qtbot.waitSignal(window.runner.done, timeout=120_000):
        page.create_button.click()
    text = pdf_text(target)
    assert WRITTEN in text and "内部用" in text
    assert target.with_suffix(".xlsx").is_file()
    assert plan.plan_text(window.session.workspace, page.fiscal_year).narrative == {"purpose": WRITTEN}
    assert page.preview.page_count() == len(PdfReader(target).pages)
    assert page.tabs.currentWidget() is page.preview
    pages = plan_report.section_pages(target.read_bytes())
    assert sorted(pages) == list(range(1, 8))
    assert page.preview.current_page() == pages[2]
    assert "2. 加入者と医療費の現状" in PdfReader(target).pages[pages[2]].extract_text()
    page.show_section(4)
    assert page.preview.current_page() == pages[4]


def test_cancelling_the_creation_leaves_no_pdf(page, window, qtbot, monkeypatch, tmp_path):
    target = tmp_path / "計画.pdf"
    monkeypatch.setattr(plan_report, "ask_save_path", lambda parent, suggested: target)
    with qtbot.waitSignal(window.runner.cancelled, timeout=60_000):
        page.create_button.click()
        window.runner.cancel()
    assert not target.exists() and not list(tmp_path.glob("*.partial"))
    assert page.status_label.text() == "計画書の作成を取り消しました。"
    assert page.preview.page_count() == 0


def test_cancelling_the_save_dialog_starts_nothing(page, window, monkeypatch):
    monkeypatch.setattr(plan_report, "ask_save_path", lambda parent, suggested: None)
    page.create_button.click()
    assert not window.runner.is_running()


@pytest.mark.slow
def test_screenshots_of_the_plan_screen(window, demo_workspace, tmp_path):
    from PySide6.QtGui import QImage
    from screenshots import SIZE, capture_plan_report

    window.resize(*SIZE)
    window.open_workspace(demo_workspace)
    saved = capture_plan_report(window, tmp_path, tmp_path)
    assert [p.name for p in saved] == ["plan_issues.png", "plan_targets.png", "plan_preview.png"]
    for path in saved:
        assert QImage(str(path)).size().toTuple() == (window.width(), window.height())
    assert window.pages["plan"].preview.page_count() > 0
