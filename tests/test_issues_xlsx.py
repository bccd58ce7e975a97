"""The error report xlsx: one row per issue with file, row, column, value, message and severity; a summary."""

from __future__ import annotations

import time

from python_calamine import CalamineWorkbook

from dhdesk.core.issues import Issue, Severity
from dhdesk.reports.issues_xlsx import HEADERS, write_issues_xlsx

ISSUES = [
    Issue("センター.csv", None, "腹囲", "missing_column", "必須の列「腹囲」がありません"),
    Issue("センター.csv", 3, "身長(cm)", "check.impossible", "身長 300cm はありえない値です"),
    Issue("センター.csv", 4, "体重", "check.out_of_range", "体重 25kg は範囲の外です", Severity.WARNING),
    Issue("センター.csv", 5, "体重", "check.out_of_range", "体重 201kg は範囲の外です", Severity.WARNING),
]
VALUES = {("センター.csv", 3, "身長(cm)"): "300", ("センター.csv", 4, "体重"): "025"}


def _sheets(path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_every_issue_is_a_row_with_its_cell_value(tmp_path):
    path = write_issues_xlsx(tmp_path / "errors.xlsx", ISSUES, VALUES)
    rows = _sheets(path)["一覧"]
    assert tuple(rows[0]) == HEADERS
    assert rows[1:] == [
        ["センター.csv", "", "腹囲", "", "必須の列「腹囲」がありません", "エラー"],
        ["センター.csv", 3.0, "身長(cm)", "300", "身長 300cm はありえない値です", "エラー"],
        ["センター.csv", 4.0, "体重", "025", "体重 25kg は範囲の外です", "警告"],
        ["センター.csv", 5.0, "体重", "", "体重 201kg は範囲の外です", "警告"],
    ]
    assert not (tmp_path / "errors.xlsx.partial").exists()


def test_the_summary_counts_per_severity_and_per_column(tmp_path):
    summary = _sheets(write_issues_xlsx(tmp_path / "e.xlsx", ISSUES, VALUES))["集計"]
    assert summary[0][0] == "取込エラー・警告一覧"
    assert summary[3][:2] == ["エラー（取り込まれない行）", 2.0]
    assert summary[4][:2] == ["警告（取り込まれ、確認が必要）", 2.0]
    assert summary[5][:2] == ["合計", 4.0]
    assert summary[7] == ["ファイル", "列", "重要度", "件数", "最初の行"]
    assert summary[8:] == [
        ["センター.csv", "腹囲", "エラー", 1.0, ""],
        ["センター.csv", "身長(cm)", "エラー", 1.0, 3.0],
        ["センター.csv", "体重", "警告", 2.0, 4.0],
    ]


def test_past_the_row_limit_the_list_continues_on_another_sheet(tmp_path):
    sheets = _sheets(write_issues_xlsx(tmp_path / "e.xlsx", ISSUES, rows_per_sheet=3))
    assert list(sheets) == ["集計", "一覧", "一覧_2"]
    assert len(sheets["一覧"]) == 4 and len(sheets["一覧_2"]) == 2
    assert sheets["一覧_2"][1][4] == "体重 201kg は範囲の外です"


def test_no_issues_still_writes_a_readable_report(tmp_path):
    sheets = _sheets(write_issues_xlsx(tmp_path / "e.xlsx", []))
    assert sheets["集計"][5][:2] == ["合計", 0.0] and sheets["一覧"] == [list(HEADERS)]


def test_ten_thousand_issues_are_written_fast_and_all_kept(tmp_path):
    issues = [Issue("大きな.csv", n + 2, "腹囲", "check.out_of_range", f"腹囲 {n} は範囲の外です", Severity.WARNING)
              for n in range(10_000)]
    values = {(i.source, i.row, i.column): str(i.row) for i in issues}
    started = time.perf_counter()
    path = write_issues_xlsx(tmp_path / "e.xlsx", issues, values)
    elapsed = time.perf_counter() - started
    rows = _sheets(path)["一覧"]
    assert len(rows) == 10_001 and rows[-1][1] == 10_001.0 and rows[-1][3] == "10001"
    assert elapsed < 8.0, f"{elapsed:.2f} s"  # about 1 s on an idle 2-core machine


def test_an_issues_own_value_comes_first_and_the_cell_texts_fill_the_rest(tmp_path):
    issues = [
        Issue("a.UKE", 6, "SI 点数", "uke_bad_number", "「２x8」を数値として読めません", value="２x8"),
        Issue("センター.csv", 3, "身長(cm)", "check.impossible", "身長 300cm はありえない値です", value="３００"),
        Issue("センター.csv", 4, "体重", "check.out_of_range", "体重 25kg は範囲の外です", Severity.WARNING),
        Issue("a.UKE", 9, None, "uke_bad_encoding", "読めない文字がある行です", value="SI,\ufffd,1"),
        Issue("h.xml", None, "性別", "bad_sex", "性別コードが 1 / 2 ではありません", value="M"),
    ]
    rows = _sheets(write_issues_xlsx(tmp_path / "e.xlsx", issues, VALUES))["一覧"]
    assert [row[3] for row in rows[1:]] == ["２x8", "３００", "025", "SI,\ufffd,1", "M"]
