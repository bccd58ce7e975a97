"""データ取込 page: accepted file, refused file with its issue table, templates."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from dhdesk.core.issues import Issue, Severity
from dhdesk.gui.pages.data_import import issues_frame

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
