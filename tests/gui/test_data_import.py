"""データ取込 page: the wizard (kind, mapping, presets, valid rows only, error report), history with undo, templates."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
import xlsxwriter
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from python_calamine import CalamineWorkbook

from dhdesk.core.issues import Issue, Severity
from dhdesk.core.union import UnionInfo
from dhdesk.gui.pages import data_import, import_history
from dhdesk.gui.pages.data_import import issues_frame, rows_with_errors
from dhdesk.services import imports, workspaces

HEADER = "加入者番号,氏名,性別,生年月日,本人家族,資格取得日\n"


def texts(model, column):
    return [model.data(model.index(r, column), Qt.ItemDataRole.DisplayRole) for r in range(model.rowCount())]


def choose_kind(page, label):
    page.kind_combo.setCurrentIndex(page.kind_combo.findText(label))


def test_issues_frame_keeps_row_column_and_message():
    frame = issues_frame([Issue("a.csv", 12, "腹囲", "x", "数値ではありません"), Issue("a.csv", None, None, "y", "空", Severity.WARNING)])
    assert frame["row"].iloc[0] == 12 and frame["row"].isna().iloc[1]
    assert list(frame["severity"]) == ["エラー", "警告"]
    assert frame["message"].iloc[0] == "数値ではありません"


def test_rows_with_errors_counts_rows_and_archive_documents_not_warnings_or_the_whole_file():
    issues = [Issue("a.csv", 4, "身長", "x", "e"), Issue("a.csv", 4, "体重", "x", "e"), Issue("a.csv", 7, "腹囲", "x", "e"),
              Issue("a.csv", 9, "BMI", "x", "w", Severity.WARNING), Issue("doc1.xml", None, None, "x", "e"),
              Issue("a.csv", None, None, "x", "e")]
    assert rows_with_errors(imports.ImportResult(False, "checkups", "a.csv", issues=issues)) == 3


def test_a_valid_roster_is_imported_and_the_home_counts_change(window, qtbot, demo_workspace, tmp_path):
    window.open_workspace(demo_workspace)
    before = dict(window.pages["home"].count_rows())["取込の記録"]
    source = tmp_path / "追加の加入者.csv"
    source.write_text(HEADER + "9000001,試験 花子,女,1980-04-01,本人,2020-04-01\n", encoding="utf-8-sig")
    page = window.show_page("import")
    page.path_edit.setText(str(source))
    choose_kind(page, "加入者台帳")
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.import_button.click()
    assert "1 行を取り込みました" in page.result_label.text()
    assert page.result_label.property("role") == "ok"
    window.show_page("home")
    assert dict(window.pages["home"].count_rows())["取込の記録"] != before


def test_a_file_with_errors_is_refused_and_every_issue_listed(window, qtbot, demo_workspace, tmp_path):
    window.open_workspace(demo_workspace)
    source = tmp_path / "壊れた台帳.csv"
    source.write_text(
        HEADER + "9000002,試験 太郎,男,1980-13-45,本人,2020-04-01\n9000003,試験 次郎,X,1981-01-01,本人,2020-04-01\n",
        encoding="utf-8-sig",
    )
    page = window.show_page("import")
    page.path_edit.setText(str(source))
    choose_kind(page, "加入者台帳")
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.import_button.click()
    assert "取り込んでいません" in page.result_label.text()
    assert page.result_label.property("role") == "error"
    columns = texts(page.issue_model, 2)
    assert "生年月日" in columns and "性別" in columns
    rows = dict(zip(columns, texts(page.issue_model, 1), strict=True))
    assert rows["生年月日"] == "2" and rows["性別"] == "3"
    assert all(texts(page.issue_model, 3))


def test_no_file_chosen_is_said_plainly(window, demo_workspace):
    window.open_workspace(demo_workspace)
    page = window.show_page("import")
    page.import_button.click()
    assert page.result_label.text() == "取り込むファイルを選んでください。"
    assert not window.runner.is_running()


def test_template_is_saved_where_the_clerk_chose(window, tmp_path, monkeypatch):
    target = tmp_path / "健診結果_ひな形.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    page = window.show_page("import")
    page.template_combo.setCurrentIndex(page.template_combo.findText("健診結果"))
    page.template_button.click()
    assert target.exists()
    assert "健診結果のひな形を保存しました" in page.result_label.text()
    offered = [page.template_combo.itemText(i) for i in range(page.template_combo.count())]
    assert "傷病名マスター" not in offered and "傷病名マスター" in [
        page.kind_combo.itemText(i) for i in range(page.kind_combo.count())]


def test_another_workspace_starts_with_a_clean_result(window, qtbot, demo_workspace, tmp_path):
    window.open_workspace(demo_workspace)
    source = tmp_path / "壊れた台帳.csv"
    source.write_text(HEADER + "9000002,試験 太郎,男,1980-13-45,本人,2020-04-01\n", encoding="utf-8-sig")
    page = window.show_page("import")
    page.path_edit.setText(str(source))
    choose_kind(page, "加入者台帳")
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.import_button.click()
    assert page.issue_model.rowCount() == 1
    window.session.close()
    assert page.issue_model.rowCount() == 0
    assert page.result_label.text() == "ワークスペースを開くと取り込めます。"


# -- the wizard on the demo's own received files (a workspace holding only the demo's roster) ------------------

CLINIC_CSV = "みなと健診センター_令和7年度.csv"
CLINIC_XLSX = "みなと中央病院 人間ドック_令和7年度.xlsx"


@pytest.fixture
def received(demo_workspace_master):
    return demo_workspace_master.parent / "受信ファイル"


@pytest.fixture(scope="module")
def roster_only_master(demo_workspace_master, tmp_path_factory):
    """A workspace holding the demo's roster only, so the demo's clinic files are new to it (built once)."""
    path = tmp_path_factory.mktemp("roster") / "組合.dhdesk"
    with workspaces.create_workspace(path, UnionInfo("テスト健康保険組合", "06139999")) as ws:
        roster = demo_workspace_master.parent / "受信ファイル" / "加入者台帳.csv"
        assert imports.import_file(ws, roster, "members").accepted
    return path


@pytest.fixture
def roster_only(roster_only_master, tmp_path):
    copy = tmp_path / "roster" / roster_only_master.name
    copy.parent.mkdir()
    shutil.copyfile(roster_only_master, copy)
    return copy


def clinic_rows(path):
    """The demo clinic CSV (cp932) as rows of cells, header first."""
    return list(csv.reader(io.StringIO(path.read_text(encoding="cp932"))))


def write_clinic(path, rows):
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="cp932")
    return path


def add_files(page, qtbot, window, paths):
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.add_files(paths)


def import_now(page, qtbot, window, button=None):
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        (button or page.import_button).click()


def choose_kind_of_file(page, qtbot, window, label):
    """The clerk picks another kind for the selected file: it is inspected again as that kind."""
    index = page.kind_combo.findText(label)
    page.kind_combo.setCurrentIndex(index)
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.kind_combo.activated.emit(index)


def mapping_row(page, header):
    table = page.mapping.table
    row = page.mapping.entry.mapping.headers.index(header)
    return page.mapping.combo_for(header).currentData(), table.item(row, 2).text(), table.item(row, 3).text()


def history(page):
    return page.history.model.frame


def test_clinic_files_are_detected_mapped_with_samples_and_imported(window, qtbot, roster_only, received):
    window.open_workspace(roster_only)
    page = window.show_page("import")
    csv_path, xlsx_path = received / "健診結果" / CLINIC_CSV, received / "健診結果" / CLINIC_XLSX
    add_files(page, qtbot, window, [csv_path, xlsx_path])
    assert [page.file_table.item(r, 1).text() for r in range(2)] == ["健診結果", "健診結果"]
    assert page.kind_combo.currentText() == "健診結果" and page.path_edit.text() == str(csv_path)
    header, first = clinic_rows(csv_path)[:2]
    assert page.mapping.table.rowCount() == len(header)
    assert mapping_row(page, "最高血圧")[:2] == ("sbp", "要確認")
    assert mapping_row(page, "生年月日")[:2] == ("birth_date", "自動")
    assert mapping_row(page, "受診者番号")[2].startswith(first[0])
    assert page.import_button.isEnabled() and not page.mapping.missing_label.isVisible()
    page.select_file(1)
    assert page.path_edit.text() == str(xlsx_path) and "4 行目が見出し" in page.mapping.status_label.text()
    import_now(page, qtbot, window)
    assert f"{CLINIC_CSV} から {len(clinic_rows(csv_path)) - 1:,} 行を取り込みました" in page.result_label.text()
    assert CLINIC_XLSX in page.result_label.text() and page.result_label.property("role") == "ok"
    assert history(page)["ファイル"].tolist()[:2] == [CLINIC_XLSX, CLINIC_CSV]
    assert history(page)["種類"].tolist()[:2] == ["健診結果", "健診結果"]


def test_missing_required_fields_block_until_mapped_and_the_saved_preset_maps_the_next_file(
        window, qtbot, roster_only, received, tmp_path):
    window.open_workspace(roster_only)
    page = window.show_page("import")
    renamed = {"受診者番号": "No", "健診年月日": "日付"}
    for year in ("令和6年度", "令和7年度"):
        rows = clinic_rows(received / "健診結果" / f"みなと健診センター_{year}.csv")
        write_clinic(tmp_path / f"新しい健診機関_{year}.csv", [[renamed.get(h, h) for h in rows[0]], *rows[1:]])
    add_files(page, qtbot, window, [tmp_path / "新しい健診機関_令和6年度.csv"])
    assert page.file_table.item(0, 1).text() == "判別できません" and page.kind_combo.currentIndex() == -1
    assert not page.import_button.isEnabled()
    choose_kind_of_file(page, qtbot, window, "健診結果")
    missing = page.mapping.missing_label
    assert missing.isVisible() and "加入者番号、健診日" in missing.text() and missing.property("role") == "error"
    assert not page.import_button.isEnabled()
    assert mapping_row(page, "No")[:2] == (None, "要確認")
    page.mapping.choose("No", "member_id")
    page.mapping.choose("日付", "exam_date")
    assert mapping_row(page, "No")[:2] == ("member_id", "手動で指定")
    assert not missing.isVisible() and page.import_button.isEnabled()
    page.mapping.save_check.setChecked(True)
    assert page.mapping.save_name.text() == "新しい健診機関"
    page.mapping.save_name.setText("○○健診センター")
    import_now(page, qtbot, window)
    assert page.result_label.property("role") == "ok"
    assert history(page)["プリセット"].iloc[0] == "○○健診センター"

    add_files(page, qtbot, window, [tmp_path / "新しい健診機関_令和7年度.csv"])
    assert "取込プリセット「○○健診センター」の対応を使っています" in page.mapping.status_label.text()
    assert mapping_row(page, "No")[:2] == ("member_id", "自動（プリセット）")
    assert page.import_button.isEnabled()
    import_now(page, qtbot, window)
    assert history(page)["ファイル"].iloc[0] == "新しい健診機関_令和7年度.csv"
    assert history(page)["プリセット"].iloc[0] == "○○健診センター"


def test_refused_file_offers_valid_rows_only_and_the_error_report(window, qtbot, roster_only, received, tmp_path,
                                                                 monkeypatch):
    window.open_workspace(roster_only)
    page = window.show_page("import")
    rows = clinic_rows(received / "健診結果" / CLINIC_CSV)
    rows[3][rows[0].index("身長")] = "３００"
    source = write_clinic(tmp_path / "誤りのある健診結果.csv", rows)
    add_files(page, qtbot, window, [source])
    import_now(page, qtbot, window)
    assert "取り込んでいません" in page.result_label.text() and page.result_label.property("role") == "error"
    errors = page.issue_model.frame[page.issue_model.frame["severity"] == "エラー"]
    assert errors[["row", "column"]].values.tolist() == [[4, "身長"]]
    assert page.stack.currentIndex() == 1 and page.valid_rows_button.isVisible()
    assert "エラーのある 1 行を除く" in page.valid_rows_button.text()
    assert history(page)["ファイル"].tolist() == ["加入者台帳.csv"]

    report = tmp_path / "返送用.xlsx"
    monkeypatch.setattr(data_import, "ask_report_path", lambda parent, suggested: report)
    page.report_button.click()
    listed = CalamineWorkbook.from_path(str(report)).get_sheet_by_name("一覧").to_python()
    assert ["誤りのある健診結果.csv", 4.0, "身長", "３００"] in [row[:4] for row in listed]
    assert "一覧を保存しました" in page.result_label.text()

    import_now(page, qtbot, window, page.valid_rows_button)
    assert f"{len(rows) - 2:,} 行を取り込みました（エラーのある 1 行を除外" in page.result_label.text()
    assert not page.valid_rows_button.isVisible()
    assert history(page)["備考"].iloc[0] == "エラーのある 1 行を除いて取込"


def test_a_corrected_kind_is_inspected_again(window, qtbot, roster_only, received):
    window.open_workspace(roster_only)
    page = window.show_page("import")
    add_files(page, qtbot, window, [received / "加入者台帳.csv"])
    assert page.kind_combo.currentText() == "加入者台帳" and page.mapping.entry.mapping.layout.key == "members"
    choose_kind_of_file(page, qtbot, window, "健診結果")
    assert page.mapping.entry.kind == "checkups" and "健診日" in page.mapping.missing_label.text()
    assert page.file_table.item(0, 1).text() == "健診結果" and not page.import_button.isEnabled()


def test_a_fixed_layout_archive_needs_no_mapping(window, qtbot, roster_only, received):
    window.open_workspace(roster_only)
    page = window.show_page("import")
    archive = next((received / "健診結果").glob("*.zip"))
    add_files(page, qtbot, window, [archive])
    assert not page.mapping.table.isVisible() and "列の対応づけは要りません" in page.mapping.status_label.text()
    import_now(page, qtbot, window)
    assert f"{archive.name} から" in page.result_label.text() and page.result_label.property("role") == "ok"


def test_cancel_midway_leaves_the_workspace_as_it_was(window, qtbot, roster_only, received):
    window.open_workspace(roster_only)
    page = window.show_page("import")
    add_files(page, qtbot, window, [received / "健診結果" / CLINIC_XLSX, received / "健診結果" / CLINIC_CSV])
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.import_button.click()
        window.runner.cancel()
    assert "取込をキャンセルしました" in page.result_label.text()
    assert history(page)["ファイル"].tolist() == ["加入者台帳.csv"]


def test_undo_from_the_history_asks_first_and_keeps_the_batch_listed(window, qtbot, demo_workspace, monkeypatch):
    window.open_workspace(demo_workspace)
    page = window.show_page("import")
    page.tabs.setCurrentWidget(page.history)
    newest = history(page).iloc[0]
    page.history.select_batch(int(newest["取込番号"]))
    assert page.history.undo_button.isEnabled()
    asked = []
    monkeypatch.setattr(import_history, "ask_undo", lambda parent, batch: asked.append(batch["ファイル"]) or False)
    page.history.undo_button.click()
    assert asked == [newest["ファイル"]] and not window.runner.is_running()
    monkeypatch.setattr(import_history, "ask_undo", lambda parent, batch: True)
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        page.history.undo_button.click()
    assert page.history.status_label.text().startswith(f"取込番号 {newest['取込番号']}（{newest['ファイル']}）を取り消しました")
    row = history(page).iloc[0]
    assert row["取込番号"] == newest["取込番号"] and row["状態"] == "取消済み"
    page.history.select_batch(int(newest["取込番号"]))
    assert not page.history.undo_button.isEnabled()


def test_another_sheet_of_a_workbook_can_be_chosen(window, qtbot, roster_only, received, tmp_path):
    window.open_workspace(roster_only)
    page = window.show_page("import")
    book_path = tmp_path / "二つのシート.xlsx"
    sheets = {"令和6年度": clinic_rows(received / "健診結果" / "みなと健診センター_令和6年度.csv")[:4],
              "令和7年度": clinic_rows(received / "健診結果" / CLINIC_CSV)[:3]}
    with xlsxwriter.Workbook(str(book_path)) as book:
        for name, rows in sheets.items():
            sheet = book.add_worksheet(name)
            for number, row in enumerate(rows):
                sheet.write_row(number, 0, row)
    add_files(page, qtbot, window, [book_path])
    combo = page.mapping.sheet_combo
    assert combo.isVisible() and [combo.itemText(i) for i in range(combo.count())] == list(sheets)
    assert combo.currentText() == "令和6年度"
    combo.setCurrentIndex(1)
    with qtbot.waitSignal(window.runner.done, timeout=60_000):
        combo.activated.emit(1)
    assert page.mapping.entry.plan.sheet == "令和7年度"
    assert mapping_row(page, "受診者番号")[2].startswith(sheets["令和7年度"][1][0])
    import_now(page, qtbot, window)
    assert "二つのシート.xlsx から 2 行を取り込みました" in page.result_label.text()
