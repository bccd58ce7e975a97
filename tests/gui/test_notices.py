"""通知・発送 screen on the demo workspace: approved list → preview → 作成, history, effect, wording."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt

from dhdesk.core.analyses import AnalysisTable
from dhdesk.gui.chart_view import ChartView
from dhdesk.gui.pages import notices_history, notices_send, notices_template
from dhdesk.gui.pages.notices_dialogs import Refused
from dhdesk.gui.pages.notices_effect import effect_figure
from dhdesk.gui.pages.notices_template import paragraphs_of
from dhdesk.services import effect, mailing, programs, workspaces

FISCAL_YEAR = 2024
SENT = date(2024, 10, 1)


def set_up(path, *, print_batch: bool = False, draft: bool = False) -> int:
    """An approved 受診勧奨 list in the workspace at `path` (its run id), its batch sent 2024-10-01 if
    `print_batch`, and a draft 特定保健指導 list if `draft`."""
    ws = workspaces.open_workspace(path)
    try:
        run_id, _ = programs.run_program(ws, "jushin", FISCAL_YEAR)
        programs.approve(ws, run_id)
        if draft:
            programs.run_program(ws, "hokenshido", FISCAL_YEAR)
        if print_batch:
            mailing.generate_batch(ws, run_id, path.parent / "printed", sent_date=SENT)
        return run_id
    finally:
        workspaces.close_workspace(ws)


def open_notices(qtbot, window, path):
    window.open_workspace(path)
    page = window.show_page("notices")
    wait(qtbot, window)
    return page


def wait(qtbot, window) -> None:
    """Until the task runner is idle (its done/cancelled callbacks have run)."""
    qtbot.waitUntil(lambda: not window.runner.is_running(), timeout=60_000)


def table_rows(model) -> list[dict[str, str]]:
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return [{header: model.data(model.index(r, c)) for c, header in enumerate(headers)} for r in range(model.rowCount())]


def test_without_workspace_or_approved_list_the_page_says_what_is_missing(qtbot, window, demo_workspace):
    page = window.show_page("notices")
    assert page.send_panel.lists_hint.text() == "ワークスペースを開くと、確定した対象者リストが表示されます。"
    assert not page.send_panel.generate_button.isEnabled()
    assert not page.template_panel.save_button.isEnabled()
    window.open_workspace(demo_workspace)
    wait(qtbot, window)
    assert page.send_panel.list_model.rowCount() == 0
    assert page.send_panel.lists_hint.text().startswith("確定した対象者リストはまだありません。「対象者抽出」で抽出して確定すると")
    assert page.history_panel.status_label.text().startswith("発送の記録はまだありません。")
    assert page.send_panel.preview.page_count() == 0


def test_only_approved_lists_are_offered_and_the_first_letters_are_previewed(qtbot, window, demo_workspace):
    run_id = set_up(demo_workspace, draft=True)
    page = open_notices(qtbot, window, demo_workspace)
    rows = table_rows(page.send_panel.list_model)
    assert [(r["番号"], r["事業"], r["年度"], r["発送"]) for r in rows] == [(str(run_id), "受診勧奨", "2024年度", "未発送")]
    ws = window.session.workspace
    final = ws.run(run_id).targets
    assert rows[0]["通知数"] == str(int((~final["excluded"] & ~final["holdout"]).sum()))
    preview = page.send_panel.preview
    letters, pdf = mailing.preview(ws, run_id, 3)
    assert preview.page_count() == len(PdfReader(io.BytesIO(pdf)).pages) >= 3
    assert preview.page_label.text() == f"1 / {preview.page_count()} ページ"
    assert not preview.image().isNull()
    assert page.send_panel.route_combo.currentData() == mailing.route_for(ws, "jushin")


def test_a_list_approved_elsewhere_appears_when_the_page_is_shown_again(qtbot, window, demo_workspace):
    set_up(demo_workspace, draft=True)
    page = open_notices(qtbot, window, demo_workspace)
    ws = window.session.workspace
    draft = int(ws.runs("hokenshido")["run_id"].iloc[0])
    programs.approve(ws, draft)
    window.show_page("home")
    window.show_page("notices")
    wait(qtbot, window)
    assert [r["事業"] for r in table_rows(page.send_panel.list_model)] == ["特定保健指導 利用案内", "受診勧奨"]


def test_generate_writes_the_batch_records_it_and_opens_the_folder(qtbot, window, demo_workspace, tmp_path,
                                                                  monkeypatch):
    set_up(demo_workspace)
    out = tmp_path / "out"
    out.mkdir()
    opened = []
    monkeypatch.setattr(notices_send, "ask_folder", lambda *_args: out)
    monkeypatch.setattr(notices_send, "open_folder", opened.append)
    page = open_notices(qtbot, window, demo_workspace)
    panel = page.send_panel
    panel.date_edit.setDate(SENT)
    panel.generate()
    wait(qtbot, window)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["2024_jushin_1_labels.pdf", "2024_jushin_1_letters.pdf", "2024_jushin_1_list.xlsx",
                     "2024_jushin_1_summary.xlsx"]
    assert panel.result_label.text().startswith("発送番号 1: 受診勧奨 令和6年度 の通知 ")
    assert table_rows(panel.list_model)[0]["発送"] == "発送番号 1"
    assert not panel.generate_button.isEnabled()
    history = table_rows(page.history_panel.model)
    assert [(h["発送番号"], h["発送日"], h["状態"]) for h in history] == [("1", "2024-10-01", "発送済み")]
    panel.open_button.click()
    assert opened == [out]


def test_a_cancelled_batch_leaves_no_record_and_no_file(qtbot, window, demo_workspace, tmp_path, monkeypatch):
    set_up(demo_workspace)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(notices_send, "ask_folder", lambda *_args: out)
    page = open_notices(qtbot, window, demo_workspace)
    page.send_panel.generate()
    window.runner.cancel()
    wait(qtbot, window)
    assert page.send_panel.result_label.text() == "キャンセルしました。発送記録もファイルも残っていません。"
    assert list(out.iterdir()) == []
    assert mailing.history(window.session.workspace).empty
    assert table_rows(page.send_panel.list_model)[0]["発送"] == "未発送"


def test_unprintable_characters_offer_to_print_with_geta(qtbot, window, demo_workspace, monkeypatch):
    set_up(demo_workspace)
    page = open_notices(qtbot, window, demo_workspace)
    panel = page.send_panel
    asked, retried = [], []
    monkeypatch.setattr(notices_send, "confirm", lambda _parent, _title, question: asked.append(question) or True)
    monkeypatch.setattr(panel, "generate", lambda **kwargs: retried.append(kwargs))
    panel._on_generated(Refused(mailing.UnprintableCharacters({"00000123": {"𠮷"}})))
    assert panel.result_label.text().startswith("同梱のフォントにない文字があり、このままでは印刷できません（1人: 00000123（𠮷））")
    assert asked[0].endswith("「〓」に置き換えて作成しますか。")
    assert retried == [{"glyph_fallback": True}]


def test_history_reprints_exactly_and_cancels_with_a_reason(qtbot, window, demo_workspace, tmp_path, monkeypatch):
    set_up(demo_workspace, print_batch=True)
    out = tmp_path / "again"
    monkeypatch.setattr(notices_history, "ask_folder", lambda *_args: out)
    monkeypatch.setattr(notices_history, "open_folder", lambda _path: None)
    page = open_notices(qtbot, window, demo_workspace)
    panel = page.history_panel
    assert panel.selected_batch()["発送番号"] == 1
    panel.reprint()
    wait(qtbot, window)
    assert sorted(p.name for p in out.iterdir()) == ["2024_jushin_1_reprint_labels.pdf",
                                                     "2024_jushin_1_reprint_letters.pdf"]
    assert mailing.history(window.session.workspace)["状態"].tolist() == ["発送済み"]  # a reprint records nothing

    member = window.session.workspace.notice_batch(1)[1]["member_id"].iloc[0]
    panel.member_edit.setText(member)
    panel.reprint()
    wait(qtbot, window)
    assert (out / f"2024_jushin_1_reprint_{member}_letters.pdf").exists()

    monkeypatch.setattr(notices_history, "ask_reason", lambda *_args: "  ")
    panel.cancel_batch()
    assert panel.status_label.text() == "取り消しの理由を入力してください。"
    monkeypatch.setattr(notices_history, "ask_reason", lambda *_args: "住所の誤りが見つかったため")
    panel.cancel_batch()
    row = table_rows(panel.model)[0]
    assert (row["状態"], row["取消理由"]) == ("取消", "住所の誤りが見つかったため")
    wait(qtbot, window)
    assert not panel.cancel_button.isEnabled() and panel.reprint_button.isEnabled()
    assert table_rows(page.send_panel.list_model)[0]["発送"] == "未発送"


def test_effect_shows_the_visit_rate_tables_and_a_chart(qtbot, window, demo_workspace):
    set_up(demo_workspace, print_batch=True)
    page = open_notices(qtbot, window, demo_workspace)
    panel = page.effect_panel
    letters = int(mailing.history(window.session.workspace)["通知数"].iloc[0])
    assert panel.batch_combo.currentText() == f"発送番号 1 受診勧奨(2024-10-01・{letters}通)"
    panel.months_spin.setValue(6)
    panel.start_measure()
    wait(qtbot, window)
    expected = effect.measure(window.session.workspace, 1, 6)
    assert [t.title for t in panel.tables] == [t.title for t in expected]
    assert panel.tables[0].title == "受診勧奨 通知後6か月の医療機関受診率（発送記録 1）"
    total = panel.tables[0].table.set_index("区分").loc["合計"]
    assert total["通知者数"] == letters
    figure = panel.chart.figure()
    assert figure is not None
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["受診率(%)", "比較群受診率(%)"]


def test_effect_without_a_sent_batch_says_so(qtbot, window, demo_workspace):
    set_up(demo_workspace)
    page = open_notices(qtbot, window, demo_workspace)
    assert page.effect_panel.batch_combo.count() == 0
    assert not page.effect_panel.measure_button.isEnabled()
    assert page.effect_panel.status_label.text().startswith("発送日のある発送記録がまだありません。")


def test_template_editor_checks_previews_saves_and_resets(qtbot, window, demo_workspace, monkeypatch):
    set_up(demo_workspace)
    page = open_notices(qtbot, window, demo_workspace)
    editor = page.template_panel
    editor.select_program("jushin")
    ws = window.session.workspace
    default = mailing.template_for(ws, "jushin")
    assert editor.title_edit.text() == default.title
    assert editor.state_label.text() == "既定の文面"
    assert "{受診勧奨項目}" in [editor.placeholder_list.item(i).text() for i in range(editor.placeholder_list.count())]

    editor.body_edit.setPlainText("{氏名}　様\n\n{未知の項目}をご確認ください。")
    editor.save()
    assert "差し込み項目「{未知の項目}」は使えません。" in editor.message_label.text()
    assert mailing.template_for(ws, "jushin") == default

    editor.body_edit.setPlainText("{氏名}　様\n\n{健診日}の健診で、\n{項目数}項目が基準を超えました。")
    editor.start_preview()
    wait(qtbot, window)
    assert editor.preview.page_count() >= 1
    editor.save()
    saved = mailing.template_for(ws, "jushin")
    assert saved.paragraphs == ("{氏名}　様", "{健診日}の健診で、{項目数}項目が基準を超えました。")
    assert editor.state_label.text() == "この組合で編集した文面"

    editor.title_edit.setText("受診のおすすめ(編集中)")
    window.show_page("home")
    window.show_page("notices")
    wait(qtbot, window)
    assert editor.title_edit.text() == "受診のおすすめ(編集中)"

    monkeypatch.setattr(notices_template, "confirm", lambda *_args: True)
    editor.reset()
    assert mailing.template_for(ws, "jushin") == default
    assert editor.state_label.text() == "既定の文面"


def test_template_preview_needs_a_list_of_that_program(qtbot, window, demo_workspace):
    set_up(demo_workspace)
    page = open_notices(qtbot, window, demo_workspace)
    editor = page.template_panel
    editor.select_program("generic")
    editor.start_preview()
    assert editor.preview.page_count() == 0
    assert editor.preview.image_label.text().startswith("この事業の対象者リストがまだないため")


@pytest.mark.parametrize(("text", "expected"), [
    ("一段落目\n\n二段落目", ("一段落目", "二段落目")),
    ("折り返した\n一段落\n\u3000\n次", ("折り返した一段落", "次")),
    ("\n\n", ()),
])
def test_paragraphs_are_separated_by_a_blank_line(text, expected):
    assert paragraphs_of(text) == expected


def test_effect_figure_per_kind_of_table():
    visits = pd.DataFrame({"区分": ["②受診勧奨", "合計"], "受診率(%)": [30.0, 30.0], "比較群受診率(%)": [87.5, 87.5]})
    figure = effect_figure(AnalysisTable("v", "受診率", visits))
    assert len(figure.axes[0].patches) == 4
    switch = pd.DataFrame({"診療月": ["2024-11", "2024-12"], "切替率(%)": [5.0, 8.0]})
    assert len(effect_figure(AnalysisTable("s", "切替", switch)).axes[0].patches) == 2
    assert effect_figure(AnalysisTable("g", "群別", pd.DataFrame({"群": ["通知"], "人数": [3]}))) is None


def test_chart_view_swaps_figures_and_explains_an_empty_one(qtbot):
    view = ChartView("まだありません。")
    qtbot.addWidget(view)
    figure = effect_figure(AnalysisTable("s", "切替", pd.DataFrame({"診療月": ["2024-11"], "切替率(%)": [5.0]})))
    view.set_figure(figure)
    assert view.figure() is figure and view.placeholder.isHidden()
    view.set_figure(None, "この表にはグラフがありません。")
    assert view.figure() is None
    assert view.placeholder.text() == "この表にはグラフがありません。" and not view.placeholder.isHidden()
